/**
 * Several revokd instances sharing one store, one Redis key prefix and one service configuration
 * (issuer, secret, trusted proxy), optionally with HAProxy in front configured from the same
 * template as scripts/cluster/start.sh — so the tests exercise the configuration users run. By
 * default on PostgreSQL (a database of its own on the machine's server), each instance with a data
 * dir of its own, as in a deployment.
 *
 * Instances run the compiled server (`dist/`, built by `npm test`): it starts in a fraction of
 * tsx's time, which matters to tests that SIGKILL and restart an instance many times.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { REPO_ROOT, ServerProcess, freePort, runCli, sleep, tempDir } from './server-process.js';

const COMPILED_CLI = path.join(REPO_ROOT, 'dist/src/cli/main.js');
const HAPROXY_TEMPLATE = path.join(REPO_ROOT, 'scripts/cluster/haproxy.cfg.template');
export const REDIS_URL = process.env.REVOKD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** How often HAProxy checks /readyz in the tests (the script uses 1 s); 2 failures mark a server down. */
const CHECK_INTERVAL_MS = 200;

/** Which system of record the instances share. */
export type ClusterBackend = 'sqlite' | 'postgres';

export interface ClusterOptions {
  /** Names the database and the Redis prefix (letters, digits, underscores). */
  readonly label: string;
  readonly instances: number;
  /** Put HAProxy in front (its URL becomes `cluster.url` and the issuer). */
  readonly haproxy?: boolean;
  /** PostgreSQL (a database of its own on the machine's server, default) or one shared SQLite file. */
  readonly backend?: ClusterBackend;
  /** A postgres:// URL to use instead of a fresh database on the machine's server (a private server). */
  readonly databaseUrl?: string;
  /** Extra environment for every instance. */
  readonly env?: Record<string, string>;
  /**
   * Start every instance at once on the fresh store (a deployment rolling out N at a time). By
   * default the first starts alone and makes the schema, the first admin and the first-party client.
   */
  readonly startTogether?: boolean;
}

/** The system of record the instances share, and how to give it back. */
interface SharedStore {
  readonly backend: ClusterBackend;
  readonly env: Record<string, string>;
  /** SQLite: every instance opens one data dir (one machine, one file). PostgreSQL: undefined, one each. */
  readonly sharedDataDir: string | undefined;
  release(): Promise<void>;
}

async function openSharedStore(options: ClusterOptions): Promise<SharedStore> {
  const backend = options.backend ?? 'postgres';
  if (backend === 'sqlite') {
    const dir = tempDir(`cluster-${options.label}`);
    return {
      backend,
      env: {},
      sharedDataDir: dir,
      release: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  // Each instance has a data dir of its own: with PostgreSQL it holds nothing another needs.
  if (options.databaseUrl !== undefined)
    return {
      backend,
      env: { REVOKD_DATABASE_URL: options.databaseUrl },
      sharedDataDir: undefined,
      release: async () => {},
    };
  const db: TestDatabase = await createTestDatabase(options.label);
  return {
    backend,
    env: { REVOKD_DATABASE_URL: db.url },
    sharedDataDir: undefined,
    release: () => db.drop(),
  };
}

/** Deletes every Redis key under `prefix` (SCAN, never KEYS). */
async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 1,
  });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** The HAProxy config the script writes, for these servers. */
export function haproxyConfig(
  bindPort: number,
  servers: readonly { name: string; port: number }[],
  checkIntervalMs = CHECK_INTERVAL_MS,
): string {
  const lines = servers.map((s) => `    server ${s.name} 127.0.0.1:${s.port} check`).join('\n');
  return fs
    .readFileSync(HAPROXY_TEMPLATE, 'utf8')
    .replaceAll('@BIND@', `127.0.0.1:${bindPort}`)
    .replaceAll('@UPSTREAM_PROXIES@', '127.0.0.1')
    .replaceAll('@CHECK_INTERVAL_MS@', String(checkIntervalMs))
    .replace('@SERVERS@', lines);
}

/** HAProxy as a foreground child process (`-db`), in its own process group. */
export class HaproxyProcess {
  output = '';
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(configFile: string, port: number): Promise<HaproxyProcess> {
    const child = spawn('haproxy', ['-db', '-f', configFile], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proxy = new HaproxyProcess(`http://127.0.0.1:${port}`, child);
    child.stdout?.on('data', (d: Buffer) => {
      proxy.output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      proxy.output += d.toString();
    });
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new Error(`haproxy exited with ${child.exitCode}:\n${proxy.output}`);
      const ready = await fetch(`${proxy.url}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) return proxy;
      await sleep(100);
    }
    await proxy.stop();
    throw new Error(`haproxy did not answer:\n${proxy.output}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-(child.pid as number), 'SIGKILL');
    await exited;
  }
}

/** True when Debian's haproxy is on PATH (`.ci/run` installs it). */
export function haproxyInstalled(): boolean {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .some((dir) => fs.existsSync(path.join(dir, 'haproxy')));
}

export class Cluster {
  private constructor(
    readonly instances: readonly ServerProcess[],
    readonly proxy: HaproxyProcess | undefined,
    /** What every instance (and the CLI) shares: store, secret, issuer, Redis, trusted proxy. */
    readonly sharedEnv: Readonly<Record<string, string>>,
    private readonly store: SharedStore,
    private readonly workDir: string,
  ) {}

  /** The system of record the instances share. */
  get backend(): ClusterBackend {
    return this.store.backend;
  }

  /** The URL clients use: HAProxy's when there is one, else the first instance's. */
  get url(): string {
    return this.proxy?.url ?? this.instance(0).url;
  }

  static async start(options: ClusterOptions): Promise<Cluster> {
    if (!fs.existsSync(COMPILED_CLI))
      throw new Error(`${COMPILED_CLI} is missing: run \`npm run build\` first (npm test does)`);
    const store = await openSharedStore(options);
    const workDir = tempDir(`cluster-${options.label}-work`);
    const proxyPort = await freePort();
    const issuer =
      options.haproxy === true
        ? `http://127.0.0.1:${proxyPort}`
        : `http://revokd-cluster-${options.label}.test`;
    const sharedEnv: Record<string, string> = {
      ...store.env,
      REVOKD_ISSUER: issuer,
      REVOKD_SECRET: randomBytes(32).toString('hex'),
      REVOKD_TRUSTED_PROXIES: '127.0.0.1',
      REVOKD_REDIS_URL: REDIS_URL,
      REVOKD_REDIS_PREFIX: `revokd-test:${options.label}:${randomBytes(4).toString('hex')}:`,
      ...options.env,
    };
    const instances: ServerProcess[] = [];
    const cluster = new Cluster(instances, undefined, sharedEnv, store, workDir);
    try {
      const startOne = async (index: number): Promise<ServerProcess> =>
        ServerProcess.start({
          command: [process.execPath, COMPILED_CLI, 'serve'],
          dataDir:
            store.sharedDataDir ?? fs.mkdtempSync(path.join(workDir, `instance-${index + 1}-`)),
          env: sharedEnv,
        });
      // Unless told otherwise, the first creates the schema, the first admin and the signing key alone.
      const first = options.startTogether === true ? 0 : 1;
      if (first === 1) instances.push(await startOne(0));
      // allSettled: the ones that did start are stopped with the rest if another one failed.
      const rest = await Promise.allSettled(
        Array.from({ length: options.instances - first }, (_, i) => startOne(i + first)),
      );
      for (const r of rest) if (r.status === 'fulfilled') instances.push(r.value);
      const failed = rest.find((r) => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      if (options.haproxy !== true)
        return new Cluster(instances, undefined, sharedEnv, store, workDir);
      const configFile = path.join(workDir, 'haproxy.cfg');
      fs.writeFileSync(
        configFile,
        haproxyConfig(
          proxyPort,
          instances.map((s, i) => ({ name: instanceName(i), port: s.port })),
        ),
      );
      const proxy = await HaproxyProcess.start(configFile, proxyPort);
      return new Cluster(instances, proxy, sharedEnv, store, workDir);
    } catch (err) {
      await cluster.stop().catch(() => undefined);
      throw err;
    }
  }

  instance(index: number): ServerProcess {
    const server = this.instances[index];
    if (server === undefined) throw new Error(`no instance ${index}`);
    return server;
  }

  /** Runs the CLI (source, through tsx) on the cluster's store with the cluster's secret and issuer. */
  async cli(
    args: readonly string[],
    input?: string,
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    const first = this.instance(0);
    return runCli(
      args,
      {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        REVOKD_DATA_DIR: first.dataDir,
        ...this.sharedEnv,
      },
      input,
    );
  }

  /** Stops HAProxy, every instance, and gives back the database, the Redis keys and the directories. */
  async stop(): Promise<void> {
    await this.proxy?.stop();
    await Promise.all(this.instances.map((s) => s.stop()));
    await this.store.release();
    const prefix = this.sharedEnv.REVOKD_REDIS_PREFIX;
    if (prefix !== undefined) await deleteRedisKeys(prefix).catch(() => undefined);
    fs.rmSync(this.workDir, { recursive: true, force: true });
  }
}

/** HAProxy's name for instance `index` (what X-Revokd-Instance carries). */
export function instanceName(index: number): string {
  return `revokd${index + 1}`;
}
