/**
 * The hot path (issue 11): what one bearer check costs, at 1 M and at 10 M revoked jtis, side by
 * side in one process, rounds interleaved (bench/measure.ts):
 *
 *   bare        jose `jwtVerify` (EdDSA, issuer + audience) — what issue 21 compares with;
 *   floor       node:crypto `verify` alone on the token's signing input and signature, decoded
 *               beforehand — the hardware floor of a first-seen token (issue 21);
 *   first-seen  the verifier's check of a token it has not seen: `checkAccessToken` with the
 *               verified-token cache (a miss, then an insert that evicts) +
 *               `RevocationState.check`, awaited through an async function as `Verifier.verify` is;
 *   repeat      the same for a token seen before: a cache hit (exp and key compared) + `check`,
 *               called synchronously (allocation-free: the path `Verifier.verify` takes inside
 *               its one promise);
 *   repeat, awaited  the repeat token through an async function, as `Verifier.verify` returns it;
 *   seeds       the seeds' design: jose `jwtVerify` + Redis `EXISTS revoked:<jti>`, 1 and 50 in flight,
 *               against a deny-list holding as many ids as the state;
 *   lookup      `RevocationState.check` alone over 4 096 stamps (revoked and not), ns per call;
 *   and bytes per revoked jti in the replica (heap + typed arrays, after forced GC).
 *
 * first-seen and repeat are exactly the calls `createVerifier().verify` and the service's bearer
 * check make (packages/verifier/src/create-verifier.ts, src/app/authenticate-access-token.ts),
 * minus the staleness test and a metrics counter; the replica is fed in-process rather than over
 * the stream so that 10 M entries load in seconds (the stream itself is in the propagation bench).
 * Issue 21's table (goals MET / NOT MET) ends each size, with the bytes each path allocates per
 * op (heap growth over a run with no GC in it).
 */
import { verify as cryptoVerify } from 'node:crypto';
import { PerformanceObserver } from 'node:perf_hooks';
import { jwtVerify } from 'jose';
import type { Redis } from 'ioredis';
import { RevocationState } from '../src/core/revocation/revocation-state.js';
import type { TokenStamp } from '../src/core/revocation/types.js';
import {
  type VerifyOptions,
  checkAccessToken,
  verifyAccessToken,
} from '../src/core/tokens/access-token.js';
import {
  DEFAULT_VERIFIED_TOKEN_CACHE_SIZE,
  VerifiedTokenCache,
} from '../src/core/tokens/verified-token-cache.js';
import {
  ACCESS_TTL_SECONDS,
  AUDIENCE,
  CLOCK_TOLERANCE_SECONDS,
  ISSUER,
  IdSource,
  applyOtherRevocations,
  applyTokenRevocations,
  makeAccessToken,
  makeKeyRing,
} from './fixtures.js';
import { type Scenario, type ScenarioResult, forceGc, runInterleaved } from './measure.js';
import { cleanup, connectRedis, fillDenylist, revokedKey } from './redis-denylist.js';

export interface HotPathConfig {
  readonly revokedCounts: readonly number[];
  readonly rounds: number;
  readonly slices: number;
  readonly verifyOps: number;
  readonly repeatOps: number;
  readonly redisOps: number;
  readonly redisInFlight: number;
  readonly lookupOps: number;
  readonly redisUrl: string;
}

export interface HotPathSize {
  readonly revoked: number;
  readonly bytesPerRevokedJti: number;
  readonly tableBytesPerRevokedJti: number;
  readonly applyNsPerRecord: number;
  readonly lookupNs: { readonly notRevoked: number; readonly revoked: number };
  readonly scenarios: ScenarioResult[];
  /** Per-op latency (ns) of each scenario, from a separate pass that times every op. */
  readonly latencyNs: Record<
    string,
    { readonly p50: number; readonly p99: number; readonly samples: number }
  >;
  /** 'measured', or why Redis was not. */
  readonly redis: string;
  /** Bytes allocated per op (heap growth over a run without GC), by scenario key. */
  readonly allocatedBytesPerOp: Record<string, number>;
}

/** Distinct tokens for the first-seen rows: more than the cache holds, so cycling through them always misses. */
const FIRST_SEEN_POOL = 16_384;
const REPEAT_POOL = 256;
const STAMP_POOL = 4_096;

export async function runHotPathBench(
  log: (line?: string) => void,
  config: HotPathConfig,
): Promise<HotPathSize[]> {
  if (FIRST_SEEN_POOL <= DEFAULT_VERIFIED_TOKEN_CACHE_SIZE)
    throw new Error('the first-seen pool must exceed the cache');
  const ids = new IdSource();
  const ring = await makeKeyRing();
  if (ring.signing === undefined) throw new Error('no signing key');
  const publicKey = ring.signing.key;
  const out: HotPathSize[] = [];
  const redisConn = await connectRedis(config.redisUrl);
  const redis: Redis | undefined = 'error' in redisConn ? undefined : redisConn.redis;
  if (redis === undefined)
    log(
      `hot path: Redis at ${config.redisUrl} not reachable (${'error' in redisConn ? redisConn.error : ''}): seeds' rows skipped`,
    );
  try {
    for (const count of config.revokedCounts) {
      out.push(await runOneSize(log, config, count, ids, ring, publicKey, redis));
    }
  } finally {
    if (redis !== undefined) {
      await cleanup(redis);
      redis.disconnect();
    }
  }
  return out;
}

async function runOneSize(
  log: (line?: string) => void,
  config: HotPathConfig,
  count: number,
  ids: IdSource,
  ring: Awaited<ReturnType<typeof makeKeyRing>>,
  publicKey: NonNullable<typeof ring.signing>['key'],
  redis: Redis | undefined,
): Promise<HotPathSize> {
  const nowMs = Date.now();
  const nowSec = Math.floor(nowMs / 1000);
  const revokedJtis = Array.from({ length: STAMP_POOL }, () => ids.next());
  log(`hot path, ${fmtCount(count)} revoked: building the replica state...`);
  forceGc();
  const before = process.memoryUsage();
  const state = new RevocationState();
  const t0 = process.hrtime.bigint();
  applyTokenRevocations(state, ids, count, revokedJtis, nowMs);
  const applyNs = Number(process.hrtime.bigint() - t0) / count;
  forceGc();
  const afterFill = process.memoryUsage();
  const bytesPerRevokedJti =
    (afterFill.heapUsed + afterFill.arrayBuffers - before.heapUsed - before.arrayBuffers) / count;
  const tableBytesPerRevokedJti = (afterFill.arrayBuffers - before.arrayBuffers) / count;
  const users = applyOtherRevocations(state, ids, { sessions: 5_000, users: 5_000 }, nowMs);
  log(
    `  ${bytesPerRevokedJti.toFixed(1)} bytes per revoked jti (typed arrays ${tableBytesPerRevokedJti.toFixed(1)}), apply ${applyNs.toFixed(0)} ns/record`,
  );

  log(`  signing ${FIRST_SEEN_POOL} distinct access tokens...`);
  const firstSeen: string[] = [];
  for (let i = 0; i < FIRST_SEEN_POOL; i++)
    firstSeen.push(await makeAccessToken(ring, ids, users[i % users.length]!, ids.next(), nowSec));
  const repeat = firstSeen.slice(0, REPEAT_POOL);
  const cache = new VerifiedTokenCache(DEFAULT_VERIFIED_TOKEN_CACHE_SIZE);
  const repeatCache = new VerifiedTokenCache(DEFAULT_VERIFIED_TOKEN_CACHE_SIZE);
  // One options object, its clock set per call: what createVerifier does (a fresh object and
  // closure per call was most of what a repeat token allocated).
  const verifyOptions: { -readonly [K in keyof VerifyOptions]: VerifyOptions[K] } = {
    issuer: ISSUER,
    audience: AUDIENCE,
    clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS,
    maxLifetimeSeconds: ACCESS_TTL_SECONDS,
    nowSec: 0,
    resolveKey: (kid) => ring.verification.get(kid),
  };
  const options = (): VerifyOptions => {
    verifyOptions.nowSec = Math.floor(Date.now() / 1000);
    return verifyOptions;
  };
  const bareOptions = { algorithms: ['EdDSA'], issuer: ISSUER, audience: AUDIENCE };
  const verifierCheckSync = (token: string, c: VerifiedTokenCache, o = options()): void => {
    const verified = checkAccessToken(token, o, c);
    if (verified instanceof Promise) throw new Error('the ring answered with a promise');
    if (state.check(verified.stamp).revoked) throw new Error('live token reported revoked');
  };
  // As Verifier.verify: an async function around the same calls.
  const verifierCheck = async (token: string, c: VerifiedTokenCache): Promise<void> => {
    verifierCheckSync(token, c);
  };
  for (const token of repeat) await verifierCheck(token, repeatCache);
  // The floor: each first-seen token's signing input and signature, decoded once here.
  const floorInputs = firstSeen.map((t) => Buffer.from(t.slice(0, t.lastIndexOf('.')), 'latin1'));
  const floorSigs = firstSeen.map((t) => Buffer.from(t.slice(t.lastIndexOf('.') + 1), 'base64url'));
  let floorAt = 0;
  const floorVerify = (): void => {
    const i = floorAt++ & (FIRST_SEEN_POOL - 1);
    if (!cryptoVerify(null, floorInputs[i]!, publicKey, floorSigs[i]!)) {
      throw new Error('floor: signature does not hold');
    }
  };
  const liveStamps: TokenStamp[] = [];
  const revokedStamps: TokenStamp[] = [];
  const base = (await verifyAccessToken(repeat[0], options())).stamp;
  for (let i = 0; i < STAMP_POOL; i++) {
    liveStamps.push({ ...base, jti: ids.next() });
    revokedStamps.push({ ...base, jti: revokedJtis[i]! });
  }
  if (!state.check(revokedStamps[0]!).revoked || state.check(liveStamps[0]!).revoked)
    throw new Error('state answers wrongly');

  const firstMask = FIRST_SEEN_POOL - 1;
  const repeatMask = REPEAT_POOL - 1;
  const stampMask = STAMP_POOL - 1;
  let bareAt = 0;
  let firstAt = 0;
  const scenarios: Scenario[] = [
    {
      key: 'bare',
      label: 'bare jose jwtVerify',
      ops: config.verifyOps,
      kind: 'throughput',
      async run(ops) {
        for (let i = 0; i < ops; i++) {
          const { payload } = await jwtVerify(
            firstSeen[bareAt++ & firstMask]!,
            publicKey,
            bareOptions,
          );
          if (payload.jti === undefined) throw new Error('no jti');
        }
      },
    },
    {
      key: 'floor',
      label: 'node:crypto verify alone (the floor)',
      ops: config.verifyOps,
      kind: 'throughput',
      run(ops) {
        for (let i = 0; i < ops; i++) floorVerify();
      },
    },
    {
      key: 'firstSeen',
      label: 'verifier, first-seen token',
      ops: config.verifyOps,
      kind: 'throughput',
      async run(ops) {
        for (let i = 0; i < ops; i++) await verifierCheck(firstSeen[firstAt++ & firstMask]!, cache);
      },
    },
    {
      key: 'repeat',
      label: 'verifier, repeat token',
      ops: config.repeatOps,
      kind: 'throughput',
      run(ops) {
        for (let i = 0; i < ops; i++) verifierCheckSync(repeat[i & repeatMask]!, repeatCache);
      },
    },
    {
      key: 'repeatAwaited',
      label: 'verifier, repeat token, awaited',
      ops: config.repeatOps,
      kind: 'throughput',
      async run(ops) {
        for (let i = 0; i < ops; i++) await verifierCheck(repeat[i & repeatMask]!, repeatCache);
      },
    },
    {
      key: 'lookupLive',
      label: 'RevocationState.check, not revoked',
      ops: config.lookupOps,
      kind: 'latency',
      run(ops) {
        let n = 0;
        for (let i = 0; i < ops; i++) if (state.check(liveStamps[i & stampMask]!).revoked) n++;
        if (n !== 0) throw new Error('live stamp revoked');
      },
    },
    {
      key: 'lookupRevoked',
      label: 'RevocationState.check, revoked',
      ops: config.lookupOps,
      kind: 'latency',
      run(ops) {
        let n = 0;
        for (let i = 0; i < ops; i++) if (state.check(revokedStamps[i & stampMask]!).revoked) n++;
        if (n !== ops) throw new Error('revoked stamp live');
      },
    },
  ];
  let redisNote: HotPathSize['redis'] = 'measured';
  let seedsCheck: ((token: string) => Promise<void>) | undefined;
  if (redis !== undefined) {
    await cleanup(redis);
    log(`  Redis deny-list: writing ${fmtCount(count)} revoked:<jti> keys...`);
    await fillDenylist(redis, ids, count, revokedJtis);
    if ((await redis.exists(revokedKey(revokedJtis[0]!))) !== 1)
      throw new Error('deny-list fill failed');
    let seedsAt = 0;
    seedsCheck = async (token: string): Promise<void> => {
      const { payload } = await jwtVerify(token, publicKey, bareOptions);
      if ((await redis.exists(revokedKey(payload.jti as string))) === 1)
        throw new Error('live token deny-listed');
    };
    scenarios.push(
      {
        key: 'seeds1',
        label: "seeds' design (jose + Redis EXISTS), 1 in flight",
        ops: config.redisOps,
        kind: 'throughput',
        async run(ops) {
          for (let i = 0; i < ops; i++) await seedsCheck!(firstSeen[seedsAt++ & firstMask]!);
        },
      },
      {
        key: 'seeds50',
        label: `seeds' design, ${config.redisInFlight} in flight`,
        ops: config.redisOps * 4,
        kind: 'throughput',
        async run(ops) {
          let next = 0;
          const worker = async (): Promise<void> => {
            while (next < ops) {
              next++;
              await seedsCheck!(firstSeen[seedsAt++ & firstMask]!);
            }
          };
          await Promise.all(Array.from({ length: config.redisInFlight }, worker));
        },
      },
    );
  } else {
    redisNote = 'skipped: redis not reachable';
  }

  log(`  ${config.rounds} rounds × ${config.slices} slices of ${scenarios.length} scenarios...`);
  const results = await runInterleaved(scenarios, {
    rounds: config.rounds,
    slices: config.slices,
    warmupFraction: 0.3,
  });
  const byKey = new Map(results.map((r) => [r.key, r]));
  // Per-op latency: a separate pass (timing every op would weigh on the throughput rounds).
  const latencyNs: HotPathSize['latencyNs'] = {};
  const timed = async (
    key: string,
    samples: number,
    op: (i: number) => Promise<void> | void,
    inFlight = 1,
  ): Promise<void> => {
    const ns: number[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < samples) {
        const i = next++;
        const start = process.hrtime.bigint();
        await op(i);
        ns.push(Number(process.hrtime.bigint() - start));
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    ns.sort((a, b) => a - b);
    latencyNs[key] = {
      p50: ns[Math.floor(ns.length * 0.5)]!,
      p99: ns[Math.floor(ns.length * 0.99)]!,
      samples: ns.length,
    };
  };
  await timed('bare', 2_000, async () => {
    await jwtVerify(firstSeen[bareAt++ & firstMask]!, publicKey, bareOptions);
  });
  await timed('floor', 2_000, floorVerify);
  await timed('firstSeen', 2_000, () => verifierCheck(firstSeen[firstAt++ & firstMask]!, cache));
  await timed('repeat', 20_000, (i) => verifierCheckSync(repeat[i & repeatMask]!, repeatCache));
  await timed('repeatAwaited', 20_000, (i) => verifierCheck(repeat[i & repeatMask]!, repeatCache));
  const allocatedBytesPerOp: Record<string, number> = {
    firstSeen: allocatedPerOp(2_000, () => {
      verifierCheckSync(firstSeen[firstAt++ & firstMask]!, cache);
    }),
    repeat: allocatedPerOp(200_000, (i) => verifierCheckSync(repeat[i & repeatMask]!, repeatCache)),
    // The same without reading the clock (Date.now() returns a fresh HeapNumber in Node 20).
    repeatWithoutClock: allocatedPerOp(200_000, (i) => {
      verifierCheckSync(repeat[i & repeatMask]!, repeatCache, verifyOptions);
    }),
  };
  if (seedsCheck !== undefined) {
    const check = seedsCheck;
    await timed('seeds1', 2_000, () => check(firstSeen[bareAt++ & firstMask]!));
    await timed(
      'seeds50',
      10_000,
      () => check(firstSeen[bareAt++ & firstMask]!),
      config.redisInFlight,
    );
  }
  const size: HotPathSize = {
    revoked: count,
    bytesPerRevokedJti,
    tableBytesPerRevokedJti,
    applyNsPerRecord: applyNs,
    lookupNs: {
      notRevoked: byKey.get('lookupLive')!.medianNsPerOp,
      revoked: byKey.get('lookupRevoked')!.medianNsPerOp,
    },
    scenarios: results,
    latencyNs,
    redis: redisNote,
    allocatedBytesPerOp,
  };
  if (redis !== undefined) await cleanup(redis);
  printIssue21(log, size);
  return size;
}

/**
 * Heap bytes allocated per op by `op` run `ops` times (synchronously): the heap's growth with no
 * GC in between (one would hide what it freed: then NaN). 0 means the path allocates nothing.
 */
function allocatedPerOp(ops: number, op: (i: number) => void): number {
  let gcs = 0;
  const observer = new PerformanceObserver(() => {
    gcs++;
  });
  observer.observe({ entryTypes: ['gc'] });
  for (let i = 0; i < ops; i++) op(i); // optimized before the window
  forceGc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < ops; i++) op(i);
  const grown = process.memoryUsage().heapUsed - before;
  observer.disconnect();
  // GC entries are delivered asynchronously, but any GC in the window shrinks the heap first.
  return gcs > 0 || grown < 0 ? Number.NaN : Math.max(0, grown) / ops;
}

/** Issue 21's figures side by side: bare jose, the floor, first-seen, repeat; goals marked. */
function printIssue21(log: (line?: string) => void, size: HotPathSize): void {
  const get = (key: string): ScenarioResult => size.scenarios.find((s) => s.key === key)!;
  const bare = get('bare').medianOpsPerSec;
  const floor = get('floor').medianOpsPerSec;
  const first = get('firstSeen').medianOpsPerSec;
  const repeat = get('repeat').medianOpsPerSec;
  const mark = (met: boolean): string => (met ? 'MET' : 'NOT MET');
  const bytes = (key: string): string => {
    const b = size.allocatedBytesPerOp[key];
    return b === undefined || Number.isNaN(b) ? 'n/a (a GC ran)' : `${b.toFixed(1)} B/op`;
  };
  // CPU time per op too: on a shared machine wall-clock rates fall with the load, CPU time less.
  const rate = (key: string): string => {
    const s = get(key);
    const perSec = Math.round(s.medianOpsPerSec).toLocaleString('en-US');
    const ns = s.medianNsPerOp.toFixed(0);
    return `${perSec}/s (${ns} ns, CPU ${s.medianCpuNsPerOp.toFixed(0)} ns)`;
  };
  const rounds = get('bare').opsPerSec.length;
  log(`  issue 21, ${fmtCount(size.revoked)} revoked — medians of ${rounds} interleaved rounds:`);
  log(`    bare jose jwtVerify         ${rate('bare')}  1.000 × bare`);
  log(`    node:crypto verify (floor)  ${rate('floor')}  ${(floor / bare).toFixed(3)} × bare`);
  log(
    `    revokd first-seen           ${rate('firstSeen')}  ${(first / bare).toFixed(3)} × bare, ` +
      `${(first / floor).toFixed(3)} × floor; allocates ${bytes('firstSeen')}; ` +
      `goal ≥ 1.0 × bare ${mark(first >= bare)}`,
  );
  log(
    `    revokd repeat               ${rate('repeat')}  allocates ${bytes('repeat')} ` +
      `(${bytes('repeatWithoutClock')} without the clock read); goal ≥ 2 M/s ${mark(repeat >= 2e6)}`,
  );
  log(`    revokd repeat, awaited      ${rate('repeatAwaited')}  (an async API's promise on top)`);
}

function fmtCount(n: number): string {
  return n >= 1_000_000 ? `${n / 1_000_000} M` : n.toLocaleString('en-US');
}
