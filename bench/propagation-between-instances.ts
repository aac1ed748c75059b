/**
 * Propagation between instances (issue 10, must-show 1): how long after instance A acknowledges a
 * revocation does instance B refuse the token? Two real instances (compiled server, one store,
 * one Redis); for each sample a fresh access token (one refresh on A, so no password hashing per
 * sample) is revoked on A (POST /api/v1/auth/revoke), and B's GET /api/v1/auth/me is polled from
 * the moment A answered until it says 401. The figure is that interval: it includes one HTTP round
 * trip to B, so it is an upper bound on the propagation itself, as a client would see it.
 *
 * `measurePropagation` is the loop (test/e2e/cluster-propagation.test.ts runs it on a small sample
 * against its own cluster); `runPropagationBench` starts the instances and gives them back, for
 * bench/run.ts: `await runPropagationBench({ samples: 1000, backend: 'postgres', env: {...} })`.
 */
import { Cluster, type ClusterBackend } from '../test/support/cluster.js';
import { login, request } from '../test/support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../test/support/server-process.js';

export interface PropagationResult {
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Every sample, in the order taken (milliseconds). */
  readonly latenciesMs: readonly number[];
}

export interface MeasureOptions {
  readonly samples: number;
  /** A sample not refused by B within this is an error, not a number (default 10 s). */
  readonly timeoutMs?: number;
  /** Called after each sample (progress, or extra checks on the revoked token). */
  readonly onSample?: (sample: {
    index: number;
    latencyMs: number;
    accessToken: string;
  }) => void | Promise<void>;
}

/** The value at quantile q (0–1) of sorted values, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[
    Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  ] as number;
}

const elapsedMs = (since: bigint): number => Number(process.hrtime.bigint() - since) / 1e6;

/**
 * Revokes `samples` tokens on A and times how long until B refuses each. Needs rate limits off on
 * both (REVOKD_RATE_LIMIT_*_PER_MINUTE=0): the polling alone is thousands of bearer requests.
 */
export async function measurePropagation(
  a: { url: string },
  b: { url: string },
  options: MeasureOptions,
): Promise<PropagationResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  let { refresh_token: refreshToken } = await login(a.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  const latencies: number[] = [];
  for (let index = 0; index < options.samples; index++) {
    const refreshed = await request(`${a.url}/api/v1/auth/refresh`, {
      method: 'POST',
      json: { refresh_token: refreshToken },
    });
    if (refreshed.status !== 200)
      throw new Error(`refresh on A: ${refreshed.status} ${refreshed.text}`);
    refreshToken = refreshed.body.refresh_token;
    const accessToken: string = refreshed.body.access_token;
    // B must accept it first, or the sample would measure nothing.
    const before = await request(`${b.url}/api/v1/auth/me`, { bearer: accessToken });
    if (before.status !== 200)
      throw new Error(`B refused a live token issued by A: ${before.status} ${before.text}`);

    const revoked = await request(`${a.url}/api/v1/auth/revoke`, {
      method: 'POST',
      bearer: accessToken,
    });
    const acknowledged = process.hrtime.bigint();
    if (revoked.status !== 200) throw new Error(`revoke on A: ${revoked.status} ${revoked.text}`);
    for (;;) {
      const me = await request(`${b.url}/api/v1/auth/me`, { bearer: accessToken });
      if (me.status === 401) break;
      if (me.status !== 200)
        throw new Error(`B answered ${me.status} ${me.text} while the revocation propagated`);
      if (elapsedMs(acknowledged) > timeoutMs)
        throw new Error(`B still accepts a token revoked on A ${timeoutMs} ms ago`);
    }
    const latencyMs = elapsedMs(acknowledged);
    latencies.push(latencyMs);
    await options.onSample?.({ index, latencyMs, accessToken });
  }
  const sorted = [...latencies].sort((x, y) => x - y);
  return {
    samples: latencies.length,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
    latenciesMs: latencies,
  };
}

export interface PropagationBenchOptions {
  readonly samples: number;
  readonly backend: ClusterBackend;
  /** Extra environment for both instances (e.g. the propagation mechanism to use). */
  readonly env?: Record<string, string>;
  readonly log?: (line: string) => void;
}

/** Starts two instances on a fresh database, measures, and stops them (whatever happened). */
export async function runPropagationBench(
  options: PropagationBenchOptions,
): Promise<PropagationResult> {
  const cluster = await Cluster.start({
    label: 'bench_propagation',
    instances: 2,
    backend: options.backend,
    env: {
      REVOKD_RATE_LIMIT_LOGIN_PER_MINUTE: '0',
      REVOKD_RATE_LIMIT_REFRESH_PER_MINUTE: '0',
      REVOKD_RATE_LIMIT_REVOKE_PER_MINUTE: '0',
      REVOKD_RATE_LIMIT_BEARER_PER_MINUTE: '0',
      REVOKD_LOG_LEVEL: 'warn',
      ...options.env,
    },
  });
  try {
    const step = Math.max(1, Math.floor(options.samples / 10));
    return await measurePropagation(cluster.instance(0), cluster.instance(1), {
      samples: options.samples,
      onSample: ({ index }) => {
        if ((index + 1) % step === 0) options.log?.(`propagation: ${index + 1}/${options.samples}`);
      },
    });
  } finally {
    await cluster.stop();
  }
}
