/**
 * Propagation to resource servers (issue 11): revoke through the API → the first moment a verifier
 * in ANOTHER process refuses the token, p50/p99/max over `samples` revocations, with 1 and with 4
 * verifiers at once. Real processes: revokd compiled (dist/, SQLite), and each verifier a plain
 * `node` child running the built @revokd/verifier (bench/verifier-child.mjs) on the push stream.
 *
 * Per sample: a fresh client_credentials token is verified once by every verifier (so it is
 * accepted and cached); the clock starts just before `POST /oauth/revoke` is sent; each verifier
 * reports when `verify()` first refuses the token (checked on every revocation it applies). Both
 * clocks are this machine's (`performance.timeOrigin + now()`, sub-millisecond). The latency to the
 * last of the N verifiers is reported too. Then the reconnect case: the server is SIGKILLed and
 * restarted on the same data dir and port, and a revocation made right after it is ready is timed
 * to the verifiers (their reconnect backoff and catch-up from Last-Event-ID bound it).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createClientViaAdmin, login } from '../test/support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess } from '../test/support/server-process.js';
import { createStreamClient } from '../test/support/stream-setup.js';
import { mintClientCredentialsTokens } from './http-throughput.js';
import { quantile } from './propagation-between-instances.js';
import { NO_LIMITS } from './revoke-throughput.js';
import { ms, printTable } from './table.js';

export interface VerifierPropagationResult {
  readonly verifiers: number;
  readonly samples: number;
  /** Every (revocation, verifier) pair. */
  readonly each: { readonly p50Ms: number; readonly p99Ms: number; readonly maxMs: number };
  /** Per revocation, until the last verifier refused it. */
  readonly last: { readonly p50Ms: number; readonly p99Ms: number; readonly maxMs: number };
  /** The revoke request's own round trip (200 received). */
  readonly revokeRequest: { readonly p50Ms: number; readonly p99Ms: number };
  /** After SIGKILL + restart of the server: ready → a revocation made then is refused by all verifiers. */
  readonly afterRestartMs: readonly number[];
}

const now = (): number => performance.timeOrigin + performance.now();
const CHILD = fileURLToPath(new URL('./verifier-child.mjs', import.meta.url));

interface Child {
  readonly process: ChildProcess;
  readonly waiting: Map<string, (value: number) => void>;
}

async function startChild(options: unknown): Promise<Child> {
  // execArgv [] so the child does not inherit tsx: it runs the built JavaScript as an installed package would.
  const child = fork(CHILD, [], { execArgv: [], env: { ...process.env, BENCH_VERIFIER_OPTIONS: JSON.stringify(options) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<string, (value: number) => void>();
  child.on('message', (m: { type: string; id?: string; at?: number }) => {
    const key = m.type === 'armed' ? `armed:${m.id}` : m.type === 'rejected' ? `rejected:${m.id}` : m.type;
    const resolve = waiting.get(key);
    if (resolve !== undefined) {
      waiting.delete(key);
      resolve(m.at ?? 0);
    }
  });
  const ready = new Promise<number>((resolve) => waiting.set('ready', resolve));
  const exited = once(child, 'exit').then(([code]) => { throw new Error(`verifier child exited with ${code} before it was ready`); });
  await Promise.race([ready, exited]);
  return { process: child, waiting };
}

const expect = (child: Child, key: string): Promise<number> => new Promise((resolve) => child.waiting.set(key, resolve));

function stats(values: number[]): { p50Ms: number; p99Ms: number; maxMs: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99), maxMs: sorted.at(-1) ?? Number.NaN };
}

export async function runVerifierPropagationBench(
  log: (line?: string) => void, opts: { samples: number; verifierCounts: readonly number[] },
): Promise<VerifierPropagationResult[]> {
  log(`verifier propagation: POST /oauth/revoke → refused by @revokd/verifier in other processes (${opts.samples} revocations per run)`);
  const server = await ServerProcess.start({ command: [process.execPath, 'dist/src/cli/main.js', 'serve'], env: { ...NO_LIMITS } });
  const children: Child[] = [];
  try {
    const admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const revoker = await createClientViaAdmin(server.url, admin.access_token, 'bench revoker');
    const basic = `Basic ${Buffer.from(`${encodeURIComponent(revoker.client_id)}:${encodeURIComponent(revoker.client_secret)}`).toString('base64')}`;
    const stream = await createStreamClient((args) => server.cli(args), 'bench verifiers');
    const options = {
      issuer: server.url, audience: server.url, jwksUri: `${server.url}/.well-known/jwks.json`,
      stream: { url: `${server.url}/api/v1/revocations/stream`, clientId: stream.client_id, clientSecret: stream.client_secret },
      maxStalenessMs: 5000, failMode: 'closed',
    };
    const results: VerifierPropagationResult[] = [];
    let sampleId = 0;
    const revokeAndTime = async (active: Child[], token: string): Promise<{ each: number[]; last: number; request: number }> => {
      const id = String(sampleId++);
      await Promise.all(active.map(async (c) => {
        const armed = expect(c, `armed:${id}`);
        c.process.send({ type: 'arm', id, token });
        await armed;
      }));
      const rejected = active.map((c) => expect(c, `rejected:${id}`));
      const t0 = now();
      const res = await fetch(`${server.url}/oauth/revoke`, {
        method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }),
      });
      const request = now() - t0;
      if (res.status !== 200) throw new Error(`revoke: ${res.status} ${await res.text()}`);
      const at = await Promise.all(rejected);
      const each = at.map((a) => a - t0);
      return { each, last: Math.max(...each), request };
    };
    for (const count of opts.verifierCounts) {
      while (children.length < count) children.push(await startChild(options));
      const active = children.slice(0, count);
      const warmup = Math.min(50, opts.samples);
      const tokens = await mintClientCredentialsTokens(`${server.url}/oauth/token`, basic, opts.samples + warmup);
      for (const token of tokens.slice(0, warmup)) await revokeAndTime(active, token);
      const each: number[] = [];
      const last: number[] = [];
      const requests: number[] = [];
      for (const token of tokens.slice(warmup)) {
        const r = await revokeAndTime(active, token);
        each.push(...r.each);
        last.push(r.last);
        requests.push(r.request);
      }
      const req = stats(requests);
      results.push({ verifiers: count, samples: opts.samples, each: stats(each), last: stats(last), revokeRequest: { p50Ms: req.p50Ms, p99Ms: req.p99Ms }, afterRestartMs: [] });
      log(`  ${count} verifier(s): done`);
    }
    // The reconnect case, with every verifier started above.
    const afterRestart: number[] = [];
    for (let trial = 0; trial < 3; trial++) {
      const [token] = await mintClientCredentialsTokens(`${server.url}/oauth/token`, basic, 1);
      await Promise.all(children.map(async (c) => {
        const id = `restart-${trial}`;
        const armed = expect(c, `armed:${id}`);
        c.process.send({ type: 'arm', id, token });
        await armed;
      }));
      await server.kill();
      await server.restart();
      const rejected = children.map((c) => expect(c, `rejected:restart-${trial}`));
      const t0 = now();
      const res = await fetch(`${server.url}/oauth/revoke`, {
        method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: token! }),
      });
      if (res.status !== 200) throw new Error(`revoke after restart: ${res.status}`);
      afterRestart.push(Math.max(...(await Promise.all(rejected))) - t0);
    }
    const withRestart = results.map((r) => (r.verifiers === children.length ? { ...r, afterRestartMs: afterRestart } : r));
    log();
    printTable(['verifiers', 'samples', 'p50 (each)', 'p99 (each)', 'max (each)', 'p50 (last)', 'p99 (last)', 'max (last)', 'revoke req p50', 'target p99 ≤ 10 ms'], withRestart.map((r) => [
      String(r.verifiers), String(r.samples), ms(r.each.p50Ms), ms(r.each.p99Ms), ms(r.each.maxMs), ms(r.last.p50Ms), ms(r.last.p99Ms), ms(r.last.maxMs),
      ms(r.revokeRequest.p50Ms), r.verifiers === 4 ? (r.last.p99Ms <= 10 ? 'MET' : 'NOT MET') : '',
    ]), log);
    log(`after SIGKILL + restart of the server (${children.length} verifiers reconnecting): revoke right after ready → refused by all in ${afterRestart.map(ms).join(', ')}`);
    return withRestart;
  } finally {
    for (const c of children) {
      c.process.send({ type: 'close' });
      await Promise.race([once(c.process, 'exit'), new Promise((r) => setTimeout(r, 2000))]);
      c.process.kill('SIGKILL');
    }
    await server.stop();
  }
}

// Run on its own: node --import tsx bench/verifier-propagation.ts
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runVerifierPropagationBench((line = '') => process.stdout.write(`${line}\n`), { samples: Number(process.env.BENCH_VERIFIER_SAMPLES ?? 1000), verifierCounts: [1, 4] });
}
