/**
 * `npm run bench` (builds, then node --expose-gc --import tsx bench/run.ts): every figure issue 11
 * asks for, in one run, ending in ONE summary table with ratios and p50/p99 (also in
 * bench/results/latest.json), then the "Issue 21 goals" table (bench/issue21-goals.ts: each of
 * the issue's figures from the part that measures it, with its goal and MET / NOT MET). The
 * parts, each with its own file and its own detailed table:
 *
 *   1. the hot path at 1 M and 10 M revoked jtis (bench/hot-path.ts): bare jose, verifier
 *      first-seen and repeat token, the seeds' design (jose + Redis EXISTS, 1 and 50 in flight),
 *      RevocationState.check alone, bytes per revoked jti;
 *   2. introspection over HTTP per request against a real revokd holding 1 M / 10 M revocations
 *      (bench/introspection-at-scale.ts);
 *   3. propagation revoke-through-API → rejected by verifiers in other processes, 1 and 4
 *      verifiers (bench/verifier-propagation.ts);
 *   4. /oauth/introspect (API token) and /oauth/revoke against node-oidc-provider under autocannon
 *      (bench/http-throughput.ts);
 *   5. scale-out: propagation between instances per wake-up, revoke throughput per store
 *      (bench/scale-out.ts);
 *   6. IP block propagation between instances: block on A → 403 from B, PostgreSQL with
 *      LISTEN/NOTIFY (bench/ip-block-propagation.ts);
 *   7. propagation to a verifier whose stream goes through HAProxy (scripts/cluster's template),
 *      beside one connected directly, on the same revocations (bench/verifier-behind-haproxy.ts).
 *   8. the forward-auth gateway's added latency: nginx + `revokd-verifier serve` (auth_request, the
 *      documented example config) vs nginx alone, same upstream, same run (bench/gateway-latency.ts);
 *   9. the Python verifier (packages/verifier-python, built and installed into a fresh venv):
 *      verify of a repeat and a first-seen token vs bare PyJWT (bench/python-verify.ts).
 *  10. start at scale (issue 21): server start time and RSS on 1 M / 10 M live revocations, and a
 *      verifier's first snapshot over the stream at 1 M (bench/start-at-scale.ts).
 *  11. introspection while revocations are committed, revokd vs node-oidc-provider
 *      (bench/introspect-during-revocations.ts).
 *
 * Skip parts with BENCH_HOT_PATH=0, BENCH_INTROSPECT_SCALE=0, BENCH_VERIFIER_PROPAGATION=0,
 * BENCH_HTTP=0, BENCH_SCALE_OUT=0, BENCH_IP_BLOCK_PROPAGATION=0, BENCH_VERIFIER_HAPROXY=0, BENCH_GATEWAY=0, BENCH_PYTHON=0, BENCH_START_AT_SCALE=0, BENCH_MIXED=0. Knobs of part 1: BENCH_REVOKED (comma list, default
 * 1000000,10000000), BENCH_ROUNDS, BENCH_SLICES, BENCH_VERIFY_OPS, BENCH_REPEAT_OPS,
 * BENCH_REDIS_OPS, BENCH_REDIS_IN_FLIGHT, BENCH_LOOKUP_OPS, BENCH_REDIS_URL; the other parts
 * document theirs. No test asserts any of these numbers.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { intEnv } from './env.js';
import { type HotPathSize, runHotPathBench } from './hot-path.js';
import { duration, int, ms, printTable } from './table.js';
import type { ScenarioResult } from './measure.js';
import type { IntrospectionAtScaleResult } from './introspection-at-scale.js';
import type { VerifierPropagationResult } from './verifier-propagation.js';
import { issue21Goals, printIssue21Goals } from './issue21-goals.js';

const log = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};
const enabled = (name: string): boolean => process.env[name] !== '0';

function packageVersion(name: string): string {
  try {
    const file = fileURLToPath(new URL(`../node_modules/${name}/package.json`, import.meta.url));
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function revokedCounts(): number[] {
  const raw = process.env.BENCH_REVOKED ?? '1000000,10000000';
  const list = raw.split(',').map((s) => Number(s.trim().replaceAll('_', '')));
  for (const n of list)
    if (!Number.isSafeInteger(n) || n < 4096)
      throw new Error(`BENCH_REVOKED: each count must be a whole number ≥ 4096, got "${raw}"`);
  return list;
}

const started = Date.now();
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
  oidcProvider: packageVersion('oidc-provider'),
};
log(`revokd benchmark — ${new Date(started).toISOString()}`);
log(
  `machine: ${machine.nproc} cores (${machine.cpu}), ${machine.totalMemGiB} GiB, node ${machine.node}, jose ${machine.jose}, OpenSSL ${machine.openssl}`,
);
log(
  `load average at start: ${loadAtStart.map((l) => l.toFixed(2)).join(' ')} (a shared machine: read ratios from one run, not absolute figures)`,
);
log();

/** One line of the summary table. */
interface SummaryRow {
  readonly part: string;
  readonly row: string;
  readonly value: string;
  readonly p50: string;
  readonly p99: string;
  readonly ratio: string;
  readonly target: string;
}
const summary: SummaryRow[] = [];
const json: Record<string, unknown> = {
  date: new Date(started).toISOString(),
  command: 'npm run bench',
  machine,
  loadAverageAtStart: loadAtStart,
};

// 1. The hot path.
if (enabled('BENCH_HOT_PATH')) {
  const config = {
    revokedCounts: revokedCounts(),
    rounds: intEnv('BENCH_ROUNDS', 5),
    slices: intEnv('BENCH_SLICES', 25),
    verifyOps: intEnv('BENCH_VERIFY_OPS', 4_000),
    repeatOps: intEnv('BENCH_REPEAT_OPS', 200_000),
    redisOps: intEnv('BENCH_REDIS_OPS', 2_000),
    redisInFlight: intEnv('BENCH_REDIS_IN_FLIGHT', 50),
    lookupOps: intEnv('BENCH_LOOKUP_OPS', 500_000),
    redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
  const sizes = await runHotPathBench(log, config);
  json.hotPath = { config: { ...config, redisUrl: undefined }, sizes };
  for (const size of sizes) printHotPath(size);
  for (const size of sizes) summary.push(...hotPathSummary(size));
}

// 2. Introspection over HTTP at scale.
if (enabled('BENCH_INTROSPECT_SCALE')) {
  const { runIntrospectionAtScaleBench } = await import('./introspection-at-scale.js');
  log();
  // 1 M by default: a server loading 10 M revocations takes ~2 min and several GiB while it loads
  // its snapshot (docs/performance.md); BENCH_INTROSPECT_REVOKED=1000000,10000000 runs both.
  const counts = (process.env.BENCH_INTROSPECT_REVOKED ?? '1000000')
    .split(',')
    .map((v) => Number(v.replaceAll('_', '')));
  const results = await runIntrospectionAtScaleBench(log, {
    revokedCounts: counts,
    requests: intEnv('BENCH_INTROSPECT_REQUESTS', 5_000),
  });
  json.introspectionAtScale = results;
  summary.push(...introspectionSummary(results));
}

// 3. Propagation to verifiers in other processes.
if (enabled('BENCH_VERIFIER_PROPAGATION')) {
  const { runVerifierPropagationBench } = await import('./verifier-propagation.js');
  log();
  const results = await runVerifierPropagationBench(log, {
    samples: intEnv('BENCH_VERIFIER_SAMPLES', 1000),
    verifierCounts: [1, 4],
    restarts: intEnv('BENCH_VERIFIER_RESTARTS', 5),
  });
  json.verifierPropagation = results;
  summary.push(...verifierPropagationSummary(results));
}

// 4. /oauth/introspect and /oauth/revoke against node-oidc-provider.
if (enabled('BENCH_HTTP')) {
  const { runHttpThroughputBench } = await import('./http-throughput.js');
  log();
  const http = await runHttpThroughputBench(log);
  json.httpThroughput = http;
  const peer = (sides: typeof http.introspect) => sides.at(-1)!.median;
  for (const [endpoint, sides, target] of [
    ['/oauth/introspect (API token)', http.introspect, '≥ 4×'],
    ['/oauth/revoke', http.revoke, '—'],
  ] as const) {
    const p = peer(sides);
    summary.push({
      part: 'vs oidc-provider',
      row: `${endpoint}, ${sides.at(-1)!.server}`,
      value: `${int(p.requestsPerSec)} req/s`,
      p50: ms(p.p50Ms),
      p99: ms(p.p99Ms),
      ratio: '1.00×',
      target: '',
    });
    for (const side of sides.slice(0, -1)) {
      const r = side.median.requestsPerSec / p.requestsPerSec;
      summary.push({
        part: 'vs oidc-provider',
        row: `${endpoint}, ${side.server}`,
        value: `${int(side.median.requestsPerSec)} req/s`,
        p50: ms(side.median.p50Ms),
        p99: ms(side.median.p99Ms),
        ratio: `${r.toFixed(2)}×`,
        target: target === '—' ? '' : `${target} ${r >= 4 ? 'MET' : 'NOT MET'}`,
      });
    }
  }
}

// 4b. Introspection while revocations are being committed.
if (enabled('BENCH_MIXED')) {
  const { runIntrospectDuringRevocationsBench } =
    await import('./introspect-during-revocations.js');
  log();
  const runs = await runIntrospectDuringRevocationsBench(log);
  json.introspectDuringRevocations = runs;
  const peer = runs.at(-1)!;
  for (const r of runs)
    summary.push({
      part: 'introspect while revoking',
      row: r.server,
      value: `${int(r.introspectionsPerSec)} introspections/s (${int(r.revocationsPerSec)} revocations/s)`,
      p50: ms(r.introspectP50Ms),
      p99: ms(r.introspectP99Ms),
      ratio: `${(r.introspectionsPerSec / peer.introspectionsPerSec).toFixed(2)}×`,
      target: '',
    });
}

// 5. Scale-out.
if (enabled('BENCH_SCALE_OUT')) {
  const { runScaleOutBench } = await import('./scale-out.js');
  log();
  const scale = await runScaleOutBench(log);
  json.scaleOut = scale;
  for (const r of Object.values(scale.propagation)) {
    summary.push({
      part: 'between instances',
      row: `propagation A→B, ${r.label}`,
      value: `${r.samples} samples`,
      p50: ms(r.p50Ms),
      p99: ms(r.p99Ms),
      ratio: `max ${ms(r.maxMs)}`,
      target: '',
    });
  }
  for (const r of scale.revokeThroughput) {
    summary.push({
      part: 'between instances',
      row: `/api/v1/auth/revoke, ${r.backend}`,
      value: `${int(r.requestsPerSec)} req/s`,
      p50: ms(r.p50Ms),
      p99: ms(r.p99Ms),
      ratio: '',
      target: '',
    });
  }
}

// 6. IP block propagation between instances.
if (enabled('BENCH_IP_BLOCK_PROPAGATION')) {
  const { runIpBlockPropagationBench } = await import('./ip-block-propagation.js');
  log();
  const r = await runIpBlockPropagationBench(log, {
    samples: intEnv('BENCH_IP_BLOCK_SAMPLES', 200),
  });
  json.ipBlockPropagation = r;
  summary.push({
    part: 'between instances',
    row: 'IP block on A → 403 from B, LISTEN/NOTIFY',
    value: `${r.samples} samples`,
    p50: ms(r.p50Ms),
    p99: ms(r.p99Ms),
    ratio: `max ${ms(r.maxMs)}`,
    target: `p99 ≤ 50 ms ${r.p99Ms <= 50 ? 'MET' : 'NOT MET'}`,
  });
}

// 7. Propagation to a verifier behind HAProxy, beside one connected directly.
if (enabled('BENCH_VERIFIER_HAPROXY')) {
  const { runVerifierBehindHaproxyBench } = await import('./verifier-behind-haproxy.js');
  log();
  const r = await runVerifierBehindHaproxyBench(log, {
    samples: intEnv('BENCH_VERIFIER_HAPROXY_SAMPLES', 300),
  });
  json.verifierBehindHaproxy = r;
  summary.push(
    {
      part: 'to verifiers',
      row: 'revoke → refused by a verifier streaming directly from the instance',
      value: `${r.samples} revocations`,
      p50: ms(r.direct.p50Ms),
      p99: ms(r.direct.p99Ms),
      ratio: '1.00×',
      target: '',
    },
    {
      part: 'to verifiers',
      row: 'the same revocations → refused by a verifier streaming through HAProxy',
      value: `${r.samples} revocations`,
      p50: ms(r.behindHaproxy.p50Ms),
      p99: ms(r.behindHaproxy.p99Ms),
      ratio: `${(r.behindHaproxy.p99Ms / r.direct.p99Ms).toFixed(2)}× (p99)`,
      target: '',
    },
  );
}

// 8. The forward-auth gateway's added latency behind nginx.
if (enabled('BENCH_GATEWAY')) {
  const { runGatewayLatencyBench } = await import('./gateway-latency.js');
  log();
  const r = await runGatewayLatencyBench(log, {
    requests: intEnv('BENCH_GATEWAY_REQUESTS', 3000),
    rounds: intEnv('BENCH_GATEWAY_ROUNDS', 3),
    connections: intEnv('BENCH_GATEWAY_CONNECTIONS', 16),
  });
  json.gatewayLatency = r;
  for (const c of r.byConnections) {
    summary.push(
      {
        part: 'gateway',
        row: `GET through nginx alone, ${c.connections} connection${c.connections === 1 ? '' : 's'}`,
        value: `${int(c.nginxAlone.requestsPerSec)} req/s`,
        p50: ms(c.nginxAlone.p50Ms),
        p99: ms(c.nginxAlone.p99Ms),
        ratio: '1.00×',
        target: '',
      },
      {
        part: 'gateway',
        row: `GET through nginx + revokd-verifier serve, ${c.connections} connection${c.connections === 1 ? '' : 's'}`,
        value: `${int(c.withGateway.requestsPerSec)} req/s`,
        p50: ms(c.withGateway.p50Ms),
        p99: ms(c.withGateway.p99Ms),
        ratio: `+${ms(c.withGateway.p50Ms - c.nginxAlone.p50Ms)} (p50)`,
        target: '',
      },
    );
  }
}

// 9. The Python verifier's hot path.
if (enabled('BENCH_PYTHON')) {
  const { runPythonVerifyBench } = await import('./python-verify.js');
  log();
  const r = await runPythonVerifyBench(log);
  json.pythonVerify = r;
  const bare = r.results[0]!;
  for (const row of r.results) {
    summary.push({
      part: 'Python verifier',
      row: row.name,
      value: `${int(row.opsPerSec)} ops/s`,
      p50: `${row.p50Us.toFixed(1)} µs`,
      p99: `${row.p99Us.toFixed(1)} µs`,
      ratio: `${(row.opsPerSec / bare.opsPerSec).toFixed(2)}×`,
      target: '',
    });
  }
}

// 10. Start at scale (issue 21): server start and a verifier's first snapshot on 1 M / 10 M revocations.
if (enabled('BENCH_START_AT_SCALE')) {
  const { runStartAtScaleBench } = await import('./start-at-scale.js');
  log();
  const r = await runStartAtScaleBench(log);
  json.startAtScale = r;
  for (const s of r.starts) {
    summary.push({
      part: 'start at scale',
      row: `server start, ${s.backend}, ${int(s.revoked)} revocations`,
      value: `${(s.startMs / 1000).toFixed(2)} s`,
      p50: '',
      p99: '',
      ratio: `RSS ${s.steadyRssMiB.toFixed(0)} MiB (peak ${s.peakRssMiB.toFixed(0)})`,
      target: `${s.goal} ${s.met ? 'MET' : 'NOT MET'}`,
    });
  }
  if (r.verifier !== undefined) {
    const v = r.verifier;
    summary.push({
      part: 'start at scale',
      row: `verifier's first snapshot over the stream, ${int(v.revoked)} revocations`,
      value: `${(v.firstSnapshotMs / 1000).toFixed(2)} s`,
      p50: '',
      p99: '',
      ratio: `RSS ${v.steadyRssMiB.toFixed(0)} MiB (peak ${v.peakRssMiB.toFixed(0)})`,
      target: `${v.goal} ${v.met ? 'MET' : 'NOT MET'}`,
    });
  }
}

log();
log(
  `SUMMARY — one run, ${new Date(started).toISOString()}, ${machine.nproc} shared cores; ratios are against the row named in the ratio column's part`,
);
printTable(
  ['part', 'row', 'value', 'p50', 'p99', 'ratio', 'target'],
  summary.map((r) => [r.part, r.row, r.value, r.p50, r.p99, r.ratio, r.target]),
  log,
  2,
);
// Issue 21's figures, each from the part that measures it ("not measured" when it did not run).
const goals = issue21Goals(json);
log();
printIssue21Goals(goals, log);
json.issue21Goals = goals;
const loadAtEnd = loadavg();
log(
  `load average at end: ${loadAtEnd.map((l) => l.toFixed(2)).join(' ')}; total ${((Date.now() - started) / 1000).toFixed(0)} s`,
);
json.summary = summary;
json.loadAverageAtEnd = loadAtEnd;
json.totalSeconds = (Date.now() - started) / 1000;
const outDir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(outDir, { recursive: true });
writeFileSync(`${outDir}latest.json`, `${JSON.stringify(json, null, 2)}\n`);
log(`wrote ${outDir}latest.json`);

// ---------------------------------------------------------------------------------------------

function scenario(size: HotPathSize, key: string): ScenarioResult | undefined {
  return size.scenarios.find((s) => s.key === key);
}

function countLabel(n: number): string {
  return n >= 1_000_000 ? `${n / 1_000_000} M` : int(n);
}

function printHotPath(size: HotPathSize): void {
  const bare = scenario(size, 'bare')!;
  log();
  log(
    `hot path, ${countLabel(size.revoked)} revoked jtis — medians of rounds, ops/s of one event loop (ratios against bare jose in the same rounds)`,
  );
  printTable(
    ['scenario', 'median ops/s', 'min – max', 'per op', 'p50', 'p99', 'vs bare', 'CPU/op', 'GC %'],
    size.scenarios.map((s) => {
      const lat = size.latencyNs[s.key];
      return [
        s.label,
        int(s.medianOpsPerSec),
        `${int(s.minOpsPerSec)} – ${int(s.maxOpsPerSec)}`,
        duration(s.medianNsPerOp),
        lat === undefined ? '' : duration(lat.p50),
        lat === undefined ? '' : duration(lat.p99),
        s.key.startsWith('lookup') ? '—' : (s.medianOpsPerSec / bare.medianOpsPerSec).toFixed(3),
        duration(s.medianCpuNsPerOp),
        ((100 * s.gc.pauseMs) / s.gc.timedMs).toFixed(1),
      ];
    }),
    log,
  );
  log(
    `bytes per revoked jti: ${size.bytesPerRevokedJti.toFixed(1)} (heap + typed arrays after forced GC; the table's arrays alone ${size.tableBytesPerRevokedJti.toFixed(1)}); ` +
      `apply ${size.applyNsPerRecord.toFixed(0)} ns/record${size.redis === 'measured' ? '' : `; seeds' rows: ${size.redis}`}`,
  );
}

function hotPathSummary(size: HotPathSize): SummaryRow[] {
  const n = countLabel(size.revoked);
  const bare = scenario(size, 'bare')!;
  const seeds1 = scenario(size, 'seeds1');
  const rows: SummaryRow[] = [];
  const lat = (key: string) => size.latencyNs[key];
  const add = (key: string, row: string, ratio: string, target: string): void => {
    const s = scenario(size, key);
    if (s === undefined) return;
    rows.push({
      part: `hot path, ${n}`,
      row,
      value: `${int(s.medianOpsPerSec)}/s`,
      p50: lat(key) ? duration(lat(key)!.p50) : '',
      p99: lat(key) ? duration(lat(key)!.p99) : '',
      ratio,
      target,
    });
  };
  const vsBare = (key: string) => scenario(size, key)!.medianOpsPerSec / bare.medianOpsPerSec;
  add('bare', 'bare jose jwtVerify (EdDSA)', '1.000 (bare)', '');
  const first = vsBare('firstSeen');
  add(
    'firstSeen',
    'verifier, first-seen token',
    `${first.toFixed(3)} × bare`,
    `≥ 0.97 × bare ${first >= 0.97 ? 'MET' : 'NOT MET'}`,
  );
  const repeat = scenario(size, 'repeat')!;
  const overSeeds =
    seeds1 === undefined ? undefined : repeat.medianOpsPerSec / seeds1.medianOpsPerSec;
  add(
    'repeat',
    'verifier, repeat token',
    overSeeds === undefined ? '' : `${overSeeds.toFixed(0)} × seeds(1)`,
    `≥ 250k/s ${repeat.medianOpsPerSec >= 250_000 ? 'MET' : 'NOT MET'}` +
      (overSeeds === undefined ? '' : `; ≥ 30 × seeds ${overSeeds >= 30 ? 'MET' : 'NOT MET'}`),
  );
  add(
    'seeds1',
    "seeds' design (jose + Redis EXISTS), 1 in flight",
    seeds1 ? `${vsBare('seeds1').toFixed(3)} × bare` : '',
    '',
  );
  add(
    'seeds50',
    "seeds' design, 50 in flight",
    scenario(size, 'seeds50') ? `${vsBare('seeds50').toFixed(3)} × bare` : '',
    '',
  );
  const lookup = Math.max(size.lookupNs.notRevoked, size.lookupNs.revoked);
  rows.push({
    part: `hot path, ${n}`,
    row: 'revocation lookup (check alone), not revoked / revoked',
    value: `${duration(size.lookupNs.notRevoked)} / ${duration(size.lookupNs.revoked)}`,
    p50: '',
    p99: '',
    ratio: '',
    target: `≤ 500 ns ${lookup <= 500 ? 'MET' : 'NOT MET'}`,
  });
  rows.push({
    part: `hot path, ${n}`,
    row: 'bytes per revoked jti in the replica',
    value: size.bytesPerRevokedJti.toFixed(1),
    p50: '',
    p99: '',
    ratio: '',
    target: `≤ 32 B ${size.bytesPerRevokedJti <= 32 ? 'MET' : 'NOT MET'}`,
  });
  return rows;
}

function introspectionSummary(results: IntrospectionAtScaleResult[]): SummaryRow[] {
  return results.map((r) => ({
    part: `hot path, ${countLabel(r.revoked)}`,
    row: 'introspection over HTTP per request (JWT, 1 in flight)',
    value: `${int(r.requestsPerSec)}/s`,
    p50: ms(r.p50Ms),
    p99: ms(r.p99Ms),
    ratio: '',
    target: '',
  }));
}

function verifierPropagationSummary(results: VerifierPropagationResult[]): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const r of results) {
    rows.push({
      part: 'to verifiers',
      row: `revoke via API → refused by ${r.verifiers} verifier process(es), until the last`,
      value: `${r.samples} revocations`,
      p50: ms(r.last.p50Ms),
      p99: ms(r.last.p99Ms),
      ratio: `max ${ms(r.last.maxMs)}`,
      target: r.verifiers === 4 ? `p99 ≤ 10 ms ${r.last.p99Ms <= 10 ? 'MET' : 'NOT MET'}` : '',
    });
    if (r.afterRestartMs.length > 0) {
      rows.push({
        part: 'to verifiers',
        row: `after SIGKILL + restart of the server, ${r.verifiers} verifiers reconnecting`,
        value: `${r.afterRestartMs.length} trials`,
        p50: '',
        p99: '',
        ratio: `max ${ms(Math.max(...r.afterRestartMs))}`,
        target: '',
      });
    }
  }
  return rows;
}
