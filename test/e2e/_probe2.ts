import http from 'node:http';
import fs from 'node:fs';
const url = new URL(fs.readFileSync('/tmp/probe/url', 'utf8').split('\n')[0]!);
function send(method: string, path: string, headers: Record<string, string>, body?: Buffer | string): Promise<{ status: number; text: string } | string> {
  return new Promise((resolve) => {
    let got: { status: number; text: string } | undefined;
    const req = http.request({ host: url.hostname, port: url.port, method, path, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => { got = { status: res.statusCode!, text: Buffer.concat(chunks).toString() }; resolve(got); });
      res.on('error', (e) => resolve('res error ' + e.message));
    });
    req.on('error', (e) => { if (got === undefined) setTimeout(() => resolve(got ?? 'req error ' + (e as NodeJS.ErrnoException).code), 50); });
    req.end(body);
  });
}
const big = '{"email":"' + 'a'.repeat(1 << 20) + '"}';
const counts: Record<string, number> = {};
for (let i = 0; i < 30; i++) {
  for (const [p, ct, b] of [['/api/v1/auth/login', 'application/json', big], ['/oauth/introspect', 'application/x-www-form-urlencoded', 'token=' + 'a'.repeat(1 << 20)]] as const) {
    const r = await send('POST', p, { 'content-type': ct }, b);
    const k = typeof r === 'string' ? r : String(r.status);
    counts[k] = (counts[k] ?? 0) + 1;
  }
  const r = await send('GET', '/api/v1/auth/me', { authorization: 'Bearer ' + 'a'.repeat(20480) });
  const k = 'hdr ' + (typeof r === 'string' ? r : String(r.status));
  counts[k] = (counts[k] ?? 0) + 1;
  const r2 = await send('GET', '/api/v1/auth/me', { 'x-junk': 'a'.repeat(20480) });
  const k2 = 'hdr2 ' + (typeof r2 === 'string' ? r2 : String(r2.status));
  counts[k2] = (counts[k2] ?? 0) + 1;
}
console.log(counts);
