/**
 * Propagation to resource servers (issue 11): revoke through the API → the first moment a verifier
 * in ANOTHER process refuses the token, p50/p99/max over `samples` revocations, with 1 and with 4
 * verifiers at once. Real processes: revokd compiled (dist/, SQLite), and each verifier a plain
 * `node` child running the built @revokd/verifier (bench/verifier-child.mjs) on the push stream,
 * configured as the example (maxStalenessMs 2000, failMode 'closed').
 *
 * Per sample: a fresh client_credentials token is verified once by every verifier (so it is
 * accepted and cached); the clock starts just before `POST /oauth/revoke` is sent; each verifier
 * reports when `verify()` first refuses the token (checked on every revocation it applies). Both
 * clocks are this machine's (`performance.timeOrigin + now()`, sub-millisecond). The latency to the
 * last of the N verifiers is reported too.
 *
 * Where the time goes, per sample and from the same start: the revoke response received here; the
 * event's bytes arriving on a raw SSE connection held by this process (the server's send path,
 * without any verifier code); each verifier's replica applying it; verify() refusing the token. The
 * server's own handling time of the revoke request comes from its request log, and a durable SQLite
 * commit on this disk is measured alone (bench/durable-commit-floor.ts): that is the floor.
 *
 * Then the reconnect case: the server is SIGKILLed and restarted on the same data dir and port, and
 * a revocation made right after it is ready is timed to the verifiers (their reconnect backoff —
 * packages/verifier/src/sse-driver.ts — and catch-up from Last-Event-ID bound it).
 *
 * Alone: `npm run build && node --import tsx bench/verifier-propagation.ts`; knobs
 * BENCH_VERIFIER_SAMPLES (1000), BENCH_VERIFIER_COUNTS (1,4), BENCH_VERIFIER_RESTARTS (5).
 * Writes bench/results/verifier-propagation.json.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createClientViaAdmin, login } from '../test/support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess } from '../test/support/server-process.js';
import { openSse, type SseStream } from '../test/support/sse-client.js';
import { createStreamClient, STREAM_PATH } from '../test/support/stream-setup.js';
import { measureDurableCommitFloor, type DurableCommitFloor } from './durable-commit-floor.js';
import { intEnv } from './env.js';
import { mintClientCredentialsTokens } from './http-throughput.js';
import { quantile } from './propagation-between-instances.js';
import { writeResult } from './results-file.js';
import { NO_LIMITS } from './revoke-throughput.js';
import { ms, printTable } from './table.js';
import { basicAuth } from '../test/support/sse-client.js';

export interface Stats {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface VerifierPropagationResult {
  readonly verifiers: number;
  readonly samples: number;
  /** Every (revocation, verifier) pair: start → that verifier's verify() refuses the token. */
  readonly each: Stats;
  /** Per revocation, until the last verifier refused it. */
  readonly last: Stats;
  /** The revoke request's own round trip (200 received). */
  readonly revokeRequest: Stats;
  /** Where the time goes, each from the same start as `each`. */
  readonly phases: {
    /** The event's bytes reached a raw SSE connection in the bench process. */
    readonly onTheWire: Stats;
    /** The verifier's replica applied the record (its onRevocation listener ran). */
    readonly applied: Stats;
    /** Applied → verify() refused (the check itself, and the IPC-free part of the child's work). */
    readonly appliedToRefused: Stats;
    /** The server's handling time of POST /oauth/revoke (its request log: responseTime). */
    readonly serverHandling: Stats;
  };
  /** After SIGKILL + restart of the server: ready → a revocation made then is refused by all verifiers. */
  readonly afterRestartMs: readonly number[];
  /** Kill → ready again, per restart trial (the verifiers were backing off for this long). */
  readonly restartDowntimeMs: readonly number[];
}

export interface VerifierPropagationRun {
  readonly results: VerifierPropagationResult[];
  readonly durableCommit: DurableCommitFloor;
}

const now = (): number => performance.timeOrigin + performance.now();
const CHILD = fileURLToPath(new URL('./verifier-child.mjs', import.meta.url));

export interface Rejection {
  readonly at: number;
  readonly appliedAt: number;
}

export interface Child {
  readonly process: ChildProcess;
  readonly waiting: Map<string, (value: Rejection) => void>;
}

/** A verifier process (bench/verifier-child.mjs) with these createVerifier options, once it is ready. */
export async function startChild(options: unknown): Promise<Child> {
  // execArgv [] so the child does not inherit tsx: it runs the built JavaScript as an installed package would.
  const child = fork(CHILD, [], {
    execArgv: [],
    env: { ...process.env, BENCH_VERIFIER_OPTIONS: JSON.stringify(options) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<string, (value: Rejection) => void>();
  child.on('message', (m: { type: string; id?: string; at?: number; appliedAt?: number }) => {
    const key = m.type === 'armed' || m.type === 'rejected' ? `${m.type}:${m.id}` : m.type;
    const resolve = waiting.get(key);
    if (resolve !== undefined) {
      waiting.delete(key);
      resolve({ at: m.at ?? 0, appliedAt: m.appliedAt ?? Number.NaN });
    }
  });
  const ready = new Promise<Rejection>((resolve) => waiting.set('ready', resolve));
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`verifier child exited with ${code} before it was ready`);
  });
  await Promise.race([ready, exited]);
  return { process: child, waiting };
}

/** Asks the child to close its verifier and exit; kills it if it has not within 2 s. */
export async function stopChild(c: Child): Promise<void> {
  c.process.send({ type: 'close' });
  await Promise.race([once(c.process, 'exit'), new Promise((r) => setTimeout(r, 2000))]);
  c.process.kill('SIGKILL');
}

export const expect = (child: Child, key: string): Promise<Rejection> =>
  new Promise((resolve) => child.waiting.set(key, resolve));

/** Has every child verify the token once (accepted, cached) and watch for its refusal under `id`. */
export async function arm(children: readonly Child[], id: string, token: string): Promise<void> {
  await Promise.all(
    children.map(async (c) => {
      const armed = expect(c, `armed:${id}`);
      c.process.send({ type: 'arm', id, token });
      await armed;
    }),
  );
}

export function stats(values: readonly number[]): Stats {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return {
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    maxMs: sorted.at(-1) ?? Number.NaN,
  };
}

/**
 * Watches a raw SSE connection for a jti's bytes and stamps when they arrived. Chunks are scanned
 * with a short tail of the previous one, so a jti split across two TCP reads is still found.
 */
class WireTap {
  private readonly waiting = new Map<string, (at: number) => void>();
  private tail = '';

  constructor(stream: SseStream) {
    stream.response.on('data', (chunk: string) => {
      const at = now();
      const text = this.tail + chunk;
      for (const [jti, resolve] of this.waiting) {
        if (text.includes(jti)) {
          this.waiting.delete(jti);
          resolve(at);
        }
      }
      this.tail = text.slice(-64);
    });
  }

  /** Resolves when the jti is seen, or NaN after timeoutMs (a lost tap must not hang the run). */
  expect(jti: string, timeoutMs = 10_000): Promise<number> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(jti);
        resolve(Number.NaN);
      }, timeoutMs);
      this.waiting.set(jti, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
  }
}

function sleepThenFail(ms: number, what: string): Promise<never> {
  return new Promise((_, reject) => {
    const fail = (): void =>
      reject(new Error(`${what}: a verifier did not refuse the token in ${ms} ms`));
    setTimeout(fail, ms).unref();
  });
}

const jtiOf = (token: string): string =>
  (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { jti: string })
    .jti;

/** responseTime of every POST /oauth/revoke in this slice of the server's log (request ids pair the two lines). */
function revokeHandlingTimes(log: string): number[] {
  const revokeIds = new Set<string>();
  const times: number[] = [];
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: {
      reqId?: string;
      msg?: string;
      req?: { method?: string; url?: string };
      responseTime?: number;
    };
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (entry.reqId === undefined) continue;
    if (
      entry.msg === 'incoming request' &&
      entry.req?.method === 'POST' &&
      entry.req.url === '/oauth/revoke'
    )
      revokeIds.add(entry.reqId);
    else if (
      entry.msg === 'request completed' &&
      revokeIds.has(entry.reqId) &&
      typeof entry.responseTime === 'number'
    )
      times.push(entry.responseTime);
  }
  return times;
}

export async function runVerifierPropagationBench(
  log: (line?: string) => void,
  opts: { samples: number; verifierCounts: readonly number[]; restarts?: number },
): Promise<VerifierPropagationResult[]> {
  return (await runVerifierPropagation(log, opts)).results;
}

/** The same run, with the durable-commit floor it was compared against. */
export async function runVerifierPropagation(
  log: (line?: string) => void,
  opts: { samples: number; verifierCounts: readonly number[]; restarts?: number },
): Promise<VerifierPropagationRun> {
  log(
    `verifier propagation: POST /oauth/revoke → refused by @revokd/verifier in other processes (${opts.samples} revocations per run)`,
  );
  const durableCommit = measureDurableCommitFloor(500);
  // Log level info (revokd's default, unlike NO_LIMITS's warn): the request log gives the server's own handling time.
  const server = await ServerProcess.start({
    command: [process.execPath, 'dist/src/cli/main.js', 'serve'],
    env: { ...NO_LIMITS, REVOKD_LOG_LEVEL: 'info' },
  });
  const children: Child[] = [];
  let tapStream: SseStream | undefined;
  try {
    const admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const revoker = await createClientViaAdmin(server.url, admin.access_token, 'bench revoker');
    const basic = basicAuth(revoker.client_id, revoker.client_secret);
    const stream = await createStreamClient((args) => server.cli(args), 'bench verifiers');
    const tapClient = await createStreamClient((args) => server.cli(args), 'bench wire tap');
    tapStream = await openSse(`${server.url}${STREAM_PATH}`, { authorization: tapClient.basic });
    await tapStream.snapshot();
    const tap = new WireTap(tapStream);
    const options = {
      issuer: server.url,
      audience: server.url,
      jwksUri: `${server.url}/.well-known/jwks.json`,
      stream: {
        url: `${server.url}${STREAM_PATH}`,
        clientId: stream.client_id,
        clientSecret: stream.client_secret,
      },
      maxStalenessMs: 2000,
      failMode: 'closed',
    };
    const revoke = async (token: string): Promise<void> => {
      const res = await fetch(`${server.url}/oauth/revoke`, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }),
      });
      if (res.status !== 200) throw new Error(`revoke: ${res.status} ${await res.text()}`);
    };
    const results: VerifierPropagationResult[] = [];
    let sampleId = 0;
    const revokeAndTime = async (active: Child[], token: string) => {
      const id = String(sampleId++);
      await arm(active, id, token);
      const rejected = active.map((c) => expect(c, `rejected:${id}`));
      const onWire = tap.expect(jtiOf(token));
      const t0 = now();
      await revoke(token);
      const request = now() - t0;
      const at = await Promise.all(rejected);
      const wire = (await onWire) - t0;
      const each = at.map((a) => a.at - t0);
      return {
        each,
        last: Math.max(...each),
        request,
        wire,
        applied: at.map((a) => a.appliedAt - t0),
        appliedToRefused: at.map((a) => a.at - a.appliedAt),
      };
    };
    for (const count of opts.verifierCounts) {
      while (children.length < count) children.push(await startChild(options));
      const active = children.slice(0, count);
      const warmup = Math.min(50, opts.samples);
      const tokens = await mintClientCredentialsTokens(
        `${server.url}/oauth/token`,
        basic,
        opts.samples + warmup,
      );
      for (const token of tokens.slice(0, warmup)) await revokeAndTime(active, token);
      const logFrom = server.output.length;
      const each: number[] = [];
      const last: number[] = [];
      const requests: number[] = [];
      const wire: number[] = [];
      const applied: number[] = [];
      const appliedToRefused: number[] = [];
      for (const token of tokens.slice(warmup)) {
        const r = await revokeAndTime(active, token);
        each.push(...r.each);
        last.push(r.last);
        requests.push(r.request);
        wire.push(r.wire);
        applied.push(...r.applied);
        appliedToRefused.push(...r.appliedToRefused);
      }
      // The log line of the last request may still be in the pipe.
      await new Promise((resolve) => setTimeout(resolve, 200));
      results.push({
        verifiers: count,
        samples: opts.samples,
        each: stats(each),
        last: stats(last),
        revokeRequest: stats(requests),
        phases: {
          onTheWire: stats(wire),
          applied: stats(applied),
          appliedToRefused: stats(appliedToRefused),
          serverHandling: stats(revokeHandlingTimes(server.output.slice(logFrom))),
        },
        afterRestartMs: [],
        restartDowntimeMs: [],
      });
      log(`  ${count} verifier(s): done`);
    }
    tapStream.close();
    tapStream = undefined;
    // The reconnect case, with every verifier started above: ready → a revocation made right then is refused by all.
    const afterRestart: number[] = [];
    const downtime: number[] = [];
    for (let trial = 0; trial < (opts.restarts ?? 3); trial++) {
      const [token] = await mintClientCredentialsTokens(`${server.url}/oauth/token`, basic, 1);
      const id = `restart-${trial}`;
      await arm(children, id, token!);
      const killedAt = now();
      await server.kill();
      await server.restart();
      const ready = now();
      downtime.push(ready - killedAt);
      const rejected = children.map((c) => expect(c, `rejected:${id}`));
      await revoke(token!);
      // A verifier that never comes back must fail the run, not hang it.
      const all = await Promise.race([
        Promise.all(rejected),
        sleepThenFail(60_000, `restart trial ${trial}`),
      ]);
      afterRestart.push(Math.max(...all.map((r) => r.at)) - ready);
    }
    const withRestart = results.map((r) =>
      r.verifiers === children.length
        ? { ...r, afterRestartMs: afterRestart, restartDowntimeMs: downtime }
        : r,
    );
    printVerifierPropagation({ results: withRestart, durableCommit }, log);
    writeResult('verifier-propagation', {
      samples: opts.samples,
      verifierCounts: opts.verifierCounts,
      durableCommit,
      results: withRestart,
    });
    return { results: withRestart, durableCommit };
  } finally {
    tapStream?.close();
    for (const c of children) await stopChild(c);
    await server.stop();
  }
}

export function printVerifierPropagation(
  run: VerifierPropagationRun,
  log: (line?: string) => void,
): void {
  const p = (s: Stats): string => `${ms(s.p50Ms)} / ${ms(s.p99Ms)}`;
  log();
  printTable(
    [
      'verifiers',
      'samples',
      'p50 (each)',
      'p99 (each)',
      'max (each)',
      'p50 (last)',
      'p99 (last)',
      'max (last)',
      'target p99 ≤ 10 ms (4, last)',
    ],
    run.results.map((r) => [
      String(r.verifiers),
      String(r.samples),
      ms(r.each.p50Ms),
      ms(r.each.p99Ms),
      ms(r.each.maxMs),
      ms(r.last.p50Ms),
      ms(r.last.p99Ms),
      ms(r.last.maxMs),
      r.verifiers === 4 ? (r.last.p99Ms <= 10 ? 'MET' : 'NOT MET') : '',
    ]),
    log,
  );
  log();
  log(
    `where the time goes (p50 / p99; all but the last two columns from just before the revoke request is sent); one durable SQLite commit on this disk alone: ${p({ ...run.durableCommit, maxMs: 0 })}`,
  );
  printTable(
    [
      'verifiers',
      'server handles revoke',
      'revoke response here',
      'event on a raw SSE conn',
      'verifier applied',
      'verifier refused',
      'applied → refused',
    ],
    run.results.map((r) => [
      String(r.verifiers),
      p(r.phases.serverHandling),
      p(r.revokeRequest),
      p(r.phases.onTheWire),
      p(r.phases.applied),
      p(r.each),
      p(r.phases.appliedToRefused),
    ]),
    log,
  );
  for (const r of run.results) {
    if (r.afterRestartMs.length === 0) continue;
    const sorted = [...r.afterRestartMs].sort((a, b) => a - b);
    log(
      `after SIGKILL + restart of the server (${r.verifiers} verifiers reconnecting): ready → a revocation made then refused by all in ` +
        `${r.afterRestartMs.map(ms).join(', ')} (server down for ${r.restartDowntimeMs.map(ms).join(', ')})`,
    );
    const worst = sorted.at(-1)!;
    log(
      `  median ${ms(quantile(sorted, 0.5))}, worst ${ms(worst)} over ${sorted.length} trials; ` +
        `goal (issue 21) worst ≤ 500 ms: ${worst <= 500 ? 'MET' : 'NOT MET'}`,
    );
  }
}

// Run on its own: node --import tsx bench/verifier-propagation.ts
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const counts = (process.env.BENCH_VERIFIER_COUNTS ?? '1,4')
    .split(',')
    .map((v) => Number(v.trim()));
  if (counts.some((n) => !Number.isSafeInteger(n) || n < 1))
    throw new Error(
      `BENCH_VERIFIER_COUNTS must be a comma list of positive integers, got "${process.env.BENCH_VERIFIER_COUNTS}"`,
    );
  await runVerifierPropagationBench((line = '') => process.stdout.write(`${line}\n`), {
    samples: intEnv('BENCH_VERIFIER_SAMPLES', 1000),
    verifierCounts: counts,
    restarts: intEnv('BENCH_VERIFIER_RESTARTS', 5),
  });
}
