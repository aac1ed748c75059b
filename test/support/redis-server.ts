/**
 * Redis for tests. The machine's Redis (127.0.0.1:6379, or REVOKD_TEST_REDIS_URL) serves normal
 * cases, each test file under its own random key prefix; a fault test starts a redis-server of its
 * own on a free port (no persistence), so it can SIGSTOP, SIGCONT and SIGKILL it without touching
 * anyone else's.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { freePort, sleep } from './server-process.js';

export const SHARED_REDIS_URL = process.env.REVOKD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix no other test file uses (`revokd-test:<label>:<random>:`, within REVOKD_REDIS_PREFIX's 64 characters). */
export function testPrefix(label: string): string {
  return `revokd-test:${label.slice(0, 24)}:${randomBytes(8).toString('hex')}:`;
}

/** A short-lived client that fails fast (for test setup and assertions, not for revokd). */
export function testClient(url: string): Redis {
  const client = new Redis(url, {
    connectTimeout: 1000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    lazyConnect: true,
  });
  client.on('error', () => {});
  return client;
}

/** Whether a Redis answers PING at `url` within a second. */
export async function redisReachable(url: string): Promise<boolean> {
  const client = testClient(url);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Deletes every key under `prefix` (a test file's cleanup on the shared Redis). */
export async function deletePrefix(url: string, prefix: string): Promise<void> {
  const client = testClient(url);
  try {
    await client.connect();
    for (;;) {
      const keys = await client.keys(`${prefix}*`);
      if (keys.length === 0) return;
      await client.del(...keys);
    }
  } catch {
    // Unreachable Redis: nothing of ours can be left there that matters.
  } finally {
    client.disconnect();
  }
}

/** A redis-server process of the test's own, on a fixed port across restarts. */
export class RedisServer {
  private child: ChildProcess | undefined;
  output = '';

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts redis-server on a free port and waits until it answers. */
  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.spawn();
    return server;
  }

  /** Starts (again) on the same port: after kill(), this is Redis coming back empty. */
  async spawn(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => {
      this.output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.output += d.toString();
    });
    const deadline = Date.now() + 10_000;
    while (!(await redisReachable(this.url))) {
      if (child.exitCode !== null)
        throw new Error(`redis-server exited with ${child.exitCode}:\n${this.output}`);
      if (Date.now() > deadline)
        throw new Error(`redis-server did not answer on ${this.port}:\n${this.output}`);
      await sleep(50);
    }
  }

  /** SIGSTOP: the process stays, its connections stay open, nothing answers — a hung peer. */
  pause(): void {
    this.signal('SIGSTOP');
  }

  /** SIGCONT after pause(). */
  resume(): void {
    this.signal('SIGCONT');
  }

  /** SIGKILL: a crash (no persistence, so it comes back empty). */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Stops it for good (resumes it first if paused, so the kill is not left pending). */
  async stop(): Promise<void> {
    try {
      this.resume();
    } catch {
      /* not running */
    }
    await this.kill();
  }

  private signal(signal: NodeJS.Signals): void {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null)
      throw new Error('redis-server is not running');
    child.kill(signal);
  }
}
