/**
 * Introspection over HTTP per request (issue 11) — what a resource server without the verifier
 * pays on every request — against a real revokd whose replica holds 1 M / 10 M revoked jtis:
 * `POST /oauth/introspect` of a live access token (HTTP Basic client auth), one request at a time
 * (the way a request handler awaits it), p50/p99 and req/s.
 *
 * The revocations are written straight into the SQLite file while the server is stopped (the
 * rows the revoke path writes: scope 'token', a 22-char base64url jti, the issuer, the token's
 * expiry in ms), then the server is started and loads them as its snapshot; a token whose jti is
 * among them must introspect inactive, which proves they are loaded. Knobs: BENCH_INTROSPECT_REQUESTS.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { decodeJwt } from 'jose';
import { createClientViaAdmin, login, request } from '../test/support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess, tempDir } from '../test/support/server-process.js';
import { quantile } from './propagation-between-instances.js';
import { NO_LIMITS } from './revoke-throughput.js';
import { int, ms, printTable } from './table.js';

export interface IntrospectionAtScaleResult {
  readonly revoked: number;
  readonly requests: number;
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Server start with this many revocations to load (spawn → /readyz 200). */
  readonly startMs: number;
  readonly serverRssMiB: number;
}

const BATCH = 100_000;

/** Writes `count` token revocations into the server's SQLite file (server stopped). */
function fillRevocations(dbFile: string, issuer: string, count: number, include: string): void {
  const db = new Database(dbFile);
  try {
    const insert = db.prepare(`INSERT INTO revocations (scope, target, issuer, expires_at, initiator, reason, created_at) VALUES ('token', ?, ?, ?, 'user', 'logout', ?)`);
    const now = Date.now();
    const ttlMs = 900_000;
    for (let start = 0; start < count; start += BATCH) {
      const ids = randomBytes(16 * BATCH);
      db.transaction(() => {
        for (let i = 0; i < BATCH && start + i < count; i++) {
          const jti = start + i === 0 ? include : ids.toString('base64url', 16 * i, 16 * i + 16);
          insert.run(jti, issuer, now + ttlMs - ((start + i) % ttlMs), now);
        }
      })();
    }
  } finally {
    db.close();
  }
}

function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return Number.NaN;
  }
}

export async function runIntrospectionAtScaleBench(
  log: (line?: string) => void, opts: { revokedCounts: readonly number[]; requests: number; concurrency?: readonly number[] },
): Promise<IntrospectionAtScaleResult[]> {
  log(`introspection over HTTP per request (1 in flight), revokd on SQLite holding 1 M / 10 M revoked jtis, ${opts.requests} requests each`);
  const results: IntrospectionAtScaleResult[] = [];
  for (const count of opts.revokedCounts) {
    const command = [process.execPath, 'dist/src/cli/main.js', 'serve'];
    // Our own data dir: a ServerProcess deletes the one it made when it stops.
    const dataDir = tempDir('bench-introspect');
    let server = await ServerProcess.start({ command, dataDir, env: { ...NO_LIMITS } });
    try {
      const admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
      const client = await createClientViaAdmin(server.url, admin.access_token, 'bench introspecting rs');
      const live = (await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
      const doomed = (await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
      const { jti } = decodeJwt(doomed) as { jti: string };
      const { port } = server;
      await server.stop();
      log(`  ${int(count)}: writing the revocations into ${path.join(dataDir, 'revokd.db')}...`);
      fillRevocations(path.join(dataDir, 'revokd.db'), server.url, count, jti);
      const t0 = performance.now();
      server = await ServerProcess.start({ command, dataDir, port, env: { ...NO_LIMITS } });
      const startMs = performance.now() - t0;
      const authorization = `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString('base64')}`;
      const introspect = (token: string) => request(`${server.url}/oauth/introspect`, { method: 'POST', headers: { authorization }, form: { token } });
      const revoked = await introspect(doomed);
      if (revoked.status !== 200 || revoked.body.active !== false) throw new Error(`a token among the ${count} written introspects ${revoked.status} ${revoked.text}`);
      for (let i = 0; i < 500; i++) await introspect(live);
      const times: number[] = [];
      const started = performance.now();
      for (let i = 0; i < opts.requests; i++) {
        const s = performance.now();
        const res = await introspect(live);
        times.push(performance.now() - s);
        if (res.status !== 200 || res.body.active !== true) throw new Error(`live token: ${res.status} ${res.text}`);
      }
      const elapsed = (performance.now() - started) / 1000;
      times.sort((a, b) => a - b);
      const pid = (server as unknown as { child?: { pid?: number } }).child?.pid;
      results.push({
        revoked: count, requests: opts.requests, requestsPerSec: opts.requests / elapsed, p50Ms: quantile(times, 0.5), p99Ms: quantile(times, 0.99),
        startMs, serverRssMiB: pid === undefined ? Number.NaN : rssMiB(pid),
      });
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  log();
  printTable(['revoked jtis', 'requests', 'req/s (1 in flight)', 'p50', 'p99', 'server start', 'server RSS'], results.map((r) => [
    int(r.revoked), String(r.requests), int(r.requestsPerSec), ms(r.p50Ms), ms(r.p99Ms), `${(r.startMs / 1000).toFixed(1)} s`, `${r.serverRssMiB.toFixed(0)} MiB`,
  ]), log);
  return results;
}

// Run on its own: node --import tsx bench/introspection-at-scale.ts
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const counts = (process.env.BENCH_REVOKED ?? '1000000,10000000').split(',').map(Number);
  await runIntrospectionAtScaleBench((line = '') => process.stdout.write(`${line}\n`), { revokedCounts: counts, requests: Number(process.env.BENCH_INTROSPECT_REQUESTS ?? 5000) });
}
