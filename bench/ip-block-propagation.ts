/**
 * IP block propagation between instances (issue 17, item 3): how long after instance A acknowledges
 * a block (POST /api/v1/security/blocks) does instance B answer 403 to an address in its range? Two
 * real compiled instances on one PostgreSQL database with LISTEN/NOTIFY (a block travels through the
 * change feed like a revocation). For each sample a fresh /24 is blocked on A, and B's
 * GET /api/v1/auth/me is polled with `X-Forwarded-For` in the range (the instances trust 127.0.0.1
 * as a proxy) from the moment A answered until it says 403 — so, like propagation-between-instances,
 * each figure includes one HTTP round trip to B: an upper bound, as a client would see it.
 *
 * Part of `npm run bench` (skip with BENCH_IP_BLOCK_PROPAGATION=0; BENCH_IP_BLOCK_SAMPLES, default
 * 200), or on its own: `node --import tsx bench/ip-block-propagation.ts` (after `npm run build`).
 * Results: stdout and bench/results/ip-block-propagation.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Cluster } from '../test/support/cluster.js';
import { login, request } from '../test/support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../test/support/server-process.js';
import { intEnv } from './env.js';
import { type PropagationResult, quantile } from './propagation-between-instances.js';
import { ms, printTable } from './table.js';

/** A block not enforced by B within this is an error, not a number. */
const TIMEOUT_MS = 10_000;

const elapsedMs = (since: bigint): number => Number(process.hrtime.bigint() - since) / 1e6;

/** The n-th /24 of 10.0.0.0/8 (never the bench's own 127.0.0.1, never broader than /8). */
function rangeOf(n: number): { cidr: string; inside: string } {
  const prefix = `10.${Math.floor(n / 256) % 256}.${n % 256}`;
  return { cidr: `${prefix}.0/24`, inside: `${prefix}.9` };
}

export async function runIpBlockPropagationBench(
  log: (line?: string) => void,
  options: { samples: number },
): Promise<Omit<PropagationResult, 'latenciesMs'>> {
  log(
    `IP block propagation between two instances on PostgreSQL, LISTEN/NOTIFY (block acknowledged by A → 403 from B), ${options.samples} blocks`,
  );
  const cluster = await Cluster.start({
    label: 'bench_ip_blocks',
    instances: 2,
    backend: 'postgres',
    env: {
      REVOKD_FEED_WAKEUP: 'notify',
      REVOKD_LOG_LEVEL: 'warn',
      REVOKD_RATE_LIMIT_LOGIN_PER_MINUTE: '0',
      REVOKD_RATE_LIMIT_REVOKE_PER_MINUTE: '0',
      REVOKD_RATE_LIMIT_BEARER_PER_MINUTE: '0',
    },
  });
  try {
    const a = cluster.instance(0);
    const b = cluster.instance(1);
    const admin = (await login(a.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
    const latencies: number[] = [];
    const step = Math.max(1, Math.floor(options.samples / 10));
    for (let i = 0; i < options.samples; i++) {
      const { cidr, inside } = rangeOf(i);
      const headers = { 'x-forwarded-for': inside };
      const before = await request(`${b.url}/api/v1/auth/me`, { headers });
      if (before.status !== 401)
        throw new Error(`B answered ${before.status} for ${inside} before its block`);
      const blocked = await request(`${a.url}/api/v1/security/blocks`, {
        method: 'POST',
        bearer: admin,
        json: { cidr, reason: 'bench: block propagation' },
      });
      const acknowledged = process.hrtime.bigint();
      if (blocked.status !== 201) throw new Error(`block on A: ${blocked.status} ${blocked.text}`);
      for (;;) {
        const me = await request(`${b.url}/api/v1/auth/me`, { headers });
        if (me.status === 403) break;
        if (me.status !== 401)
          throw new Error(`B answered ${me.status} ${me.text} while the block propagated`);
        if (elapsedMs(acknowledged) > TIMEOUT_MS)
          throw new Error(`B still lets ${inside} in ${TIMEOUT_MS} ms after A blocked ${cidr}`);
      }
      latencies.push(elapsedMs(acknowledged));
      if ((i + 1) % step === 0) log(`  ${i + 1}/${options.samples}`);
    }
    const sorted = [...latencies].sort((x, y) => x - y);
    const result = {
      samples: latencies.length,
      p50Ms: quantile(sorted, 0.5),
      p99Ms: quantile(sorted, 0.99),
      maxMs: sorted[sorted.length - 1] ?? Number.NaN,
    };
    log();
    printTable(
      ['mechanism', 'samples', 'p50', 'p99', 'max', 'goal'],
      [
        [
          'change feed + LISTEN/NOTIFY',
          String(result.samples),
          ms(result.p50Ms),
          ms(result.p99Ms),
          ms(result.maxMs),
          `p99 ≤ 50 ms ${result.p99Ms <= 50 ? 'MET' : 'NOT MET'}`,
        ],
      ],
      log,
    );
    const outDir = fileURLToPath(new URL('./results/', import.meta.url));
    mkdirSync(outDir, { recursive: true });
    writeFileSync(
      `${outDir}ip-block-propagation.json`,
      `${JSON.stringify({ date: new Date().toISOString(), ...result, latenciesMs: latencies }, null, 2)}\n`,
    );
    log(`wrote ${outDir}ip-block-propagation.json`);
    return result;
  } finally {
    await cluster.stop();
  }
}

// Run on its own: node --import tsx bench/ip-block-propagation.ts
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runIpBlockPropagationBench((line = '') => process.stdout.write(`${line}\n`), {
    samples: intEnv('BENCH_IP_BLOCK_SAMPLES', 200),
  });
}
