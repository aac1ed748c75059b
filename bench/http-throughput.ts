/**
 * `/oauth/introspect` (API token) and `/oauth/revoke` throughput against node-oidc-provider
 * (issue 11), part of `npm run bench` (skip with BENCH_HTTP=0), in one run, side by side:
 *
 *   - introspection of an active token: revokd introspecting an API token (`rvk_…`, created
 *     through `/api/v1/tokens`) vs node-oidc-provider introspecting one of its own opaque
 *     ClientCredentials tokens; both answer `{"active":true,…}` after authenticating a confidential
 *     client with HTTP Basic (client_secret_basic) and looking the token up;
 *   - revocation (RFC 7009): every request revokes a distinct token issued beforehand through the
 *     server's own token endpoint (client_credentials grant) to the client that revokes it — on
 *     revokd a durable commit (revocation record + audit entry; concurrent revocations share one
 *     since issue 21, each still answered after it), on the peer a delete from a Map.
 *
 * revokd runs compiled (dist/, built by `npm run bench`), one instance, rate limits off, on SQLite
 * (its default store) and on PostgreSQL (a fresh database on the machine's server); the peer runs in
 * a child process of its own (bench/oidc-provider-peer.ts). Rounds alternate between the servers so
 * that the machine's background load falls on each alike; the figures are medians over the rounds,
 * req/s from the first request to the last response, p50/p99 from each response's own time.
 *
 * Knobs: BENCH_HTTP_ROUNDS (3), BENCH_HTTP_INTROSPECT_REQUESTS (10000 per round and server),
 * BENCH_HTTP_REVOKE_REQUESTS (2000 per round and server), BENCH_HTTP_CONNECTIONS (10),
 * BENCH_HTTP_BACKENDS (sqlite,postgres). Results: stdout and bench/results/http-throughput.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Cluster, type ClusterBackend } from '../test/support/cluster.js';
import { createClientViaAdmin, login, request } from '../test/support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../test/support/server-process.js';
import {
  type OidcProviderPeer,
  peerBasicAuth,
  startOidcProviderPeer,
} from './oidc-provider-peer.js';
import { NO_LIMITS } from './revoke-throughput.js';
import { ms, printTable } from './table.js';
import { intEnv } from './env.js';
import { basicAuth } from '../test/support/sse-client.js';

/** One autocannon run against one endpoint. */
export interface HttpRun {
  readonly requests: number;
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Responses that were not what the scenario expects (non-2xx, or an inactive introspection). */
  readonly unexpected: number;
  readonly errors: number;
}

/** One server on one endpoint: every round, and the median round. */
export interface HttpSide {
  readonly server: string;
  readonly rounds: HttpRun[];
  readonly median: HttpRun;
}

export interface HttpThroughputResults {
  readonly config: {
    rounds: number;
    introspectRequests: number;
    revokeRequests: number;
    connections: number;
    backends: ClusterBackend[];
  };
  readonly introspect: HttpSide[];
  readonly revoke: HttpSide[];
  /** revokd (per backend) req/s ÷ node-oidc-provider req/s, from the medians. */
  readonly ratios: { introspect: Record<string, number>; revoke: Record<string, number> };
  /** Issue 11: API-token introspection ≥ 4 × node-oidc-provider's. */
  readonly introspectTarget: { ratio: number; met: Record<string, boolean> };
}

const INTROSPECT_TARGET = 4;
/** Active tokens introspected in turn on each side (so no single row or cache line is all that is read). */
const ACTIVE_POOL = 16;

function backendsEnv(): ClusterBackend[] {
  const raw = process.env.BENCH_HTTP_BACKENDS ?? 'sqlite,postgres';
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const b of list)
    if (b !== 'sqlite' && b !== 'postgres')
      throw new Error(`BENCH_HTTP_BACKENDS: unknown backend "${b}"`);
  if (list.length === 0) throw new Error('BENCH_HTTP_BACKENDS names no backend');
  return list as ClusterBackend[];
}

/** What the load generator needs of one server: where, how to authenticate, what to present. */
export interface Target {
  readonly name: string;
  readonly url: string;
  readonly introspectPath: string;
  readonly revokePath: string;
  readonly authorization: string;
  readonly activeTokens: readonly string[];
  /** Distinct tokens for the revocation runs, consumed from the front. */
  mintRevocable(count: number): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startRevokd(backend: ClusterBackend): Promise<Target> {
  const cluster = await Cluster.start({
    label: `bench_http_${backend}`,
    instances: 1,
    backend,
    env: { ...NO_LIMITS, REVOKD_RATE_LIMIT_TOKEN_CREATE_PER_MINUTE: '0' },
  });
  try {
    const base = cluster.instance(0).url;
    const admin = await login(base, ADMIN_EMAIL, ADMIN_PASSWORD);
    const client = await createClientViaAdmin(base, admin.access_token, 'bench resource server');
    const activeTokens: string[] = [];
    for (let i = 0; i < ACTIVE_POOL; i++) {
      const res = await request(`${base}/api/v1/tokens`, {
        method: 'POST',
        bearer: admin.access_token,
        json: { name: `bench ${i}` },
      });
      if (res.status !== 201) throw new Error(`create API token: ${res.status} ${res.text}`);
      activeTokens.push(res.body.token);
    }
    const authorization = basicAuth(client.client_id, client.client_secret);
    return {
      name: `revokd (${backend === 'sqlite' ? 'SQLite' : 'PostgreSQL'})`,
      url: base,
      introspectPath: '/oauth/introspect',
      revokePath: '/oauth/revoke',
      authorization,
      activeTokens,
      mintRevocable: (count) =>
        mintClientCredentialsTokens(`${base}/oauth/token`, authorization, count),
      stop: () => cluster.stop(),
    };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

export async function startPeer(): Promise<Target> {
  const peer: OidcProviderPeer = await startOidcProviderPeer();
  try {
    return {
      name: 'node-oidc-provider',
      url: peer.url,
      introspectPath: '/token/introspection',
      revokePath: '/token/revocation',
      authorization: peerBasicAuth(),
      activeTokens: await peer.mintTokens(ACTIVE_POOL),
      mintRevocable: (count) => peer.mintTokens(count),
      stop: () => peer.stop(),
    };
  } catch (err) {
    await peer.stop();
    throw err;
  }
}

/** client_credentials grants at revokd's token endpoint, 8 at a time (each a durable session commit). */
export async function mintClientCredentialsTokens(
  tokenUrl: string,
  authorization: string,
  count: number,
): Promise<string[]> {
  const tokens: string[] = [];
  const worker = async (): Promise<void> => {
    while (tokens.length < count) {
      const res = await request(tokenUrl, {
        method: 'POST',
        headers: { authorization },
        form: { grant_type: 'client_credentials' },
      });
      if (res.status !== 200) throw new Error(`revokd token endpoint: ${res.status} ${res.text}`);
      tokens.push(res.body.access_token);
    }
  };
  await Promise.all([...Array(8)].map(worker));
  return tokens.slice(0, count);
}

/**
 * `amount` POSTs of `token=<tokens[i]>` (cycling) to `path`. `expect` says whether a response is
 * the one the scenario is about (an active introspection, a 200 revocation).
 */
async function load(
  target: Target,
  path: string,
  tokens: readonly string[],
  amount: number,
  connections: number,
  expect: (status: number, body: string) => boolean,
): Promise<HttpRun> {
  let next = 0;
  let unexpected = 0;
  // autocannon notices that `amount` is reached only at its once-a-second tick, and its latency
  // histogram keeps whole milliseconds: time the run to its last response, and keep each response's
  // own (sub-millisecond) time, from the tracker's per-response event.
  const latenciesMs: number[] = [];
  let lastResponseNs = 0n;
  const startNs = process.hrtime.bigint();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.url,
        connections,
        amount,
        requests: [
          {
            method: 'POST',
            path,
            headers: {
              authorization: target.authorization,
              'content-type': 'application/x-www-form-urlencoded',
            },
            setupRequest: (req) => ({
              ...req,
              body: `token=${encodeURIComponent(tokens[next++ % tokens.length]!)}`,
            }),
            onResponse: (status, body) => {
              if (!expect(status, body)) unexpected++;
            },
          },
        ],
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on('response', (_client, _status, _bytes, responseTimeMs) => {
      latenciesMs.push(responseTimeMs);
      lastResponseNs = process.hrtime.bigint();
    });
  });
  const seconds = Number(lastResponseNs - startNs) / 1e9;
  latenciesMs.sort((a, b) => a - b);
  return {
    requests: result.requests.total,
    requestsPerSec: latenciesMs.length / seconds,
    p50Ms: percentile(latenciesMs, 0.5),
    p99Ms: percentile(latenciesMs, 0.99),
    unexpected,
    errors: result.errors,
  };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

const isActive = (status: number, body: string): boolean =>
  status === 200 && body.includes('"active":true');
const isOk = (status: number): boolean => status === 200;

function medianRun(runs: readonly HttpRun[]): HttpRun {
  const sorted = [...runs].sort((a, b) => a.requestsPerSec - b.requestsPerSec);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Runs the comparison and prints its table through `log`; returns (and writes) the figures. */
export async function runHttpThroughputBench(
  log: (line?: string) => void,
): Promise<HttpThroughputResults> {
  const config = {
    rounds: intEnv('BENCH_HTTP_ROUNDS', 3),
    introspectRequests: intEnv('BENCH_HTTP_INTROSPECT_REQUESTS', 10_000),
    revokeRequests: intEnv('BENCH_HTTP_REVOKE_REQUESTS', 2_000),
    connections: intEnv('BENCH_HTTP_CONNECTIONS', 10),
    backends: backendsEnv(),
  };
  log(
    `http: /oauth/introspect (API token) and /oauth/revoke vs node-oidc-provider — autocannon, ${config.connections} connections, ` +
      `${config.rounds} rounds × ${config.introspectRequests} introspections and ${config.revokeRequests} revocations per server`,
  );
  const targets: Target[] = [];
  try {
    for (const backend of config.backends) targets.push(await startRevokd(backend));
    targets.push(await startPeer());
    const revocable = new Map<Target, string[]>();
    const warmup = Math.min(1000, config.revokeRequests);
    for (const t of targets) {
      log(
        `  ${t.name}: minting ${config.rounds * config.revokeRequests + warmup} tokens to revoke…`,
      );
      revocable.set(t, await t.mintRevocable(config.rounds * config.revokeRequests + warmup));
    }
    const take = (t: Target, n: number): string[] => revocable.get(t)!.splice(0, n);

    // Warm-up (JIT, connection pools, caches): not counted.
    for (const t of targets) {
      await load(
        t,
        t.introspectPath,
        t.activeTokens,
        Math.min(2000, config.introspectRequests),
        config.connections,
        isActive,
      );
      await load(t, t.revokePath, take(t, warmup), warmup, config.connections, isOk);
    }
    const lastRevoked = new Map<Target, string>();
    const introspectRuns = new Map<Target, HttpRun[]>(targets.map((t) => [t, []]));
    const revokeRuns = new Map<Target, HttpRun[]>(targets.map((t) => [t, []]));
    for (let round = 0; round < config.rounds; round++) {
      for (const t of targets)
        introspectRuns
          .get(t)!
          .push(
            await load(
              t,
              t.introspectPath,
              t.activeTokens,
              config.introspectRequests,
              config.connections,
              isActive,
            ),
          );
      for (const t of targets) {
        const tokens = take(t, config.revokeRequests);
        revokeRuns
          .get(t)!
          .push(await load(t, t.revokePath, tokens, tokens.length, config.connections, isOk));
        lastRevoked.set(t, tokens.at(-1)!);
      }
      log(`  round ${round + 1}/${config.rounds} done`);
    }
    // Sanity: the revocations took effect (a revoked token introspects inactive on every side).
    for (const t of targets) {
      const res = await request(`${t.url}${t.introspectPath}`, {
        method: 'POST',
        headers: { authorization: t.authorization },
        form: { token: lastRevoked.get(t)! },
      });
      if (res.status !== 200 || res.body.active !== false)
        throw new Error(`${t.name}: a revoked token introspects ${res.status} ${res.text}`);
    }
    const side = (runs: Map<Target, HttpRun[]>): HttpSide[] =>
      targets.map((t) => ({
        server: t.name,
        rounds: runs.get(t)!,
        median: medianRun(runs.get(t)!),
      }));
    const introspect = side(introspectRuns);
    const revoke = side(revokeRuns);
    const peerIntrospect = introspect.at(-1)!.median.requestsPerSec;
    const peerRevoke = revoke.at(-1)!.median.requestsPerSec;
    const ratios = {
      introspect: {} as Record<string, number>,
      revoke: {} as Record<string, number>,
    };
    for (let i = 0; i < config.backends.length; i++) {
      ratios.introspect[config.backends[i]!] =
        introspect[i]!.median.requestsPerSec / peerIntrospect;
      ratios.revoke[config.backends[i]!] = revoke[i]!.median.requestsPerSec / peerRevoke;
    }
    const met = Object.fromEntries(
      Object.entries(ratios.introspect).map(([b, r]) => [b, r >= INTROSPECT_TARGET]),
    );
    const results: HttpThroughputResults = {
      config,
      introspect,
      revoke,
      ratios,
      introspectTarget: { ratio: INTROSPECT_TARGET, met },
    };

    log();
    const rows = (label: string, sides: HttpSide[], peerRate: number): string[][] =>
      sides.map((s) => [
        label,
        s.server,
        s.median.requestsPerSec.toFixed(0),
        ms(s.median.p50Ms),
        ms(s.median.p99Ms),
        `${(s.median.requestsPerSec / peerRate).toFixed(2)}×`,
        String(s.rounds.reduce((n, r) => n + r.unexpected + r.errors, 0)),
        s.rounds.map((r) => r.requestsPerSec.toFixed(0)).join(' / '),
      ]);
    printTable(
      ['endpoint', 'server', 'req/s', 'p50', 'p99', 'vs peer', 'bad', 'req/s per round'],
      [
        ...rows('introspect (active)', introspect, peerIntrospect),
        ...rows('revoke (distinct)', revoke, peerRevoke),
      ],
      log,
    );
    log(
      'bad = responses other than expected (non-200, or an inactive introspection) plus socket errors, over all rounds',
    );
    for (const [backend, r] of Object.entries(ratios.introspect)) {
      log(
        `RATIO introspect revokd (${backend}) / node-oidc-provider = ${r.toFixed(2)} (target ≥ ${INTROSPECT_TARGET}: ${r >= INTROSPECT_TARGET ? 'MET' : 'NOT MET'})`,
      );
    }
    for (const [backend, r] of Object.entries(ratios.revoke))
      log(
        `RATIO revoke revokd (${backend}) / node-oidc-provider = ${r.toFixed(2)} (revokd commits durably; the peer deletes from memory)`,
      );

    const outDir = fileURLToPath(new URL('./results/', import.meta.url));
    mkdirSync(outDir, { recursive: true });
    writeFileSync(
      `${outDir}http-throughput.json`,
      `${JSON.stringify({ date: new Date().toISOString(), ...results }, null, 2)}\n`,
    );
    log(`wrote ${outDir}http-throughput.json`);
    return results;
  } finally {
    for (const t of targets) await t.stop().catch(() => undefined);
  }
}

// Run on its own: node --import tsx bench/http-throughput.ts
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runHttpThroughputBench((line = '') => process.stdout.write(`${line}\n`));
}
