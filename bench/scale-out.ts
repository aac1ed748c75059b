/**
 * The scale-out figures (issue 10), part of `npm run bench` (skip with BENCH_SCALE_OUT=0):
 *
 *   - propagation between two instances on PostgreSQL — revoke acknowledged by A → B answers 401 —
 *     p50/p99/max for each wake-up driver side by side: LISTEN/NOTIFY, Redis pub/sub, and the poll
 *     alone as the baseline (bench/propagation-between-instances.ts);
 *   - `/api/v1/auth/revoke` throughput with a durable commit per request on SQLite and on
 *     PostgreSQL, under autocannon on loopback (bench/revoke-throughput.ts).
 *
 * Real compiled instances (`dist/`, built by `npm run bench`), the machine's PostgreSQL (a fresh
 * database each) and Redis. Knobs: BENCH_PROPAGATION_SAMPLES (1000), BENCH_POLL_SAMPLES (100),
 * BENCH_REVOKE_REQUESTS (4000), BENCH_REVOKE_CONNECTIONS (10). Results: stdout and
 * bench/results/scale-out.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type PropagationResult, runPropagationBench } from './propagation-between-instances.js';
import { type ThroughputResult, measureRevokeThroughput } from './revoke-throughput.js';
import { intEnv } from './env.js';
import { ms, printTable } from './table.js';

const WAKEUPS = [
  { key: 'notify', label: 'PostgreSQL LISTEN/NOTIFY', env: { REVOKD_FEED_WAKEUP: 'notify' } },
  { key: 'redis', label: 'Redis pub/sub', env: { REVOKD_FEED_WAKEUP: 'redis' } },
  { key: 'poll', label: 'poll alone (100 ms)', env: { REVOKD_FEED_WAKEUP: 'none' } },
] as const;

export interface ScaleOutResults {
  readonly propagation: Record<string, Omit<PropagationResult, 'latenciesMs'> & { label: string }>;
  readonly revokeThroughput: ThroughputResult[];
}

export async function runScaleOutBench(log: (line?: string) => void): Promise<ScaleOutResults> {
  const samples = intEnv('BENCH_PROPAGATION_SAMPLES', 1000);
  const pollSamples = intEnv('BENCH_POLL_SAMPLES', 100);
  const requests = intEnv('BENCH_REVOKE_REQUESTS', 4000);
  const connections = intEnv('BENCH_REVOKE_CONNECTIONS', 10);

  log(
    'scale-out: propagation between two instances on PostgreSQL (revoke acknowledged by A → 401 from B)',
  );
  const propagation: ScaleOutResults['propagation'] = {};
  for (const wakeup of WAKEUPS) {
    const n = wakeup.key === 'poll' ? pollSamples : samples;
    const { latenciesMs: _all, ...result } = await runPropagationBench({
      samples: n,
      backend: 'postgres',
      env: wakeup.env,
      log: (line) => log(`  ${wakeup.key}: ${line}`),
    });
    propagation[wakeup.key] = { ...result, label: wakeup.label };
  }
  log();
  printTable(
    ['wake-up', 'samples', 'p50', 'p99', 'max', 'p99 vs notify'],
    WAKEUPS.map((w) => {
      const r = propagation[w.key]!;
      return [
        r.label,
        String(r.samples),
        ms(r.p50Ms),
        ms(r.p99Ms),
        ms(r.maxMs),
        `${(r.p99Ms / propagation.notify!.p99Ms).toFixed(2)}×`,
      ];
    }),
    log,
  );
  log();

  log(
    `scale-out: POST /api/v1/auth/revoke, a durable commit per request (autocannon, ${connections} connections, ${requests} requests)`,
  );
  const revokeThroughput: ThroughputResult[] = [];
  for (const backend of ['sqlite', 'postgres'] as const)
    revokeThroughput.push(
      await measureRevokeThroughput(backend, {
        requests,
        connections,
        log: (line) => log(`  ${line}`),
      }),
    );
  log();
  const sqlite = revokeThroughput[0]!;
  printTable(
    ['backend', 'requests', 'req/s', 'p50', 'p99', 'non-2xx', 'errors', 'vs SQLite'],
    revokeThroughput.map((r) => [
      r.backend === 'sqlite'
        ? 'SQLite (WAL, synchronous=FULL)'
        : 'PostgreSQL (synchronous_commit=on)',
      String(r.requests),
      r.requestsPerSec.toFixed(0),
      ms(r.p50Ms),
      ms(r.p99Ms),
      String(r.non2xx),
      String(r.errors),
      `${(r.requestsPerSec / sqlite.requestsPerSec).toFixed(2)}×`,
    ]),
    log,
  );

  const results = { propagation, revokeThroughput };
  const outDir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    `${outDir}scale-out.json`,
    `${JSON.stringify({ date: new Date().toISOString(), ...results }, null, 2)}\n`,
  );
  log(`wrote ${outDir}scale-out.json`);
  return results;
}

// Run on its own: node --import tsx bench/scale-out.ts
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runScaleOutBench((line = '') => process.stdout.write(`${line}\n`));
}
