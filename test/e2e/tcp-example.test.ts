/**
 * The TCP example (examples/tcp-server) against a real revokd: both run as child processes over the
 * same data directory; a client authenticated with an API token is disconnected when the token is
 * revoked through the HTTP API, or when its owner is disabled.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createUserViaAdmin, login, request } from '../support/http-client.js';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  REPO_ROOT,
  ServerProcess,
  freePort,
} from '../support/server-process.js';
import { killProcessGroup } from '../support/kill-process-group.js';

const DEADLINE_MS = 5000;

/** A line-oriented client: `next()` resolves with the next line the server sent. */
class LineClient {
  private readonly socket: net.Socket;
  private buffer = '';
  private readonly lines: string[] = [];
  private waiter: (() => void) | undefined;
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let newline;
      while ((newline = this.buffer.indexOf('\n')) !== -1) {
        this.lines.push(this.buffer.slice(0, newline));
        this.buffer = this.buffer.slice(newline + 1);
      }
      this.waiter?.();
    });
    socket.on('error', () => undefined);
    this.closedPromise = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        this.waiter?.();
        resolve();
      }),
    );
  }

  static connect(port: number): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new LineClient(socket));
      });
    });
  }

  send(line: string): void {
    this.socket.write(`${line}\n`);
  }

  async next(ms = DEADLINE_MS): Promise<string> {
    const deadline = Date.now() + ms;
    while (this.lines.length === 0) {
      if (this.closed) throw new Error('connection closed before a line arrived');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no line within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.lines.shift() as string;
  }

  async request(line: string): Promise<string> {
    this.send(line);
    return this.next();
  }

  /** Resolves once the server has closed the connection (rejects after the deadline). */
  async waitClosed(ms = DEADLINE_MS): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`still connected after ${ms} ms`)), ms);
    });
    try {
      await Promise.race([this.closedPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

describe('TCP example: API-token clients are dropped when their token is revoked', () => {
  let server: ServerProcess;
  let admin: { access_token: string };
  let tcp: ChildProcess | undefined;
  let tcpOutput = '';
  let tcpPort: number;
  const clients: LineClient[] = [];

  async function connect(): Promise<LineClient> {
    const client = await LineClient.connect(tcpPort);
    clients.push(client);
    return client;
  }

  async function newUser(
    tag: string,
  ): Promise<{ id: string; email: string; access_token: string }> {
    const email = `${tag}-${Date.now()}@example.com`;
    const { id } = await createUserViaAdmin(
      server.url,
      admin.access_token,
      email,
      'user-password-1',
    );
    return { id, email, ...(await login(server.url, email, 'user-password-1')) };
  }

  async function newApiToken(bearer: string, name: string): Promise<{ id: string; token: string }> {
    const res = await request(`${server.url}/api/v1/tokens`, {
      method: 'POST',
      bearer,
      json: { name },
    });
    assert.equal(res.status, 201, res.text);
    assert.match(res.body.token, /^rvk_/);
    return { id: res.body.id, token: res.body.token };
  }

  const killTcp = (): Promise<void> => killProcessGroup(tcp);

  before(async () => {
    server = await ServerProcess.start();
    admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    tcpPort = await freePort();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(REPO_ROOT, 'examples/tcp-server/server.ts')],
      {
        cwd: REPO_ROOT,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          REVOKD_DATA_DIR: server.dataDir,
          TCP_PORT: String(tcpPort),
          TCP_HOST: '127.0.0.1',
        },
      },
    );
    tcp = child;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`TCP example did not start:\n${tcpOutput}`)),
          30_000,
        );
        child.stdout.on('data', (d: Buffer) => {
          tcpOutput += d.toString();
          if (tcpOutput.includes('listening on')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.stderr.on('data', (d: Buffer) => {
          tcpOutput += d.toString();
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`TCP example exited with ${code}:\n${tcpOutput}`));
        });
      });
    } catch (err) {
      await killTcp();
      await server.stop();
      throw err;
    }
  });

  after(async () => {
    for (const client of clients) client.destroy();
    await killTcp();
    await server?.stop();
  });

  test('prints one line on stdout when listening', () => {
    assert.match(
      tcpOutput,
      new RegExp(`^revokd tcp example listening on 127\\.0\\.0\\.1:${tcpPort}\\n$`),
    );
  });

  test('revoking the token over HTTP disconnects its client; a client with another live token stays', async () => {
    const user = await newUser('tcp');
    const doomed = await newApiToken(user.access_token, 'tcp');
    const kept = await newApiToken(user.access_token, 'tcp-2');

    const a = await connect();
    assert.equal(await a.request(`AUTH ${doomed.token}`), `OK ${user.email} -`);
    assert.equal(await a.request('PING'), 'PONG');
    assert.equal(await a.request('WHOAMI'), `USER ${user.email} - token=${doomed.id}`);
    const b = await connect();
    assert.equal(await b.request(`AUTH ${kept.token}`), `OK ${user.email} -`);

    const revoked = await request(`${server.url}/api/v1/tokens/${doomed.id}`, {
      method: 'DELETE',
      bearer: user.access_token,
    });
    assert.equal(revoked.status, 200, revoked.text);
    assert.equal(await a.next(), 'BYE token revoked');
    await a.waitClosed();

    assert.equal(await b.request('PING'), 'PONG');
    assert.equal(b.closed, false);

    // The revoked token cannot come back in.
    const again = await connect();
    assert.equal(await again.request(`AUTH ${doomed.token}`), 'ERR token revoked');
    await again.waitClosed();
    b.send('QUIT');
    assert.equal(await b.next(), 'BYE');
    await b.waitClosed();
  });

  test('disabling the owner disconnects their clients', async () => {
    const user = await newUser('tcp-disabled');
    const { token } = await newApiToken(user.access_token, 'tcp');
    const c = await connect();
    assert.equal(await c.request(`AUTH ${token}`), `OK ${user.email} -`);

    const disabled = await request(`${server.url}/api/v1/admin/users/${user.id}/disable`, {
      method: 'POST',
      bearer: admin.access_token,
    });
    assert.equal(disabled.status, 200, disabled.text);
    assert.equal(await c.next(), 'BYE token revoked');
    await c.waitClosed();
  });

  test('a bad token, a command before AUTH and an over-long line are refused and closed', async () => {
    const bad = await connect();
    assert.match(await bad.request('AUTH rvk_garbage'), /^ERR /);
    await bad.waitClosed();

    const early = await connect();
    assert.equal(await early.request('PING'), 'ERR not authenticated');
    await early.waitClosed();

    const long = await connect();
    long.send(`AUTH ${'x'.repeat(10_000)}`);
    assert.equal(await long.next(), 'ERR line too long');
    await long.waitClosed();
  });

  test('SIGTERM says goodbye to connected clients and exits cleanly', async () => {
    const user = await newUser('tcp-shutdown');
    const { token } = await newApiToken(user.access_token, 'tcp');
    const d = await connect();
    assert.equal(await d.request(`AUTH ${token}`), `OK ${user.email} -`);

    const child = tcp as ChildProcess;
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    child.kill('SIGTERM');
    assert.equal(await d.next(), 'BYE server shutting down');
    await d.waitClosed();
    assert.equal(await exited, 0, tcpOutput);
  });
});
