// `npm run build` (and `npm install`, through `prepare`): compiles src/ and web/ to dist/ with
// type declarations, then copies the files the compiled code reads at run time (SQL migrations,
// the UI's static assets) beside it, so `node dist/...` needs neither tsx nor the sources.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const RUNTIME_FILES = ['src/stores/sqlite/migrations', 'src/stores/postgres/migrations', 'web/static'];

fs.rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
for (const dir of RUNTIME_FILES) fs.cpSync(path.join(root, dir), path.join(dist, dir), { recursive: true });
