/**
 * Runs revokd as a real child process (its own process group, so SIGKILL takes it down the way a
 * crash would), on a free port with its own data directory, and talks to it over real HTTP.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { portListenerInGroup } from './port-owner.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_PASSWORD = 'admin-password-1';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `revokd-${prefix}-`));
}

export interface ServerProcessOptions {
  /** Extra environment (merged over the defaults below). */
  readonly env?: Record<string, string>;
  readonly dataDir?: string;
  readonly port?: number;
  /** Command to run instead of `node --import tsx src/cli/main.ts serve` (e.g. ['npm', 'start']). */
  readonly command?: readonly string[];
  readonly cwd?: string;
  /** Use exactly this environment (plus PATH/HOME), not the defaults. */
  readonly bareEnv?: boolean;
  /** How long a start may take to answer /readyz 200 (default 60 s; a store of millions takes longer on a loaded machine). */
  readonly readyTimeoutMs?: number;
}

export class ServerProcess {
  readonly dataDir: string;
  readonly port: number;
  readonly url: string;
  private readonly options: ServerProcessOptions;
  private child: ChildProcess | undefined;
  /** The data directory was made for this server (not passed in), so stop() removes it. */
  private readonly ownsDataDir: boolean;
  /** Everything the process printed (stdout + stderr), across restarts. */
  output = '';

  private constructor(options: ServerProcessOptions, dataDir: string, port: number) {
    this.options = options;
    this.ownsDataDir = options.dataDir === undefined;
    this.dataDir = dataDir;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
  }

  static async start(options: ServerProcessOptions = {}): Promise<ServerProcess> {
    const dataDir = options.dataDir ?? tempDir('data');
    for (let attempt = 1; ; attempt++) {
      const server = new ServerProcess(options, dataDir, options.port ?? (await freePort()));
      try {
        await server.spawn();
        return server;
      } catch (err) {
        // The port freePort() found was taken before the server bound it: another port.
        const lostPort = options.port === undefined && server.output.includes('EADDRINUSE');
        if (!lostPort || attempt === 3) throw err;
      }
    }
  }

  private env(): NodeJS.ProcessEnv {
    const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
    if (this.options.bareEnv === true) return { ...base, ...this.options.env };
    return {
      ...base,
      PORT: String(this.port),
      HOST: '127.0.0.1',
      REVOKD_DATA_DIR: this.dataDir,
      REVOKD_ADMIN_EMAIL: ADMIN_EMAIL,
      REVOKD_ADMIN_PASSWORD: ADMIN_PASSWORD,
      REVOKD_LOG_LEVEL: 'info',
      ...this.options.env,
    };
  }

  async spawn(): Promise<void> {
    const [cmd, ...args] = this.options.command ?? [
      process.execPath,
      '--import',
      'tsx',
      path.join(REPO_ROOT, 'src/cli/main.ts'),
      'serve',
    ];
    const child = spawn(cmd as string, args, {
      cwd: this.options.cwd ?? REPO_ROOT,
      env: this.env(),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => {
      this.output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.output += d.toString();
    });
    await this.waitReady(child);
  }

  private async waitReady(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 60_000);
    while (Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new Error(`server exited with ${child.exitCode}:\n${this.output}`);
      try {
        const res = await fetch(`${this.url}/readyz`);
        // Another test's server on the same port would answer too (port-owner.ts).
        if (res.status === 200 && portListenerInGroup(this.port, child.pid as number) !== false)
          return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`server did not become ready:\n${this.output}`);
  }

  /** The process spawned (with `command: ['npm', 'start']`, npm itself); its pid is also its process group's id. */
  get pid(): number {
    if (this.child?.pid === undefined) throw new Error('not started');
    return this.child.pid;
  }

  /** Resolves when the spawned process exits, with its exit code (null when a signal ended it) and signal. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = this.child;
    if (child === undefined) throw new Error('not started');
    if (child.exitCode !== null || child.signalCode !== null)
      return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
    return new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  /** SIGKILL the whole process group: no shutdown hooks, no flushing — a crash. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(-(child.pid as number), 'SIGKILL');
    await exited;
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.spawn();
  }

  /** Graceful stop (SIGTERM), falling back to SIGKILL. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      process.kill(-(child.pid as number), 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 5000);
    await exited;
    clearTimeout(timer);
    if (this.ownsDataDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Runs the CLI against this server's data directory. */
  async cli(
    args: readonly string[],
    input?: string,
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    return runCli(args, { ...this.env(), ...{} }, input);
  }
}

export async function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(REPO_ROOT, 'src/cli/main.ts'), ...args],
      { cwd: REPO_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
