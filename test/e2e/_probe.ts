import { ServerProcess } from '../support/server-process.js';
import { login, request } from '../support/http-client.js';
import fs from 'node:fs';
const s = await ServerProcess.start();
fs.writeFileSync('/tmp/probe/url', s.url + '\n' + s.dataDir);
console.log(s.url, s.dataDir);
setInterval(() => {}, 1000);
