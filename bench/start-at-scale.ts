/**
 * Issue 21, "start at scale": how long a revokd server takes to start (spawn → /readyz 200) on a
 * store holding 1 M / 10 M live token revocations, and its RSS once started (steady) and at its
 * peak while loading (/proc/<pid>/status VmHWM) — on SQLite and PostgreSQL; and a verifier's first
 * snapshot over the push stream at 1 M (createVerifier → ready, in its own process, and that
 * process's RSS). The rows are written while the server is down (test/support/bulk-revocations.ts,
 * the feed chain not advanced: nothing here checks a stream proof over them).
 *
 * Alone: `npm run build && node --import tsx bench/start-at-scale.ts`. Knobs: BENCH_START_CASES
 * (comma list of backend:count, default sqlite:1000000,postgres:1000000,sqlite:10000000),
 * BENCH_START_VERIFIER=0 skips the verifier. Writes bench/results/start-at-scale.json.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { bulkRevokePostgres, bulkRevokeSqlite } from '../test/support/bulk-revocations.js';
import { type TestDatabase, createTestDatabase } from '../test/support/postgres.js';
import type { Backend } from '../test/support/server-on-backend.js';
import { ServerProcess, sleep, tempDir } from '../test/support/server-process.js';
import { STREAM_PATH, createStreamClient } from '../test/support/stream-setup.js';
import { writeResult } from './results-file.js';
import { NO_LIMITS } from './revoke-throughput.js';
import { printTable } from './table.js';
import { startChild, stopChild } from './verifier-propagation.js';

export interface StartCase {
  readonly backend: Backend;
  readonly revoked: number;
  readonly fillMs: number;
  /** spawn → /readyz 200. */
  readonly startMs: number;
  /** VmRSS 3 s after ready; VmHWM (the peak since the process started). */
  readonly steadyRssMiB: number;
  readonly peakRssMiB: number;
  readonly goal: string;
  readonly met: boolean;
}

export interface VerifierFirstSnapshot {
  readonly revoked: number;
  /** fork → createVerifier resolved (its first snapshot received, verified and loaded). */
  readonly firstSnapshotMs: number;
  readonly steadyRssMiB: number;
  readonly peakRssMiB: number;
  /** The server's RSS before the verifier connected, and its peak while it sent the snapshot. */
  readonly serverSteadyRssMiB?: number;
  readonly serverPeakRssMiB?: number;
  readonly goal: string;
  readonly met: boolean;
}

export interface StartAtScaleResult {
  readonly starts: readonly StartCase[];
  readonly verifier?: VerifierFirstSnapshot;
}

/**
 * Resets the peak RSS (VmHWM) of a process of ours to its current RSS (Linux: `5` to clear_refs),
 * so a later VmHWM is the peak of what happened in between. False where the kernel refuses.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export function procStatusMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN) / 1024;
  } catch {
    return Number.NaN;
  }
}

/** Issue 21's goals: 1 M ≤ 2 s and ≤ 150 MiB; 10 M ≤ 20 s and a peak ≤ 2× the steady size. */
function judge(
  revoked: number,
  startMs: number,
  steady: number,
  peak: number,
): { goal: string; met: boolean } {
  if (revoked <= 1_000_000)
    return { goal: '≤ 2 s, ≤ 150 MiB RSS', met: startMs <= 2_000 && steady <= 150 };
  return { goal: '≤ 20 s, peak ≤ 2× steady', met: startMs <= 20_000 && peak <= 2 * steady };
}

function parseCases(): Array<{ backend: Backend; revoked: number }> {
  const raw = process.env.BENCH_START_CASES ?? 'sqlite:1000000,postgres:1000000,sqlite:10000000';
  return raw.split(',').map((c) => {
    const [backend, count] = c.trim().split(':');
    if (backend !== 'sqlite' && backend !== 'postgres')
      throw new Error(`BENCH_START_CASES: unknown backend in "${c}"`);
    return { backend, revoked: Number(count?.replaceAll('_', '')) };
  });
}

async function runCase(
  log: (line?: string) => void,
  backend: Backend,
  revoked: number,
  withVerifier: boolean,
): Promise<{ start: StartCase; verifier?: VerifierFirstSnapshot }> {
  const dataDir = tempDir('start-scale');
  const db: TestDatabase | undefined =
    backend === 'postgres' ? await createTestDatabase('bench_start') : undefined;
  const env = {
    ...NO_LIMITS,
    REVOKD_LOG_LEVEL: 'warn',
    ...(db === undefined
      ? {}
      : { REVOKD_DATABASE_URL: db.url, REVOKD_SECRET: randomBytes(32).toString('hex') }),
  };
  const server = await ServerProcess.start({
    command: [process.execPath, 'dist/src/cli/main.js', 'serve'],
    dataDir,
    env,
    // The restart on millions of rows is what is measured: give it far longer than a test would.
    readyTimeoutMs: 600_000,
  });
  try {
    const stream = withVerifier
      ? await createStreamClient((args) => server.cli(args), 'bench first snapshot')
      : undefined;
    await server.kill();
    const fill0 = performance.now();
    if (db === undefined)
      bulkRevokeSqlite(path.join(dataDir, 'revokd.db'), { count: revoked, chain: false });
    else await bulkRevokePostgres(db.url, { count: revoked, chain: false });
    const fillMs = performance.now() - fill0;
    const t0 = performance.now();
    await server.spawn();
    const startMs = performance.now() - t0;
    await sleep(3_000);
    const steadyRssMiB = procStatusMiB(server.pid, 'VmRSS');
    const peakRssMiB = procStatusMiB(server.pid, 'VmHWM');
    const start: StartCase = {
      backend,
      revoked,
      fillMs,
      startMs,
      steadyRssMiB,
      peakRssMiB,
      ...judge(revoked, startMs, steadyRssMiB, peakRssMiB),
    };
    log(
      `  ${backend} ${revoked}: filled in ${(fillMs / 1000).toFixed(1)} s, started in ${(startMs / 1000).toFixed(2)} s, RSS ${steadyRssMiB.toFixed(0)} MiB (peak ${peakRssMiB.toFixed(0)})`,
    );
    if (stream === undefined) return { start };
    const options = {
      issuer: server.url,
      audience: server.url,
      jwksUri: `${server.url}/.well-known/jwks.json`,
      stream: {
        url: `${server.url}${STREAM_PATH}`,
        clientId: stream.client_id,
        clientSecret: stream.client_secret,
      },
      maxStalenessMs: 60_000,
      failMode: 'closed',
      startTimeoutMs: 300_000,
    };
    const serverSteady = procStatusMiB(server.pid, 'VmRSS');
    const serverPeakKnown = resetPeakRss(server.pid);
    const v0 = performance.now();
    const child = await startChild(options);
    const firstSnapshotMs = performance.now() - v0;
    try {
      const serverPeak = serverPeakKnown ? procStatusMiB(server.pid, 'VmHWM') : Number.NaN;
      await sleep(2_000);
      const pid = child.process.pid as number;
      const vSteady = procStatusMiB(pid, 'VmRSS');
      const vPeak = procStatusMiB(pid, 'VmHWM');
      // Both ends bounded: the server's peak while sending is judged against its own steady size.
      const met =
        firstSnapshotMs <= 3_000 && vPeak <= 2 * vSteady && !(serverPeak > 2 * serverSteady);
      log(
        `  verifier's first snapshot at ${revoked}: ${(firstSnapshotMs / 1000).toFixed(2)} s, ` +
          `verifier RSS ${vSteady.toFixed(0)} MiB (peak ${vPeak.toFixed(0)}), server RSS ` +
          `${serverSteady.toFixed(0)} MiB before (peak while sending ${serverPeak.toFixed(0)})`,
      );
      return {
        start,
        verifier: {
          revoked,
          firstSnapshotMs,
          steadyRssMiB: vSteady,
          peakRssMiB: vPeak,
          serverSteadyRssMiB: serverSteady,
          serverPeakRssMiB: serverPeak,
          goal: '≤ 3 s, peak ≤ 2× steady (both ends)',
          met,
        },
      };
    } finally {
      await stopChild(child);
    }
  } finally {
    await server.stop();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function runStartAtScaleBench(
  log: (line?: string) => void,
): Promise<StartAtScaleResult> {
  log(
    "start at scale (issue 21): server start on a store of N live revocations; a verifier's first snapshot",
  );
  const starts: StartCase[] = [];
  let verifier: VerifierFirstSnapshot | undefined;
  const wantVerifier = process.env.BENCH_START_VERIFIER !== '0';
  for (const { backend, revoked } of parseCases()) {
    const first = wantVerifier && verifier === undefined && revoked === 1_000_000;
    const r = await runCase(log, backend, revoked, first);
    starts.push(r.start);
    verifier ??= r.verifier;
  }
  const mib = (v: number): string => `${v.toFixed(0)} MiB`;
  const rows = starts.map((s) => [
    `server start, ${s.backend}`,
    s.revoked.toLocaleString('en'),
    `${(s.startMs / 1000).toFixed(2)} s`,
    mib(s.steadyRssMiB),
    mib(s.peakRssMiB),
    `${s.goal} ${s.met ? 'MET' : 'NOT MET'}`,
  ]);
  if (verifier !== undefined) {
    const v = verifier;
    if (v.serverSteadyRssMiB !== undefined && v.serverPeakRssMiB !== undefined)
      rows.push([
        'server sending it',
        v.revoked.toLocaleString('en'),
        '',
        mib(v.serverSteadyRssMiB),
        mib(v.serverPeakRssMiB),
        '',
      ]);
    rows.push([
      'verifier first snapshot (stream)',
      v.revoked.toLocaleString('en'),
      `${(v.firstSnapshotMs / 1000).toFixed(2)} s`,
      mib(v.steadyRssMiB),
      mib(v.peakRssMiB),
      `${v.goal} ${v.met ? 'MET' : 'NOT MET'}`,
    ]);
  }
  printTable(['what', 'revocations', 'time', 'RSS steady', 'RSS peak', 'goal'], rows, log, 2);
  const result: StartAtScaleResult = { starts, ...(verifier === undefined ? {} : { verifier }) };
  writeResult('start-at-scale', { ...result });
  return result;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runStartAtScaleBench((line = '') => process.stdout.write(`${line}\n`));
}
