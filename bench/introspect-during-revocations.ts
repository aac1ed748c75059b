/**
 * Introspection while revocations are being committed, revokd against node-oidc-provider, part of
 * `npm run bench` (skip with BENCH_MIXED=0): 10 connections revoke distinct tokens (RFC 7009) while
 * 4 others introspect an active API token; the run ends with the last revocation. What it shows is
 * whether a server keeps answering the cheap requests while it makes the expensive ones durable —
 * the reason a SQLite commit's fsync runs on the thread pool (src/stores/sqlite/wal-sync.ts): with
 * synchronous=FULL the event loop stood still for every fsync.
 *
 * The requests are plain node:http keep-alive requests (not autocannon: two loads have to end
 * together). Knobs: BENCH_MIXED_REVOCATIONS (3000 per server), BENCH_MIXED_BACKENDS
 * (sqlite,postgres). Alone: `npm run build && node --import tsx bench/introspect-during-revocations.ts`.
 */
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import type { ClusterBackend } from '../test/support/cluster.js';
import { intEnv } from './env.js';
import { type Target, percentile, startPeer, startRevokd } from './http-throughput.js';
import { writeResult } from './results-file.js';
import { int, ms, printTable } from './table.js';

const REVOKING_CONNECTIONS = 10;
const INTROSPECTING_CONNECTIONS = 4;

export interface MixedLoadRun {
  readonly server: string;
  readonly revocationsPerSec: number;
  readonly introspectionsPerSec: number;
  readonly introspectP50Ms: number;
  readonly introspectP99Ms: number;
  readonly revokeP50Ms: number;
  readonly revokeP99Ms: number;
  /** Responses that were not a 200 (or not an active introspection). */
  readonly unexpected: number;
}

/** POSTs `token=…` to one path of one target over a keep-alive agent; resolves with status and body. */
function poster(target: Target, path: string, agent: http.Agent) {
  const url = new URL(path, target.url);
  return (token: string): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const body = `token=${encodeURIComponent(token)}`;
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          agent,
          headers: {
            authorization: target.authorization,
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}

async function runMixed(target: Target, revocations: number): Promise<MixedLoadRun> {
  const tokens = await target.mintRevocable(revocations);
  const revokeAgent = new http.Agent({ keepAlive: true, maxSockets: REVOKING_CONNECTIONS });
  const introspectAgent = new http.Agent({
    keepAlive: true,
    maxSockets: INTROSPECTING_CONNECTIONS,
  });
  const revoke = poster(target, target.revokePath, revokeAgent);
  const introspect = poster(target, target.introspectPath, introspectAgent);
  const revokeMs: number[] = [];
  const introspectMs: number[] = [];
  let unexpected = 0;
  let next = 0;
  let revoking = true;
  const t0 = performance.now();
  const introspecting = Promise.all(
    Array.from({ length: INTROSPECTING_CONNECTIONS }, async (_, c) => {
      for (let i = c; revoking; i++) {
        const s = performance.now();
        const res = await introspect(target.activeTokens[i % target.activeTokens.length]!);
        introspectMs.push(performance.now() - s);
        if (res.status !== 200 || !res.body.includes('"active":true')) unexpected++;
      }
    }),
  );
  await Promise.all(
    Array.from({ length: REVOKING_CONNECTIONS }, async () => {
      while (next < tokens.length) {
        const token = tokens[next++]!;
        const s = performance.now();
        const res = await revoke(token);
        revokeMs.push(performance.now() - s);
        if (res.status !== 200) unexpected++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  revoking = false;
  await introspecting;
  revokeAgent.destroy();
  introspectAgent.destroy();
  revokeMs.sort((a, b) => a - b);
  introspectMs.sort((a, b) => a - b);
  return {
    server: target.name,
    revocationsPerSec: revokeMs.length / seconds,
    introspectionsPerSec: introspectMs.length / seconds,
    introspectP50Ms: percentile(introspectMs, 0.5),
    introspectP99Ms: percentile(introspectMs, 0.99),
    revokeP50Ms: percentile(revokeMs, 0.5),
    revokeP99Ms: percentile(revokeMs, 0.99),
    unexpected,
  };
}

export async function runIntrospectDuringRevocationsBench(
  log: (line?: string) => void,
): Promise<MixedLoadRun[]> {
  const revocations = intEnv('BENCH_MIXED_REVOCATIONS', 3_000);
  const backends = (process.env.BENCH_MIXED_BACKENDS ?? 'sqlite,postgres')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '') as ClusterBackend[];
  log(
    `introspection during revocations — ${REVOKING_CONNECTIONS} connections revoking ${revocations} distinct tokens, ${INTROSPECTING_CONNECTIONS} introspecting an active token meanwhile`,
  );
  const runs: MixedLoadRun[] = [];
  const starters = [...backends.map((b) => () => startRevokd(b)), startPeer];
  for (const start of starters) {
    const target = await start();
    try {
      runs.push(await runMixed(target, revocations));
    } finally {
      await target.stop();
    }
  }
  const peer = runs.at(-1)!;
  printTable(
    [
      'server',
      'revoke/s',
      'revoke p50',
      'revoke p99',
      'introspect/s',
      'p50',
      'p99',
      'vs peer',
      'bad',
    ],
    runs.map((r) => [
      r.server,
      int(r.revocationsPerSec),
      ms(r.revokeP50Ms),
      ms(r.revokeP99Ms),
      int(r.introspectionsPerSec),
      ms(r.introspectP50Ms),
      ms(r.introspectP99Ms),
      `${(r.introspectionsPerSec / peer.introspectionsPerSec).toFixed(2)}×`,
      String(r.unexpected),
    ]),
    log,
  );
  log("vs peer = introspections/s ÷ the peer's, both while revoking");
  log(`wrote ${writeResult('introspect-during-revocations', { revocations, runs })}`);
  return runs;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runIntrospectDuringRevocationsBench((line = '') => process.stdout.write(`${line}\n`));
}
