/**
 * Introspection over HTTP per request (issue 11) — what a resource server without the verifier
 * pays on every request — against a real revokd whose replica holds 1 M / 10 M revoked jtis:
 * `POST /oauth/introspect` of a live access token (HTTP Basic client auth), 1 request in flight by
 * default (the way a request handler awaits it; `concurrency` adds runs with more), p50/p99 and req/s.
 *
 * The revocations are written straight into the SQLite file while the server is stopped (the
 * rows the revoke path writes — src/stores/sql/revoke.ts: scope 'token', a 22-char base64url jti
 * of 16 random bytes, the server's issuer, an expiry within the access TTL in ms, initiator/reason
 * as a logout writes them), in big transactions with the feed's two indexes dropped and rebuilt
 * after (a sorted build is far faster than 10 M random inserts into the (scope, target) B-tree).
 * Then the compiled server is started on that file and loads them as its snapshot: the time to
 * /readyz, and the server's RSS (now and its peak while loading), are reported. A token whose jti
 * is among the rows must introspect inactive, which proves they are loaded.
 *
 * Alone: `npm run build && node --import tsx bench/introspection-at-scale.ts`; knobs
 * BENCH_INTROSPECT_REVOKED (comma list, default 1000000,10000000), BENCH_INTROSPECT_REQUESTS (5000),
 * BENCH_INTROSPECT_CONCURRENCY (comma list, default 1), BENCH_INTROSPECT_START_TIMEOUT_S (300:
 * how long the loaded server may take to be ready), BENCH_INTROSPECT_SERVER_HEAP_MB (unset: node's
 * default heap limit; set it to give the server process --max-old-space-size).
 * Writes bench/results/introspection-at-scale.json.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomFillSync } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { decodeJwt } from 'jose';
import { createClientViaAdmin, login, request } from '../test/support/http-client.js';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  REPO_ROOT,
  ServerProcess,
  sleep,
  tempDir,
} from '../test/support/server-process.js';
import { intEnv } from './env.js';
import { quantile } from './propagation-between-instances.js';
import { writeResult } from './results-file.js';
import { NO_LIMITS } from './revoke-throughput.js';
import { int, ms, printTable } from './table.js';
import { basicAuth } from '../test/support/sse-client.js';

export interface IntrospectionRun {
  readonly concurrency: number;
  readonly requests: number;
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface IntrospectionAtScaleResult {
  readonly revoked: number;
  /** The 1-in-flight figures (or the first concurrency asked for), kept flat for bench/run.ts's summary. */
  readonly requests: number;
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly runs: readonly IntrospectionRun[];
  /** Writing the rows into the stopped server's file (indexes rebuilt included). */
  readonly fillMs: number;
  /** Server start with this many revocations to load (spawn → /readyz 200). */
  readonly startMs: number;
  /** After the requests; and the peak (VmHWM) since the process started — the snapshot load. */
  readonly serverRssMiB: number;
  readonly serverPeakRssMiB: number;
  /** Set when the server could not start with this many rows (the run's other sizes still go on). */
  readonly failure?: string;
}

const BATCH = 200_000;
/** Rows bound per INSERT statement (4 parameters each; SQLite's limit is 32,766 parameters). */
const ROWS_PER_INSERT = 500;
/** The access-token TTL the expiries are spread over (revokd's default, 15 min). */
const ACCESS_TTL_MS = 900_000;

/**
 * Writes `count` token revocations into the server's SQLite file (server stopped); the first row's
 * jti is `include` (a real token's), the others random 16-byte ids as revokd mints them.
 */
function fillRevocations(dbFile: string, issuer: string, count: number, include: string): void {
  const db = new Database(dbFile);
  try {
    // Bulk load only: this file is a throwaway, and the server reopens it with its own settings.
    db.pragma('synchronous = OFF');
    const indexes = db
      .prepare(
        `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'revocations' AND sql IS NOT NULL`,
      )
      .all() as { name: string; sql: string }[];
    for (const index of indexes) db.exec(`DROP INDEX ${index.name}`);
    // Many rows per statement: at 10 M rows the per-call cost of one-row inserts dominates the fill.
    const columns = `INSERT INTO revocations (scope, target, issuer, expires_at, initiator, reason, created_at) VALUES `;
    const manyRows = db.prepare(
      columns + Array(ROWS_PER_INSERT).fill(`('token', ?, ?, ?, 'user', 'logout', ?)`).join(', '),
    );
    const oneRow = db.prepare(`${columns}('token', ?, ?, ?, 'user', 'logout', ?)`);
    const now = Date.now();
    // Expiries spread over the second half of one access TTL from now: all still live when the server loads them.
    const expiry = (i: number): number => now + ACCESS_TTL_MS - (i % (ACCESS_TTL_MS / 2));
    oneRow.run(include, issuer, expiry(0), now);
    const ids = randomBytes(16 * ROWS_PER_INSERT);
    const params: (string | number)[] = new Array(4 * ROWS_PER_INSERT);
    for (let start = 1; start < count; start += BATCH) {
      const end = Math.min(count, start + BATCH);
      db.transaction(() => {
        let i = start;
        for (; i + ROWS_PER_INSERT <= end; i += ROWS_PER_INSERT) {
          randomFillSync(ids);
          for (let k = 0; k < ROWS_PER_INSERT; k++) {
            params[4 * k] = ids.toString('base64url', 16 * k, 16 * k + 16);
            params[4 * k + 1] = issuer;
            params[4 * k + 2] = expiry(i + k);
            params[4 * k + 3] = now;
          }
          manyRows.run(params);
        }
        for (; i < end; i++)
          oneRow.run(randomBytes(16).toString('base64url'), issuer, expiry(i), now);
      })();
    }
    for (const index of indexes) db.exec(index.sql);
  } finally {
    db.close();
  }
}

function procStatusMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN) / 1024;
  } catch {
    return Number.NaN;
  }
}

/**
 * The compiled server on an existing data dir, waited for as long as its snapshot load takes
 * (ServerProcess gives a start 60 s, too little for 10 M rows). Same environment as ServerProcess.
 */
class LoadedServer {
  private output = '';
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.stdout?.on('data', (d: Buffer) => {
      this.output = (this.output + d.toString()).slice(-20_000);
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.output = (this.output + d.toString()).slice(-20_000);
    });
  }

  static async start(
    dataDir: string,
    port: number,
    timeoutMs: number,
    heapMb: number | undefined,
  ): Promise<LoadedServer> {
    const node = heapMb === undefined ? [] : [`--max-old-space-size=${heapMb}`];
    const child = spawn(process.execPath, [...node, 'dist/src/cli/main.js', 'serve'], {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PORT: String(port),
        HOST: '127.0.0.1',
        REVOKD_DATA_DIR: dataDir,
        REVOKD_ADMIN_EMAIL: ADMIN_EMAIL,
        REVOKD_ADMIN_PASSWORD: ADMIN_PASSWORD,
        ...NO_LIMITS,
      },
    });
    const server = new LoadedServer(child, `http://127.0.0.1:${port}`);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `server exited (${child.exitCode ?? child.signalCode}) while loading: ${server.output.trim().split('\n').slice(-3).join(' | ')}`,
        );
      }
      try {
        if ((await fetch(`${server.url}/readyz`)).status === 200) return server;
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    const rss = `RSS ${procStatusMiB(child.pid as number, 'VmRSS').toFixed(0)} MiB, peak ${procStatusMiB(child.pid as number, 'VmHWM').toFixed(0)} MiB`;
    await server.stop();
    throw new Error(
      `server not ready after ${timeoutMs / 1000} s (still loading its snapshot: ${rss})`,
    );
  }

  async stop(): Promise<void> {
    const { child } = this;
    if (child.exitCode !== null || child.signalCode !== null) return;
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
    }, 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** `requests` introspections with `concurrency` in flight (each worker awaits its response before the next). */
async function timeIntrospection(
  introspect: () => Promise<void>,
  requests: number,
  concurrency: number,
): Promise<IntrospectionRun> {
  const times: number[] = [];
  let issued = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < requests) {
        issued++;
        const s = performance.now();
        await introspect();
        times.push(performance.now() - s);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  return {
    concurrency,
    requests,
    requestsPerSec: requests / elapsed,
    p50Ms: quantile(times, 0.5),
    p99Ms: quantile(times, 0.99),
  };
}

export async function runIntrospectionAtScaleBench(
  log: (line?: string) => void,
  opts: {
    revokedCounts: readonly number[];
    requests: number;
    concurrency?: readonly number[];
    startTimeoutMs?: number;
    serverHeapMb?: number;
  },
): Promise<IntrospectionAtScaleResult[]> {
  const concurrency = opts.concurrency ?? [1];
  log(
    `introspection over HTTP per request (${concurrency.join(', ')} in flight), revokd on SQLite holding ${opts.revokedCounts.map(int).join(' / ')} revoked jtis, ${opts.requests} requests each`,
  );
  const results: IntrospectionAtScaleResult[] = [];
  for (const count of opts.revokedCounts) {
    // Our own data dir: a ServerProcess deletes the one it made when it stops.
    const dataDir = tempDir('bench-introspect');
    let loaded: LoadedServer | undefined;
    try {
      // A fresh server once: migrations, the admin, a client, and the tokens to introspect.
      const fresh = await ServerProcess.start({
        command: [process.execPath, 'dist/src/cli/main.js', 'serve'],
        dataDir,
        env: { ...NO_LIMITS },
      });
      const admin = await login(fresh.url, ADMIN_EMAIL, ADMIN_PASSWORD);
      const client = await createClientViaAdmin(
        fresh.url,
        admin.access_token,
        'bench introspecting rs',
      );
      const live = (await login(fresh.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
      const doomed = (await login(fresh.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
      const { jti } = decodeJwt(doomed) as { jti: string };
      await fresh.stop();
      log(`  ${int(count)}: writing the revocations into ${path.join(dataDir, 'revokd.db')}…`);
      const f0 = performance.now();
      fillRevocations(path.join(dataDir, 'revokd.db'), fresh.url, count, jti);
      const fillMs = performance.now() - f0;
      log(
        `  ${int(count)}: written in ${(fillMs / 1000).toFixed(1)} s; starting the server on them…`,
      );
      const t0 = performance.now();
      try {
        loaded = await LoadedServer.start(
          dataDir,
          fresh.port,
          opts.startTimeoutMs ?? 300_000,
          opts.serverHeapMb,
        );
      } catch (err) {
        const failure = err instanceof Error ? err.message : String(err);
        log(`  ${int(count)}: the server did not start: ${failure}`);
        results.push({
          revoked: count,
          requests: 0,
          requestsPerSec: Number.NaN,
          p50Ms: Number.NaN,
          p99Ms: Number.NaN,
          runs: [],
          fillMs,
          startMs: performance.now() - t0,
          serverRssMiB: Number.NaN,
          serverPeakRssMiB: Number.NaN,
          failure,
        });
        continue;
      }
      const startMs = performance.now() - t0;
      const server = loaded;
      const authorization = basicAuth(client.client_id, client.client_secret);
      const introspect = (token: string) =>
        request(`${server.url}/oauth/introspect`, {
          method: 'POST',
          headers: { authorization },
          form: { token },
        });
      const revoked = await introspect(doomed);
      if (revoked.status !== 200 || revoked.body.active !== false)
        throw new Error(
          `a token among the ${count} written introspects ${revoked.status} ${revoked.text}`,
        );
      const liveOnce = async (): Promise<void> => {
        const res = await introspect(live);
        if (res.status !== 200 || res.body.active !== true)
          throw new Error(`live token: ${res.status} ${res.text}`);
      };
      await timeIntrospection(liveOnce, 500, 1);
      const runs: IntrospectionRun[] = [];
      for (const inFlight of concurrency)
        runs.push(await timeIntrospection(liveOnce, opts.requests, inFlight));
      const pid = server.child.pid as number;
      results.push({
        revoked: count,
        ...runs[0]!,
        runs,
        fillMs,
        startMs,
        serverRssMiB: procStatusMiB(pid, 'VmRSS'),
        serverPeakRssMiB: procStatusMiB(pid, 'VmHWM'),
      });
      log(`  ${int(count)}: done`);
    } finally {
      await loaded?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  printIntrospectionAtScale(results, log);
  writeResult('introspection-at-scale', { requests: opts.requests, concurrency, results });
  return results;
}

export function printIntrospectionAtScale(
  results: readonly IntrospectionAtScaleResult[],
  log: (line?: string) => void,
): void {
  log();
  const seconds = (v: number): string => `${(v / 1000).toFixed(1)} s`;
  const mib = (v: number): string => `${v.toFixed(0)} MiB`;
  printTable(
    [
      'revoked jtis',
      'in flight',
      'requests',
      'req/s',
      'p50',
      'p99',
      'rows written in',
      'server start (load)',
      'server RSS (peak)',
    ],
    results.flatMap((r) =>
      r.failure !== undefined
        ? [
            [
              int(r.revoked),
              '',
              '',
              '',
              '',
              '',
              seconds(r.fillMs),
              `FAILED after ${seconds(r.startMs)}`,
              '',
            ],
          ]
        : r.runs.map((run) => [
            int(r.revoked),
            String(run.concurrency),
            String(run.requests),
            int(run.requestsPerSec),
            ms(run.p50Ms),
            ms(run.p99Ms),
            seconds(r.fillMs),
            seconds(r.startMs),
            `${mib(r.serverRssMiB)} (${mib(r.serverPeakRssMiB)})`,
          ]),
    ),
    log,
  );
  for (const r of results) if (r.failure !== undefined) log(`${int(r.revoked)}: ${r.failure}`);
}

function listEnv(name: string, fallback: string): number[] {
  const raw = process.env[name] ?? fallback;
  const list = raw.split(',').map((v) => Number(v.trim().replaceAll('_', '')));
  if (list.some((n) => !Number.isSafeInteger(n) || n < 1))
    throw new Error(`${name} must be a comma list of positive integers, got "${raw}"`);
  return list;
}

// Run on its own: node --import tsx bench/introspection-at-scale.ts
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runIntrospectionAtScaleBench((line = '') => process.stdout.write(`${line}\n`), {
    revokedCounts: listEnv('BENCH_INTROSPECT_REVOKED', '1000000,10000000'),
    requests: intEnv('BENCH_INTROSPECT_REQUESTS', 5000),
    concurrency: listEnv('BENCH_INTROSPECT_CONCURRENCY', '1'),
    startTimeoutMs: intEnv('BENCH_INTROSPECT_START_TIMEOUT_S', 300) * 1000,
    ...(process.env.BENCH_INTROSPECT_SERVER_HEAP_MB === undefined
      ? {}
      : { serverHeapMb: intEnv('BENCH_INTROSPECT_SERVER_HEAP_MB', 4096) }),
  });
}
