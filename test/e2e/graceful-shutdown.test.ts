/**
 * Stopping `npm start` (issue 12, must-show 5): SIGTERM to the npm process, as a process manager
 * sends it, or Ctrl-C, which a terminal sends to the whole foreground group. The service stops
 * accepting, lets the request in flight finish, cuts one that stalls (after REVOKD_SHUTDOWN_GRACE_MS),
 * writes its batched API-token last-use times, closes the store, logs one line and exits 0 —
 * npm too, with nothing left in the process group and nothing listening.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { test } from 'node:test';
import { login, request } from '../support/http-client.js';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  ServerProcess,
  sleep,
  tempDir,
} from '../support/server-process.js';

/**
 * A raw connection that has sent a login's headers and the first half of its body. It asks for
 * `100 Continue` and waits for it: Node sends that as it hands the request to Fastify, so the request
 * is in flight (routed) before the test signals — not one that merely reached the socket.
 */
async function halfSentLogin(
  port: number,
): Promise<{ finish: () => void; answer: Promise<string> }> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const body = JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  const half = Math.floor(body.length / 2);
  let text = '';
  socket.on('error', () => undefined);
  const continued = new Promise<void>((resolve) => {
    socket.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.startsWith('HTTP/1.1 100 Continue\r\n\r\n')) {
        text = text.slice('HTTP/1.1 100 Continue\r\n\r\n'.length);
        resolve();
      }
    });
  });
  const answer = new Promise<string>((resolve) => socket.once('close', () => resolve(text)));
  socket.write(
    `POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`,
  );
  await continued;
  socket.write(body.slice(0, half));
  return { finish: () => socket.write(body.slice(half)), answer };
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Whether any process is left in the group (kill with signal 0 only checks). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  limitMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await sleep(50);
  }
}

/** After a failure, whatever is left in the group (an orphaned node) must not outlive the test. */
function reap(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    /* nothing left */
  }
}

function npmStart(dataDir: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  return ServerProcess.start({ command: ['npm', 'start'], dataDir, env });
}

test(
  'SIGTERM to `npm start`: the request in flight finishes, a stalled one is cut, batched writes land, one line, exit 0, nothing left',
  { timeout: 60_000 },
  async () => {
    const dataDir = tempDir('shutdown');
    // Last-use times are written every 10 minutes here, so only the shutdown flush can write this one.
    const server = await npmStart(dataDir, { REVOKD_API_TOKEN_USAGE_FLUSH_MS: '600000' });
    try {
      const admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
      const created = await request(`${server.url}/api/v1/tokens`, {
        method: 'POST',
        bearer: admin.access_token,
        json: { name: 'shutdown probe', scopes: ['read'] },
      });
      assert.equal(created.status, 201, created.text);
      assert.equal(
        (await request(`${server.url}/api/v1/auth/me`, { bearer: created.body.token })).status,
        200,
      );

      const inFlight = await halfSentLogin(server.port);
      const stalled = await halfSentLogin(server.port);
      const exited = server.exited();
      const signalledAt = Date.now();
      process.kill(server.pid, 'SIGTERM'); // npm's pid alone, as `kill <pid>` or a process manager would

      // It stops accepting at once; the request that was already being received is still answered.
      await until('the port stops accepting', async () => !(await connects(server.port)));
      inFlight.finish();
      const answer = await inFlight.answer;
      assert.match(
        answer,
        /^HTTP\/1\.1 200 /,
        `the in-flight login was answered: ${answer.slice(0, 200)}`,
      );
      assert.match(answer, /"access_token":"ey/);
      assert.match(answer, /connection: close/i, 'and told the connection ends');

      // The stalled upload does not hold the stop: its connection is cut after the grace period.
      assert.equal(
        await stalled.answer,
        '',
        'the stalled request got no answer: its connection was cut',
      );
      const { code, signal } = await exited;
      const tookMs = Date.now() - signalledAt;
      assert.equal(code, 0, `npm exited 0 (signal ${signal})\n${server.output}`);
      assert.ok(tookMs < 5_000, `stopped within 5 s (took ${tookMs} ms)`);

      const lines = server.output.split('\n').filter((l) => l.includes('revokd stopped'));
      assert.equal(lines.length, 1, `one shutdown line:\n${server.output}`);
      const line = JSON.parse(lines[0]!);
      assert.equal(line.signal, 'SIGTERM');
      assert.equal(line.cutConnections, 1, 'the stalled connection is reported as cut');
      assert.ok(!groupAlive(server.pid), 'no process (npm, sh or node) is left in the group');
      assert.equal(await connects(server.port), false, 'nothing listens on the port');

      // The last use, batched in memory, was written on the way out.
      const again = await ServerProcess.start({ dataDir });
      try {
        const relogin = await login(again.url, ADMIN_EMAIL, ADMIN_PASSWORD);
        const list = await request(`${again.url}/api/v1/tokens`, { bearer: relogin.access_token });
        const probe = (list.body.tokens ?? list.body).find(
          (t: { id: string }) => t.id === created.body.id,
        );
        assert.ok(
          probe?.last_used_at,
          `the use before the stop was recorded: ${JSON.stringify(probe)}`,
        );
      } finally {
        await again.stop();
      }
    } finally {
      await server.stop();
      reap(server.pid);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  },
);

test(
  'Ctrl-C under `npm start` (SIGINT to the whole foreground group, npm forwarding its copy too): one line, exit 0, nothing left',
  { timeout: 60_000 },
  async () => {
    const dataDir = tempDir('ctrl-c');
    const server = await npmStart(dataDir);
    try {
      const exited = server.exited();
      process.kill(-server.pid, 'SIGINT');
      const { code } = await exited;
      assert.equal(code, 0, server.output);
      await until('the group is empty', () => !groupAlive(server.pid));
      const lines = server.output.split('\n').filter((l) => l.includes('revokd stopped'));
      assert.equal(
        lines.length,
        1,
        `one shutdown line, though node got SIGINT twice:\n${server.output}`,
      );
      assert.equal(JSON.parse(lines[0]!).signal, 'SIGINT');
      assert.equal(await connects(server.port), false);
    } finally {
      await server.stop();
      reap(server.pid);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  },
);
