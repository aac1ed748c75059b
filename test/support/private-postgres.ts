/**
 * A PostgreSQL server of the test's own (initdb into a temp dir, pg_ctl on a free port, its unix
 * socket in that dir), for tests that stop, freeze or crash the database: the machine's shared
 * server (test/support/postgres.ts) is never touched. initdb refuses to run as root, so as root
 * every command runs as the `postgres` user (`runuser -u postgres --`), which owns the directory.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './server-process.js';

const run = promisify(execFile);

/** The newest installed server's bin directory (Debian: /usr/lib/postgresql/<version>/bin). */
function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
    : [];
  const newest = versions.sort((x, y) => Number(y) - Number(x))[0];
  if (newest === undefined)
    throw new Error(`no PostgreSQL server binaries under ${root} (apt-get install postgresql)`);
  return path.join(root, newest, 'bin');
}

const asRoot = process.getuid?.() === 0;

/** Signals a process that may have exited meanwhile (a backend ending between listing and signal). */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

export class PrivatePostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
  ) {}

  /** Creates the cluster and starts it. */
  static async start(): Promise<PrivatePostgres> {
    const bin = postgresBinDir();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'revokd-private-pg-'));
    if (asRoot) await run('chown', ['postgres:postgres', dir]);
    const server = new PrivatePostgres(dir, await freePort(), bin);
    try {
      await server.exec('initdb', [
        '-D',
        server.dataDir,
        '-U',
        'postgres',
        '-A',
        'trust',
        '--no-sync',
        '-E',
        'UTF8',
      ]);
      await server.startServer();
    } catch (err) {
      await server.destroy();
      throw err;
    }
    return server;
  }

  private get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  private async exec(tool: string, args: readonly string[]): Promise<string> {
    const command = path.join(this.bin, tool);
    const { stdout } = asRoot
      ? await run('runuser', ['-u', 'postgres', '--', command, ...args], { timeout: 60_000 })
      : await run(command, [...args], { timeout: 60_000 });
    return stdout;
  }

  /** A postgres:// URL for `database` on this server (TCP on loopback, trust auth). */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Starts (or restarts) the server on the same port and data; returns once it accepts connections. */
  async startServer(): Promise<void> {
    // fsync off: these tests are about availability; a crash of the postmaster (not of the machine)
    // loses nothing that was committed even so, the data being in the OS page cache.
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    await this.exec('pg_ctl', [
      'start',
      '-w',
      '-t',
      '30',
      '-D',
      this.dataDir,
      '-l',
      path.join(this.dir, 'server.log'),
      '-o',
      options,
    ]);
  }

  /** `pg_ctl stop -m immediate`: the postmaster and every backend end at once, no checkpoint — like a crash. */
  async stopImmediately(): Promise<void> {
    await this.exec('pg_ctl', ['stop', '-w', '-D', this.dataDir, '-m', 'immediate']);
  }

  /** The postmaster's pid (first line of postmaster.pid), while it runs. */
  postmasterPid(): number {
    const first = fs.readFileSync(path.join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0];
    return Number(first);
  }

  /** Creates a database and returns its URL. */
  async createDatabase(name: string): Promise<string> {
    const client = new pg.Client({ connectionString: this.url(), connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
    } finally {
      await client.end();
    }
    return this.url(name);
  }

  /** The postmaster and its backends (children), by /proc. */
  private serverPids(): number[] {
    const postmaster = this.postmasterPid();
    const children = fs
      .readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e))
      .filter((e) => {
        try {
          // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after ')'.
          const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
        } catch {
          return false;
        }
      })
      .map(Number);
    return [postmaster, ...children];
  }

  /** SIGSTOP the postmaster and every backend: connections stay open and nothing answers (a hung server). */
  freeze(): void {
    for (const pid of this.serverPids()) signal(pid, 'SIGSTOP');
  }

  /** SIGCONT what freeze() stopped. */
  thaw(): void {
    for (const pid of this.serverPids()) signal(pid, 'SIGCONT');
  }

  /** Whatever state it is in (running, stopped, frozen): the server is stopped and its directory removed. */
  async destroy(): Promise<void> {
    if (fs.existsSync(path.join(this.dataDir, 'postmaster.pid'))) {
      try {
        this.thaw();
      } catch {
        /* not running */
      }
      await this.exec('pg_ctl', [
        'stop',
        '-w',
        '-t',
        '10',
        '-D',
        this.dataDir,
        '-m',
        'immediate',
      ]).catch(() => {
        try {
          process.kill(this.postmasterPid(), 'SIGKILL');
        } catch {
          /* gone */
        }
      });
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
