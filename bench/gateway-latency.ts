/**
 * The forward-auth gateway's added latency (issue 19): the same echo upstream behind one nginx,
 * reached through a location that asks `revokd-verifier serve` first (examples/nginx's
 * nginx.conf.template and revokd-auth.conf, as documented) and through a plain proxied server in
 * the same nginx — same run, same machine, interleaved rounds. A real revokd on SQLite issues the
 * token and feeds the gateway's stream; the token is a repeat one (the verified-token cache's case,
 * as a client sending the same token on every request). Load by autocannon: 1 connection
 * (latency as one client sees it) and BENCH_GATEWAY_CONNECTIONS (default 16) connections.
 *
 * Part of `npm run bench` (skip with BENCH_GATEWAY=0; BENCH_GATEWAY_REQUESTS per round and side,
 * default 3000; BENCH_GATEWAY_ROUNDS, default 3), or on its own: `node --import tsx
 * bench/gateway-latency.ts` (after `npm run build`). Results: stdout and
 * bench/results/gateway-latency.json.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { GatewayProcess, installed, rawGet, setUpRevokd } from '../test/support/gateway.js';
import { REPO_ROOT, freePort, sleep, tempDir } from '../test/support/server-process.js';
import { intEnv } from './env.js';
import { writeResult } from './results-file.js';
import { int, ms, printTable } from './table.js';

export interface GatewayRun {
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly unexpected: number;
}

export interface GatewayLatencyResult {
  readonly requestsPerRound: number;
  readonly rounds: number;
  /** By connection count: nginx alone and nginx + gateway, every response of every round pooled. */
  readonly byConnections: ReadonlyArray<{
    readonly connections: number;
    readonly nginxAlone: GatewayRun;
    readonly withGateway: GatewayRun;
  }>;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/** One autocannon run; per-response times (sub-millisecond) from its response event. */
async function load(
  url: string,
  token: string,
  amount: number,
  connections: number,
  latencies: number[],
): Promise<{ seconds: number; unexpected: number }> {
  let unexpected = 0;
  let lastNs = 0n;
  const startNs = process.hrtime.bigint();
  await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        amount,
        requests: [
          {
            method: 'GET',
            path: '/hello',
            headers: { authorization: `Bearer ${token}` },
            onResponse: (status) => {
              if (status !== 200) unexpected++;
            },
          },
        ],
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on('response', (_client, _status, _bytes, responseTimeMs) => {
      latencies.push(responseTimeMs);
      lastNs = process.hrtime.bigint();
    });
  });
  return { seconds: Number(lastNs - startNs) / 1e9, unexpected };
}

/** nginx.conf from the example's template, plus a server proxying to the same upstream without auth. */
function nginxConfig(
  listen: number,
  plain: number,
  gatewayPort: number,
  upstreamPort: number,
): string {
  const conf = fs
    .readFileSync(path.join(REPO_ROOT, 'examples/nginx/nginx.conf.template'), 'utf8')
    .replaceAll('@LISTEN@', `127.0.0.1:${listen}`)
    .replaceAll('@GATEWAY@', `127.0.0.1:${gatewayPort}`)
    .replaceAll('@UPSTREAM@', `127.0.0.1:${upstreamPort}`)
    .replace('access_log access.log;', 'access_log off;');
  const plainServer = [
    '    server {',
    `        listen 127.0.0.1:${plain};`,
    '        location / {',
    '            proxy_http_version 1.1;',
    '            proxy_set_header Connection "";',
    '            proxy_pass http://app;',
    '        }',
    '    }',
  ].join('\n');
  const end = conf.lastIndexOf('}');
  return `${conf.slice(0, end)}\n${plainServer}\n}\n`;
}

export async function runGatewayLatencyBench(
  log: (line?: string) => void,
  options: { requests: number; rounds: number; connections: number },
): Promise<GatewayLatencyResult> {
  const nginx = installed('nginx', '/usr/sbin/nginx');
  if (nginx === undefined) throw new Error('nginx is not installed (.ci/run installs it)');
  log(
    `gateway: GET through nginx alone vs nginx + revokd-verifier serve (auth_request), same echo upstream, ${options.rounds} interleaved rounds of ${options.requests} requests per side`,
  );
  const setup = await setUpRevokd('bench', 2000);
  const dir = tempDir('bench-gateway');
  const children: ChildProcess[] = [];
  let gateway: GatewayProcess | undefined;
  try {
    const [upstreamPort, listen, plain] = [await freePort(), await freePort(), await freePort()];
    const upstream = spawn(
      process.execPath,
      [path.join(REPO_ROOT, 'examples/nginx/echo-upstream.mjs'), String(upstreamPort)],
      { stdio: 'ignore', detached: true },
    );
    children.push(upstream);
    gateway = await GatewayProcess.start(setup.env);
    const gatewayPort = Number(new URL(gateway.url).port);
    fs.mkdirSync(path.join(dir, 'tmp'));
    fs.writeFileSync(
      path.join(dir, 'nginx.conf'),
      nginxConfig(listen, plain, gatewayPort, upstreamPort),
    );
    fs.copyFileSync(
      path.join(REPO_ROOT, 'examples/nginx/revokd-auth.conf'),
      path.join(dir, 'revokd-auth.conf'),
    );
    const globals = `daemon off;${process.getuid?.() === 0 ? ' user root;' : ''}`;
    const proxy = spawn(
      nginx,
      [
        '-p',
        dir,
        '-c',
        path.join(dir, 'nginx.conf'),
        '-e',
        path.join(dir, 'error.log'),
        '-g',
        globals,
      ],
      { stdio: 'ignore', detached: true },
    );
    children.push(proxy);
    const token = await setup.userToken();
    const targets = {
      nginxAlone: `http://127.0.0.1:${plain}`,
      withGateway: `http://127.0.0.1:${listen}`,
    };
    for (const url of Object.values(targets)) {
      const deadline = Date.now() + 10_000;
      while (
        (await rawGet(`${url}/hello`, { authorization: `Bearer ${token}` }).then(
          (r) => r.status,
          () => 0,
        )) !== 200
      ) {
        if (Date.now() > deadline)
          throw new Error(`${url} did not answer 200 (see ${dir}/error.log)`);
        await sleep(100);
      }
    }

    const byConnections: Array<GatewayLatencyResult['byConnections'][number]> = [];
    for (const connections of [1, options.connections]) {
      // Warm-up: both paths, keep-alive pools filled.
      for (const url of Object.values(targets))
        await load(url, token, Math.min(500, options.requests), connections, []);
      const pooled = { nginxAlone: [] as number[], withGateway: [] as number[] };
      const seconds = { nginxAlone: 0, withGateway: 0 };
      const unexpected = { nginxAlone: 0, withGateway: 0 };
      for (let round = 0; round < options.rounds; round++) {
        // Alternate which side goes first, so neither always runs on a warmer machine.
        const order =
          round % 2 === 0
            ? (['nginxAlone', 'withGateway'] as const)
            : (['withGateway', 'nginxAlone'] as const);
        for (const side of order) {
          const r = await load(targets[side], token, options.requests, connections, pooled[side]);
          seconds[side] += r.seconds;
          unexpected[side] += r.unexpected;
        }
      }
      const summarize = (side: 'nginxAlone' | 'withGateway'): GatewayRun => {
        const sorted = pooled[side].sort((a, b) => a - b);
        return {
          requestsPerSec: sorted.length / seconds[side],
          p50Ms: percentile(sorted, 0.5),
          p99Ms: percentile(sorted, 0.99),
          unexpected: unexpected[side],
        };
      };
      byConnections.push({
        connections,
        nginxAlone: summarize('nginxAlone'),
        withGateway: summarize('withGateway'),
      });
    }
    const result: GatewayLatencyResult = {
      requestsPerRound: options.requests,
      rounds: options.rounds,
      byConnections,
    };
    printGatewayLatency(result, log);
    log(`wrote ${writeResult('gateway-latency', { ...result })}`);
    return result;
  } finally {
    await gateway?.stop();
    for (const child of children) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        /* gone */
      }
      await exited;
    }
    await setup.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function printGatewayLatency(
  result: GatewayLatencyResult,
  log: (line?: string) => void,
): void {
  const rows: string[][] = [];
  for (const c of result.byConnections) {
    for (const [label, r] of [
      ['nginx alone', c.nginxAlone],
      ['nginx + revokd-verifier serve', c.withGateway],
    ] as const) {
      rows.push([
        `${c.connections}`,
        label,
        `${int(r.requestsPerSec)} req/s`,
        ms(r.p50Ms),
        ms(r.p99Ms),
        r.unexpected === 0 ? '' : `${r.unexpected} not 200`,
      ]);
    }
    rows.push([
      `${c.connections}`,
      'added by the gateway',
      '',
      ms(c.withGateway.p50Ms - c.nginxAlone.p50Ms),
      ms(c.withGateway.p99Ms - c.nginxAlone.p99Ms),
      '',
    ]);
  }
  printTable(['connections', 'path', 'throughput', 'p50', 'p99', ''], rows, log, 2);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const log = (line = ''): void => {
    process.stdout.write(`${line}\n`);
  };
  await runGatewayLatencyBench(log, {
    requests: intEnv('BENCH_GATEWAY_REQUESTS', 3000),
    rounds: intEnv('BENCH_GATEWAY_ROUNDS', 3),
    connections: intEnv('BENCH_GATEWAY_CONNECTIONS', 16),
  });
}
