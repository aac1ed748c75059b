/**
 * Connection hygiene (issue 9, item 7): REVOKD_MAX_CONNECTIONS caps open connections, so a flood of
 * idle sockets is turned away at the door instead of piling up; once they go, service resumes.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { request } from '../support/http-client.js';
import { ServerProcess, sleep } from '../support/server-process.js';

const CAP = 3;

let server: ServerProcess;
before(async () => {
  server = await ServerProcess.start({ env: { REVOKD_MAX_CONNECTIONS: String(CAP) } });
});
after(async () => {
  await server?.stop();
});

/** A raw connection that sends nothing; resolves to whether the server closed it within `ms`. */
async function idleSocket(): Promise<{ socket: net.Socket; closedByServer: Promise<boolean> }> {
  const socket = net.connect(server.port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const closedByServer = new Promise<boolean>((resolve) => {
    socket.once('close', () => resolve(true));
    setTimeout(() => resolve(false), 1_000).unref();
  });
  return { socket, closedByServer };
}

test('connections beyond REVOKD_MAX_CONNECTIONS are closed on arrival, and service resumes when they go', async () => {
  const sockets = [];
  for (let i = 0; i < CAP + 2; i++) sockets.push(await idleSocket());
  const closed = await Promise.all(sockets.map((s) => s.closedByServer));
  // An idle keep-alive connection left by the readiness check may hold one of the slots.
  assert.ok(
    closed.filter(Boolean).length >= 2,
    `connections past the cap were closed: ${JSON.stringify(closed)}`,
  );
  assert.ok(
    closed.slice(0, CAP - 1).every((c) => !c),
    `connections within the cap stayed open: ${JSON.stringify(closed)}`,
  );
  for (const s of sockets) s.socket.destroy();
  await sleep(200);
  assert.equal((await request(`${server.url}/healthz`)).status, 200);
});
