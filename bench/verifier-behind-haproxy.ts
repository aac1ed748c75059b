/**
 * Propagation to a verifier behind HAProxy (issue 18, must-show 7): revoke → the first moment
 * @revokd/verifier refuses the token, when its push stream goes through HAProxy configured from
 * scripts/cluster/haproxy.cfg.template, beside the same figure for a verifier connected straight to
 * the instance — in one run, on the same revocations. One compiled instance on PostgreSQL with
 * HAProxy in front (test/support/cluster.ts, as the cluster tests run it); two verifier processes
 * (bench/verifier-child.mjs, the built package), one per path, both armed with each token. The
 * revocation is made on the instance itself (POST /oauth/revoke), so both clocks start at the same
 * moment and the difference between the two figures is HAProxy's hop alone.
 *
 * Part of `npm run bench` (skip with BENCH_VERIFIER_HAPROXY=0; BENCH_VERIFIER_HAPROXY_SAMPLES,
 * default 300), or on its own: `node --import tsx bench/verifier-behind-haproxy.ts` (after
 * `npm run build`). Results: stdout and bench/results/verifier-behind-haproxy.json.
 */
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Cluster } from '../test/support/cluster.js';
import { createClientViaAdmin, login } from '../test/support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../test/support/server-process.js';
import { basicAuth } from '../test/support/sse-client.js';
import { createStreamClient, STREAM_PATH } from '../test/support/stream-setup.js';
import { intEnv } from './env.js';
import { mintClientCredentialsTokens } from './http-throughput.js';
import { writeResult } from './results-file.js';
import { NO_LIMITS } from './revoke-throughput.js';
import { ms, printTable } from './table.js';
import {
  type Child,
  type Stats,
  arm,
  expect,
  startChild,
  stats,
  stopChild,
} from './verifier-propagation.js';

export interface VerifierBehindHaproxyResult {
  readonly samples: number;
  /** Revoke sent → refused by the verifier whose stream comes straight from the instance. */
  readonly direct: Stats;
  /** The same revocations → refused by the verifier whose stream goes through HAProxy. */
  readonly behindHaproxy: Stats;
}

const now = (): number => performance.timeOrigin + performance.now();
const WARMUP = 20;

export async function runVerifierBehindHaproxyBench(
  log: (line?: string) => void,
  options: { samples: number },
): Promise<VerifierBehindHaproxyResult> {
  log(
    `verifier behind HAProxy: POST /oauth/revoke on the instance → refused by a verifier streaming through HAProxy, and by one streaming directly (${options.samples} revocations)`,
  );
  const cluster = await Cluster.start({
    label: 'bench_verifier_haproxy',
    instances: 1,
    haproxy: true,
    env: NO_LIMITS,
  });
  const children: Child[] = [];
  try {
    const instance = cluster.instance(0);
    const admin = await login(instance.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const revoker = await createClientViaAdmin(instance.url, admin.access_token, 'bench revoker');
    const basic = basicAuth(revoker.client_id, revoker.client_secret);
    const reader = await createStreamClient((args) => cluster.cli(args), 'bench verifiers');
    // The tokens' issuer and audience are HAProxy's URL (the cluster's REVOKD_ISSUER) for both.
    const verifierOptions = (base: string) => ({
      issuer: cluster.url,
      audience: cluster.url,
      jwksUri: `${base}/.well-known/jwks.json`,
      stream: {
        url: `${base}${STREAM_PATH}`,
        clientId: reader.client_id,
        clientSecret: reader.client_secret,
      },
      maxStalenessMs: 2000,
      failMode: 'closed',
    });
    const direct = await startChild(verifierOptions(instance.url));
    children.push(direct);
    const behind = await startChild(verifierOptions(cluster.url));
    children.push(behind);

    const tokens = await mintClientCredentialsTokens(
      `${instance.url}/oauth/token`,
      basic,
      options.samples + WARMUP,
    );
    const directMs: number[] = [];
    const behindMs: number[] = [];
    for (const [i, token] of tokens.entries()) {
      const id = String(i);
      await arm(children, id, token);
      const refused = [expect(direct, `rejected:${id}`), expect(behind, `rejected:${id}`)];
      const t0 = now();
      const res = await fetch(`${instance.url}/oauth/revoke`, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }),
      });
      if (res.status !== 200) throw new Error(`revoke: ${res.status} ${await res.text()}`);
      const [d, b] = await Promise.all(refused);
      if (i < WARMUP) continue;
      directMs.push(d!.at - t0);
      behindMs.push(b!.at - t0);
      if ((i - WARMUP + 1) % Math.max(1, Math.floor(options.samples / 5)) === 0)
        log(`  ${i - WARMUP + 1}/${options.samples}`);
    }
    const result = {
      samples: directMs.length,
      direct: stats(directMs),
      behindHaproxy: stats(behindMs),
    };
    printVerifierBehindHaproxy(result, log);
    log(
      `wrote ${writeResult('verifier-behind-haproxy', { ...result, directMs, behindHaproxyMs: behindMs })}`,
    );
    return result;
  } finally {
    for (const c of children) await stopChild(c);
    await cluster.stop();
  }
}

export function printVerifierBehindHaproxy(
  r: VerifierBehindHaproxyResult,
  log: (line?: string) => void,
): void {
  const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
  log();
  printTable(
    ['verifier stream', 'samples', 'p50', 'p99', 'max', 'p50 vs direct', 'p99 vs direct'],
    [
      [
        'directly from the instance',
        String(r.samples),
        ms(r.direct.p50Ms),
        ms(r.direct.p99Ms),
        ms(r.direct.maxMs),
        '1.00×',
        '1.00×',
      ],
      [
        'through HAProxy (scripts/cluster template)',
        String(r.samples),
        ms(r.behindHaproxy.p50Ms),
        ms(r.behindHaproxy.p99Ms),
        ms(r.behindHaproxy.maxMs),
        ratio(r.behindHaproxy.p50Ms, r.direct.p50Ms),
        ratio(r.behindHaproxy.p99Ms, r.direct.p99Ms),
      ],
    ],
    log,
  );
}

// Run on its own: node --import tsx bench/verifier-behind-haproxy.ts
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runVerifierBehindHaproxyBench((line = '') => process.stdout.write(`${line}\n`), {
    samples: intEnv('BENCH_VERIFIER_HAPROXY_SAMPLES', 300),
  });
}
