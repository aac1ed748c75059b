/**
 * `npm run bench` (node --expose-gc --import tsx bench/run.ts)
 *
 * One process, one thread, every operation awaited before the next starts, so each figure is the
 * throughput of one core. Measured side by side, rounds interleaved:
 *
 *   (a)  bare jose `jwtVerify` of a revokd access token (EdDSA KeyObject, issuer + audience);
 *   (b)  revokd's full check: `verifyAccessToken` + `RevocationState.check` against a state holding
 *        1,000,000 revoked tokens (plus sessions, users, clients, a global generation), for a live
 *        token (the common case) and for a revoked one;
 *   (c)  the hand-rolled alternative: jose `jwtVerify` + one Redis `EXISTS revoked:<jti>` round trip;
 *   and `RevocationState.check` alone (ns/op), and heap bytes per revoked-token entry.
 *
 * Knobs (environment): BENCH_ROUNDS, BENCH_SLICES, BENCH_VERIFY_OPS, BENCH_REDIS_OPS, BENCH_CHECK_OPS,
 * BENCH_TOKEN_ENTRIES, BENCH_SESSIONS, BENCH_USERS, BENCH_REDIS_ENTRIES, BENCH_REDIS_URL.
 * Results: stdout, and bench/results/latest.json. Then the scale-out figures (bench/scale-out.ts:
 * propagation between instances per wake-up driver, revoke throughput on SQLite and PostgreSQL),
 * unless BENCH_SCALE_OUT=0.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { jwtVerify } from 'jose';
import { RevocationState } from '../src/core/revocation/revocation-state.js';
import type { TokenStamp } from '../src/core/revocation/types.js';
import { verifyAccessToken, type VerifyOptions } from '../src/core/tokens/access-token.js';
import type { KeyManager } from '../src/keys/key-manager.js';
import { KeyRingHolder } from '../src/keys/key-ring-holder.js';
import {
  ACCESS_TTL_SECONDS, AUDIENCE, CLOCK_TOLERANCE_SECONDS, ISSUER, IdSource, applyOtherRevocations, applyTokenRevocations, makeAccessToken, makeKeyRing,
} from './fixtures.js';
import { type Scenario, type ScenarioResult, forceGc, median, runInterleaved } from './measure.js';
import { cleanup, connectRedis, fillDenylist, revokedKey } from './redis-denylist.js';
import { intEnv } from './env.js';

const config = {
  rounds: intEnv('BENCH_ROUNDS', 7),
  /** Each round is cut into this many slices that alternate between scenarios. */
  slices: intEnv('BENCH_SLICES', 50),
  /** Ops per round for the signature-verifying scenarios. */
  verifyOps: intEnv('BENCH_VERIFY_OPS', 5_000),
  /** Ops per round for the Redis scenarios (one network round trip each). */
  redisOps: intEnv('BENCH_REDIS_OPS', 2_500),
  /** Calls per round for `check` alone. */
  checkOps: intEnv('BENCH_CHECK_OPS', 500_000),
  tokenEntries: intEnv('BENCH_TOKEN_ENTRIES', 1_000_000),
  sessions: intEnv('BENCH_SESSIONS', 5_000),
  users: intEnv('BENCH_USERS', 5_000),
  /** EXISTS is O(1): the deny-list's size barely matters to it, so it is smaller than the state to keep the run short. */
  redisEntries: intEnv('BENCH_REDIS_ENTRIES', 250_000),
  redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
  warmupFraction: 0.3,
  /** Distinct tokens presented in turn (each scenario cycles through its pool). */
  tokenPool: 256,
  /** Distinct stamps for `check` alone (spread over the map rather than one hot bucket). */
  stampPool: 4096,
};

if (config.tokenEntries < config.stampPool) throw new Error(`BENCH_TOKEN_ENTRIES must be at least ${config.stampPool}`);
if (config.redisEntries < config.tokenPool) throw new Error(`BENCH_REDIS_ENTRIES must be at least ${config.tokenPool}`);

const benchStart = process.hrtime.bigint();
const log = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};
const elapsedSec = (): string => (Number(process.hrtime.bigint() - benchStart) / 1e9).toFixed(1);

function packageVersion(name: string): string {
  try {
    const file = fileURLToPath(new URL(`../node_modules/${name}/package.json`, import.meta.url));
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

const loadAtStart = loadavg();
const machine = {
  nproc: availableParallelism(),
  cpu: cpus()[0]?.model ?? 'unknown',
  totalMemGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  node: process.version,
  v8: process.versions.v8,
  openssl: process.versions.openssl,
  jose: packageVersion('jose'),
  ioredis: packageVersion('ioredis'),
  platform: `${process.platform}-${process.arch}`,
};

log(`revokd benchmark — ${new Date().toISOString()}`);
log(`machine: ${machine.nproc} cores (${machine.cpu}), ${machine.totalMemGiB} GiB, node ${machine.node}, jose ${machine.jose}, OpenSSL ${machine.openssl}`);
log(`load average at start: ${fmtLoad(loadAtStart)} (other processes on the machine add noise; the interleaving cancels most of it)`);
log(`config: ${config.rounds} rounds × ${config.slices} slices; ${config.verifyOps} ops/round (verify), ${config.redisOps} ops/round (Redis), ` +
  `${config.checkOps} calls/round (check alone); ${config.tokenEntries} revoked tokens, ${config.sessions} sessions, ${config.users} users`);
log();

// ---------------------------------------------------------------------------------------------
// Memory per revoked-token entry, on a fresh state, before anything else fills the heap.
// ---------------------------------------------------------------------------------------------
const ids = new IdSource();
const nowMs = Date.now();
const nowSec = Math.floor(nowMs / 1000);
const revokedJtis = Array.from({ length: config.stampPool }, () => ids.next());
const ring = await makeKeyRing();

log(`[${elapsedSec()}s] applying ${config.tokenEntries} token revocations to a fresh RevocationState...`);
forceGc();
const heapBefore = process.memoryUsage();
const state = new RevocationState();
const applyStart = process.hrtime.bigint();
applyTokenRevocations(state, ids, config.tokenEntries, revokedJtis, nowMs);
const applyNs = Number(process.hrtime.bigint() - applyStart);
forceGc();
const heapAfter = process.memoryUsage();
const memory = {
  entries: state.size().tokens,
  heapUsedBefore: heapBefore.heapUsed,
  heapUsedAfter: heapAfter.heapUsed,
  bytesPerEntry: (heapAfter.heapUsed - heapBefore.heapUsed) / state.size().tokens,
  rssBytesPerEntry: (heapAfter.rss - heapBefore.rss) / state.size().tokens,
  applyNsPerRecord: applyNs / config.tokenEntries,
};
log(`[${elapsedSec()}s] heapUsed ${mib(memory.heapUsedBefore)} → ${mib(memory.heapUsedAfter)}: ` +
  `${memory.bytesPerEntry.toFixed(1)} bytes/entry (apply: ${memory.applyNsPerRecord.toFixed(0)} ns/record)`);

const users = applyOtherRevocations(state, ids, { sessions: config.sessions, users: config.users }, nowMs);
log(`[${elapsedSec()}s] state: ${JSON.stringify(state.size())}`);

// ---------------------------------------------------------------------------------------------
// Tokens: a pool of live ones and a pool of revoked ones (their jtis are in the 1M above).
// ---------------------------------------------------------------------------------------------
const liveTokens: string[] = [];
const revokedTokens: string[] = [];
for (let i = 0; i < config.tokenPool; i++) {
  const user = users[i % users.length]!;
  liveTokens.push(await makeAccessToken(ring, ids, user, ids.next(), nowSec));
  revokedTokens.push(await makeAccessToken(ring, ids, user, revokedJtis[i]!, nowSec));
}
const tokenBytes = liveTokens[0]!.length;

// The production key lookup: KeyRingHolder.resolve (async, a Map hit), as authenticateAccessToken uses it.
const holder = await KeyRingHolder.create({ loadRing: async () => ring } as unknown as KeyManager);
if (ring.signing === undefined) throw new Error('the bench ring has no signing key');
const publicKey = ring.signing.key;
const verifyOptions = (): VerifyOptions => ({
  issuer: ISSUER,
  audience: AUDIENCE,
  clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS,
  maxLifetimeSeconds: ACCESS_TTL_SECONDS,
  nowSec: Math.floor(Date.now() / 1000),
  resolveKey: (kid) => holder.resolve(kid),
});
const bareOptions = { algorithms: ['EdDSA'], issuer: ISSUER, audience: AUDIENCE };

// Sanity: every token verifies, and the state gives the expected answer for each.
const liveStamps: TokenStamp[] = [];
const revokedStamps: TokenStamp[] = [];
for (let i = 0; i < config.tokenPool; i++) {
  const live = await verifyAccessToken(liveTokens[i], verifyOptions());
  const revoked = await verifyAccessToken(revokedTokens[i], verifyOptions());
  if (state.check(live.stamp).revoked) throw new Error('live token reported revoked');
  const outcome = state.check(revoked.stamp);
  if (!outcome.revoked || outcome.scope !== 'token') throw new Error('revoked token not reported revoked by token');
  liveStamps.push(live.stamp);
  revokedStamps.push(revoked.stamp);
}
for (let i = config.tokenPool; i < config.stampPool; i++) {
  const base = liveStamps[i % config.tokenPool]!;
  liveStamps.push({ ...base, jti: ids.next() });
  revokedStamps.push({ ...base, jti: revokedJtis[i]! });
}
log(`[${elapsedSec()}s] ${config.tokenPool} live + ${config.tokenPool} revoked access tokens (${tokenBytes} chars each), all verified`);

// ---------------------------------------------------------------------------------------------
// Scenarios.
// ---------------------------------------------------------------------------------------------
const tokenMask = config.tokenPool - 1;
const stampMask = config.stampPool - 1;
if ((config.tokenPool & tokenMask) !== 0 || (config.stampPool & stampMask) !== 0) throw new Error('pools must be powers of two');

/**
 * `check` as the full check runs it: right after a signature verification has walked through
 * other memory, so the 1M-entry map is no longer in the CPU caches. Timed inside scenarios (b) and
 * (b') around the `check` call alone; the cost of reading the clock is measured and subtracted.
 */
const inSitu = { live: { ns: 0, n: 0 }, revoked: { ns: 0, n: 0 } };
const timerOverheadNs = (() => {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 5; r++) {
    const n = 200_000;
    const t0 = process.hrtime.bigint();
    let sink = 0n;
    for (let i = 0; i < n; i++) {
      const a = process.hrtime.bigint();
      sink += process.hrtime.bigint() - a;
    }
    if (sink < 0n) throw new Error('clock went backwards');
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / n);
  }
  return best;
})();
const timedCheck = (stamp: TokenStamp, into: { ns: number; n: number }): boolean => {
  const t0 = process.hrtime.bigint();
  const revoked = state.check(stamp).revoked;
  into.ns += Number(process.hrtime.bigint() - t0);
  into.n++;
  return revoked;
};

const scenarios: Scenario[] = [
  {
    key: 'bareVerify', label: '(a)  bare jose jwtVerify (EdDSA)', ops: config.verifyOps, kind: 'throughput',
    async run(ops) {
      for (let i = 0; i < ops; i++) {
        const { payload } = await jwtVerify(liveTokens[i & tokenMask]!, publicKey, bareOptions);
        if (payload.jti === undefined) throw new Error('no jti');
      }
    },
  },
  {
    key: 'verifyAccessTokenOnly', label: '     verifyAccessToken only (no revocation)', ops: config.verifyOps, kind: 'throughput',
    async run(ops) {
      for (let i = 0; i < ops; i++) {
        const verified = await verifyAccessToken(liveTokens[i & tokenMask], verifyOptions());
        if (verified.stamp.jti === '') throw new Error('no jti');
      }
    },
  },
  {
    key: 'fullCheckLive', label: '(b)  verifyAccessToken + check, not revoked', ops: config.verifyOps, kind: 'throughput',
    async run(ops) {
      for (let i = 0; i < ops; i++) {
        const verified = await verifyAccessToken(liveTokens[i & tokenMask], verifyOptions());
        // Time one check in 16 in place (the clock reads would otherwise weigh on the throughput).
        const revoked = (i & 15) === 0 ? timedCheck(verified.stamp, inSitu.live) : state.check(verified.stamp).revoked;
        if (revoked) throw new Error('live token reported revoked');
      }
    },
  },
  {
    key: 'fullCheckRevoked', label: "(b') verifyAccessToken + check, revoked", ops: config.verifyOps, kind: 'throughput',
    async run(ops) {
      for (let i = 0; i < ops; i++) {
        const verified = await verifyAccessToken(revokedTokens[i & tokenMask], verifyOptions());
        const revoked = (i & 15) === 0 ? timedCheck(verified.stamp, inSitu.revoked) : state.check(verified.stamp).revoked;
        if (!revoked) throw new Error('revoked token reported live');
      }
    },
  },
  {
    key: 'checkLive', label: '     RevocationState.check alone, not revoked', ops: config.checkOps, kind: 'latency',
    run(ops) {
      let revoked = 0;
      for (let i = 0; i < ops; i++) {
        if (state.check(liveStamps[i & stampMask]!).revoked) revoked++;
      }
      if (revoked !== 0) throw new Error('live stamp reported revoked');
    },
  },
  {
    key: 'checkRevoked', label: '     RevocationState.check alone, revoked', ops: config.checkOps, kind: 'latency',
    run(ops) {
      let revoked = 0;
      for (let i = 0; i < ops; i++) {
        if (state.check(revokedStamps[i & stampMask]!).revoked) revoked++;
      }
      if (revoked !== ops) throw new Error('revoked stamp reported live');
    },
  },
];

let redisStatus: { reachable: true; version: string; entries: number; deletedAfter: number | null } | { reachable: false; reason: string };
const connected = await connectRedis(config.redisUrl);
if ('error' in connected) {
  redisStatus = { reachable: false, reason: connected.error };
  log(`[${elapsedSec()}s] Redis at ${config.redisUrl}: skipped: redis not reachable (${connected.error})`);
} else {
  const { redis } = connected;
  const info = await redis.info('server');
  const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  redisStatus = { reachable: true, version, entries: config.redisEntries, deletedAfter: null };
  const stale = await cleanup(redis);
  if (stale > 0) log(`[${elapsedSec()}s] removed ${stale} keys left by an earlier run`);
  log(`[${elapsedSec()}s] Redis ${version} at ${config.redisUrl}: writing ${config.redisEntries} revoked:<jti> keys...`);
  await fillDenylist(redis, ids, config.redisEntries, revokedJtis);
  if (await redis.exists(revokedKey(revokedJtis[0]!)) !== 1) throw new Error('deny-list fill failed');
  const denylisted = async (token: string): Promise<boolean> => {
    const { payload } = await jwtVerify(token, publicKey, bareOptions);
    return (await redis.exists(revokedKey(payload.jti as string))) === 1;
  };
  scenarios.push(
    {
      key: 'redisLive', label: '(c)  jose jwtVerify + Redis EXISTS, not revoked', ops: config.redisOps, kind: 'throughput',
      async run(ops) {
        for (let i = 0; i < ops; i++) {
          if (await denylisted(liveTokens[i & tokenMask]!)) throw new Error('live token deny-listed');
        }
      },
    },
    {
      key: 'redisRevoked', label: "(c') jose jwtVerify + Redis EXISTS, revoked", ops: config.redisOps, kind: 'throughput',
      async run(ops) {
        for (let i = 0; i < ops; i++) {
          if (!(await denylisted(revokedTokens[i & tokenMask]!))) throw new Error('revoked token not deny-listed');
        }
      },
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Run, then clean Redis up whatever happened.
// ---------------------------------------------------------------------------------------------
let results: ScenarioResult[];
try {
  log(`[${elapsedSec()}s] warm-up, then ${config.rounds} rounds of ${scenarios.length} scenarios, ${config.slices} interleaved slices each...`);
  results = await runInterleaved(scenarios, {
    rounds: config.rounds,
    slices: config.slices,
    warmupFraction: config.warmupFraction,
    onWarm: () => {
      inSitu.live = { ns: 0, n: 0 };
      inSitu.revoked = { ns: 0, n: 0 };
    },
    onRound: (round) => log(`[${elapsedSec()}s]   round ${round + 1}/${config.rounds} done`),
  });
} finally {
  if (!('error' in connected)) {
    const deleted = await cleanup(connected.redis);
    if (redisStatus.reachable) redisStatus.deletedAfter = deleted;
    log(`[${elapsedSec()}s] Redis: deleted ${deleted} revokd-bench:* keys`);
    connected.redis.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// Report.
// ---------------------------------------------------------------------------------------------
const byKey = new Map(results.map((r) => [r.key, r]));
const get = (key: string): ScenarioResult => {
  const r = byKey.get(key);
  if (r === undefined) throw new Error(`no result for ${key}`);
  return r;
};
const bare = get('bareVerify');
const full = get('fullCheckLive');
const fullRevoked = get('fullCheckRevoked');
const verifyOnly = get('verifyAccessTokenOnly');
const checkLive = get('checkLive');
const checkRevoked = get('checkRevoked');

/** Per-round ratios b/a: both ran in the same round, minutes apart at most. */
const pairedRatios = (a: ScenarioResult, b: ScenarioResult): number[] => b.opsPerSec.map((v, i) => v / a.opsPerSec[i]!);
const ratio = full.medianOpsPerSec / bare.medianOpsPerSec;
const ratioRevoked = fullRevoked.medianOpsPerSec / bare.medianOpsPerSec;
const paired = pairedRatios(bare, full);
const cpuRatio = bare.medianCpuNsPerOp / full.medianCpuNsPerOp;
const inSituNs = {
  notRevoked: Math.max(0, inSitu.live.ns / inSitu.live.n - timerOverheadNs),
  revoked: Math.max(0, inSitu.revoked.ns / inSitu.revoked.n - timerOverheadNs),
  timerOverheadNs,
  samples: inSitu.live.n,
};
const TARGET = 0.95;

log();
log(`Results — medians of ${config.rounds} rounds, one thread, ops awaited one at a time (higher ops/s is better)`);
const header = ['scenario', 'median ops/s', 'min – max ops/s', 'per op', 'vs (a)', 'CPU/op', 'GC %'];
const rows: string[][] = results
  .filter((r) => r.key !== 'checkLive' && r.key !== 'checkRevoked')
  .map((r) => [
    r.label,
    fmtInt(r.medianOpsPerSec),
    `${fmtInt(r.minOpsPerSec)} – ${fmtInt(r.maxOpsPerSec)}`,
    fmtDuration(r.medianNsPerOp),
    (r.medianOpsPerSec / bare.medianOpsPerSec).toFixed(3),
    fmtDuration(r.medianCpuNsPerOp),
    ((100 * r.gc.pauseMs) / r.gc.timedMs).toFixed(1),
  ]);
for (const r of [checkLive, checkRevoked]) {
  rows.push([r.label, fmtInt(r.medianOpsPerSec), `${fmtInt(r.minOpsPerSec)} – ${fmtInt(r.maxOpsPerSec)}`, fmtDuration(r.medianNsPerOp), '—',
    fmtDuration(r.medianCpuNsPerOp), ((100 * r.gc.pauseMs) / r.gc.timedMs).toFixed(1)]);
}
if (!redisStatus.reachable) rows.push(['(c)  jose jwtVerify + Redis EXISTS', 'skipped', '', '', '', '', '']);
printTable(header, rows);
log('per op = wall time per op (1 / ops/s); CPU/op = this process\'s CPU time per op, all threads (the libuv pool that');
log('runs the Ed25519 verify included; the Redis server\'s own CPU is not); GC % = share of timed wall time in GC pauses.');

log();
log(`RATIO full check / bare verify (not revoked) = ${ratio.toFixed(3)}  ` +
  `(target ≥ ${TARGET}: ${ratio >= TARGET ? 'MET' : 'NOT MET'}; per-round ratios ${fmtRange(paired)}, median ${median(paired).toFixed(3)})`);
log(`RATIO full check / bare verify (revoked)     = ${ratioRevoked.toFixed(3)}`);
log(`RATIO by CPU time per op (bare / full, not revoked) = ${cpuRatio.toFixed(3)}`);
log(`cost over bare verify, per op: verifyAccessToken ${fmtDelta(verifyOnly.medianNsPerOp - bare.medianNsPerOp)}, ` +
  `full check ${fmtDelta(full.medianNsPerOp - bare.medianNsPerOp)}`);
log(`CHECK RevocationState.check: ${checkLive.medianNsPerOp.toFixed(0)} ns not revoked, ${checkRevoked.medianNsPerOp.toFixed(0)} ns revoked ` +
  `(alone, tight loop, caches warm); ${inSituNs.notRevoked.toFixed(0)} ns not revoked, ${inSituNs.revoked.toFixed(0)} ns revoked ` +
  `(in situ, right after a verify, mean of ${inSituNs.samples} calls, clock overhead ${timerOverheadNs.toFixed(0)} ns subtracted)`);
if (redisStatus.reachable) {
  const redisLive = get('redisLive');
  log(`jose + Redis EXISTS / bare verify = ${(redisLive.medianOpsPerSec / bare.medianOpsPerSec).toFixed(3)}; ` +
    `full check / (jose + Redis) = ${(full.medianOpsPerSec / redisLive.medianOpsPerSec).toFixed(2)}×; ` +
    `Redis adds ${fmtDelta(redisLive.medianNsPerOp - bare.medianNsPerOp)} per op`);
} else {
  log('(c) jose + Redis EXISTS: skipped: redis not reachable');
}
log(`MEMORY ${memory.bytesPerEntry.toFixed(1)} bytes per revoked-token entry (heapUsed, ${memory.entries} entries, after forced GC; ` +
  `${mib(memory.heapUsedAfter - memory.heapUsedBefore)} total; RSS delta ${memory.rssBytesPerEntry.toFixed(1)} bytes/entry)`);

const loadAtEnd = loadavg();
log(`load average at end: ${fmtLoad(loadAtEnd)}`);

const totalSec = Number(process.hrtime.bigint() - benchStart) / 1e9;
const json = {
  date: new Date().toISOString(),
  command: 'npm run bench  (node --expose-gc --import tsx bench/run.ts)',
  machine,
  loadAverage: { start: loadAtStart, end: loadAtEnd },
  config: { ...config, redisUrl: undefined, tokenBytes },
  redis: redisStatus,
  ratio: {
    fullCheckOverBareVerify: ratio,
    fullCheckRevokedOverBareVerify: ratioRevoked,
    bareCpuOverFullCheckCpu: cpuRatio,
    pairedPerRound: paired,
    target: TARGET,
    targetMet: ratio >= TARGET,
  },
  memory,
  checkNsPerOp: { notRevoked: checkLive.medianNsPerOp, revoked: checkRevoked.medianNsPerOp },
  checkInSituNsPerOp: inSituNs,
  scenarios: results,
  totalSeconds: totalSec,
};
const outDir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(outDir, { recursive: true });
const outFile = `${outDir}latest.json`;
writeFileSync(outFile, `${JSON.stringify(json, null, 2)}\n`);
log();
log(`wrote ${outFile}; total ${totalSec.toFixed(1)} s`);

// The scale-out figures (real instances on PostgreSQL, SQLite and Redis): bench/scale-out.ts.
if (process.env.BENCH_SCALE_OUT !== '0') {
  log();
  const { runScaleOutBench } = await import('./scale-out.js');
  await runScaleOutBench(log);
}

// /oauth/introspect (API token) and /oauth/revoke vs node-oidc-provider: bench/http-throughput.ts.
if (process.env.BENCH_HTTP !== '0') {
  log();
  const { runHttpThroughputBench } = await import('./http-throughput.js');
  await runHttpThroughputBench(log);
}

// ---------------------------------------------------------------------------------------------

function fmtLoad(load: readonly number[]): string {
  return load.map((l) => l.toFixed(2)).join(' ');
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function fmtDuration(ns: number): string {
  if (Math.abs(ns) >= 1000) return `${(ns / 1000).toFixed(2)} µs`;
  return `${ns.toFixed(1)} ns`;
}

function fmtDelta(ns: number): string {
  return `${ns >= 0 ? '+' : '−'}${fmtDuration(Math.abs(ns))}`;
}

function fmtRange(values: readonly number[]): string {
  return `${Math.min(...values).toFixed(3)}–${Math.max(...values).toFixed(3)}`;
}

function printTable(head: readonly string[], body: readonly string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  log(line(head));
  log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of body) log(line(row));
}
