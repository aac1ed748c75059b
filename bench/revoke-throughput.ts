/**
 * `/api/v1/auth/revoke` throughput, every request durable before its 200 (issue 10's numbers; since
 * issue 21 concurrent requests share a commit: src/stores/sql/revoke-batch.ts): one
 * compiled instance on SQLite (WAL, synchronous=FULL: an fsync per commit) and one on PostgreSQL
 * (synchronous_commit=on, the default: the commit waits for its WAL flush), loaded by autocannon
 * over loopback. Every request revokes its own bearer token — a distinct access token each,
 * minted beforehand by refreshing a few sessions — so every 200 is a committed revocation (feed
 * record + audit entry), never a no-op on an already revoked token.
 */
import autocannon from 'autocannon';
import { Cluster, type ClusterBackend } from '../test/support/cluster.js';
import { login, request } from '../test/support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../test/support/server-process.js';

export interface ThroughputResult {
  readonly backend: ClusterBackend;
  readonly requests: number;
  readonly connections: number;
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
}

export const NO_LIMITS = {
  REVOKD_RATE_LIMIT_LOGIN_PER_MINUTE: '0',
  REVOKD_RATE_LIMIT_REFRESH_PER_MINUTE: '0',
  REVOKD_RATE_LIMIT_REVOKE_PER_MINUTE: '0',
  REVOKD_RATE_LIMIT_BEARER_PER_MINUTE: '0',
  REVOKD_LOG_LEVEL: 'warn',
};

/** Distinct access tokens of one user: `chains` sessions refreshed in parallel. */
async function mintAccessTokens(base: string, count: number, chains = 8): Promise<string[]> {
  const perChain = Math.ceil(count / chains);
  const lists = await Promise.all(
    [...Array(chains)].map(async () => {
      const session = await login(base, ADMIN_EMAIL, ADMIN_PASSWORD);
      let refreshToken = session.refresh_token;
      const tokens = [session.access_token];
      while (tokens.length < perChain) {
        const res = await request(`${base}/api/v1/auth/refresh`, {
          method: 'POST',
          json: { refresh_token: refreshToken },
        });
        if (res.status !== 200) throw new Error(`refresh: ${res.status} ${res.text}`);
        refreshToken = res.body.refresh_token;
        tokens.push(res.body.access_token);
      }
      return tokens;
    }),
  );
  return lists.flat().slice(0, count);
}

export async function measureRevokeThroughput(
  backend: ClusterBackend,
  options: { requests: number; connections: number; log?: (line: string) => void },
): Promise<ThroughputResult> {
  const cluster = await Cluster.start({
    label: `bench_revoke_${backend}`,
    instances: 1,
    backend,
    env: NO_LIMITS,
  });
  try {
    const base = cluster.instance(0).url;
    options.log?.(`revoke throughput (${backend}): minting ${options.requests} access tokens…`);
    const tokens = await mintAccessTokens(base, options.requests);
    let next = 0;
    const startedMs = performance.now();
    const result = await autocannon({
      url: base,
      connections: options.connections,
      amount: tokens.length,
      requests: [
        {
          method: 'POST',
          path: '/api/v1/auth/revoke',
          setupRequest: (req) => ({
            ...req,
            headers: { ...req.headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` },
          }),
        },
      ],
    });
    return {
      // Timed here: autocannon's duration and average are quantised to its 1-second tick.
      backend,
      requests: result.requests.total,
      connections: options.connections,
      requestsPerSec: result.requests.total / ((performance.now() - startedMs) / 1000),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors,
    };
  } finally {
    await cluster.stop();
  }
}
