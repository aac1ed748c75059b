/**
 * Connection hygiene (issue 9, item 7): a client that sends headers announcing a body and then only
 * half of it must not hold the connection forever. With the default REVOKD_REQUEST_TIMEOUT_MS
 * (30 s) the server cuts it within 35 s, and keeps answering everyone else meanwhile.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { request } from '../support/http-client.js';
import { ServerProcess, sleep } from '../support/server-process.js';

let server: ServerProcess;
before(async () => {
  server = await ServerProcess.start();
});
after(async () => {
  await server?.stop();
});

test(
  'a request whose body stalls is closed by the server within 35 s while other requests are answered',
  { timeout: 60_000 },
  async () => {
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const half = '{"email":"someone@example.com",';
    const startedAt = Date.now();
    socket.write(
      `POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${half.length * 2}\r\n\r\n${half}`,
    );
    let answer = '';
    socket.on('data', (d: Buffer) => {
      answer += d.toString();
    });
    socket.on('error', () => undefined);
    const closedAfterMs = new Promise<number>((resolve) =>
      socket.once('close', () => resolve(Date.now() - startedAt)),
    );

    // While the stalled request waits, the service answers others.
    let served = 0;
    let closed = false;
    void closedAfterMs.then(() => {
      closed = true;
    });
    while (!closed && Date.now() - startedAt < 40_000) {
      const res = await request(`${server.url}/healthz`);
      assert.equal(res.status, 200, 'the service answers other requests while one body stalls');
      served++;
      await sleep(1_000);
    }
    const elapsed = await Promise.race([
      closedAfterMs,
      sleep(1).then(() => Number.POSITIVE_INFINITY),
    ]);
    socket.destroy();
    console.log(
      `stalled body: connection closed by the server after ${elapsed} ms; ${served} other requests answered meanwhile`,
    );
    assert.ok(
      elapsed <= 35_000,
      `the stalled connection was closed after ${elapsed} ms (bound 35 000 ms)`,
    );
    assert.ok(served >= 3, `other requests were answered meanwhile (${served})`);
    assert.match(answer, /^HTTP\/1\.1 408 /, 'the client is told why');
  },
);
