/**
 * Issue 21, "reconnect fast": a verifier comes back soon after its stream is lost, and backs off
 * only when attempts keep failing — against a real revokd process (compiled, SQLite), with the
 * stream going through a real TCP proxy that records every connection attempt (nobody's timers
 * are touched). What is asserted is what the verifier decides and the order and relative spacing
 * of its attempts, never a number of milliseconds.
 * - every stream starts with the server's `retry:`;
 * - SIGKILL + restart of the server: the verifier becomes current again by itself and refuses a
 *   token revoked after the restart;
 * - a healthy stream cut, then every attempt refused: the first QUICK_ATTEMPTS come at the short
 *   delay, the ones after them further and further apart; it is current again once let through.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createVerifier, type Verifier } from '../../packages/verifier/src/index.js';
import { QUICK_ATTEMPTS } from '../../packages/verifier/src/reconnect-backoff.js';
import { type Attempt, CountingTcpProxy } from '../support/counting-tcp-proxy.js';
import { REPO_ROOT, ServerProcess } from '../support/server-process.js';
import {
  STREAM_PATH,
  type StreamClient,
  adminRevoker,
  clientCredentialsToken,
  createStreamClient,
} from '../support/stream-setup.js';
import { until } from '../support/until.js';
import { decodeJwt } from 'jose';

const COMPILED_CLI = path.join(REPO_ROOT, 'dist/src/cli/main.js');

/** Gaps between consecutive attempts, the first one measured from `from`. */
function gaps(from: number, attempts: readonly Attempt[]): number[] {
  return attempts.map((a, i) => a.at - (i === 0 ? from : attempts[i - 1]!.at));
}

describe('verifier reconnects after a restart of revokd (issue 21)', () => {
  let server: ServerProcess;
  let proxy: CountingTcpProxy;
  let client: StreamClient;
  let revoke: (scope: string, value: string) => Promise<void>;
  let verifier: Verifier;

  /** Until the verifier holds a view proven current on a connection made after `connections`. */
  const currentAgain = (connections: number): Promise<true> => {
    const probe = (): true | undefined => {
      const s = verifier.status();
      return s.streamConnections > connections && !s.stale ? true : undefined;
    };
    return until('the verifier current again', probe, 60_000);
  };

  before(async () => {
    server = await ServerProcess.start({ command: [process.execPath, COMPILED_CLI, 'serve'] });
    proxy = await CountingTcpProxy.start(server.port);
    client = await createStreamClient((args) => server.cli(args), 'reconnect-rs');
    revoke = await adminRevoker(server.url);
    verifier = await createVerifier({
      issuer: server.url,
      audience: server.url,
      jwksUri: `${server.url}/.well-known/jwks.json`,
      stream: {
        url: `http://127.0.0.1:${proxy.port}${STREAM_PATH}`,
        clientId: client.client_id,
        clientSecret: client.client_secret,
      },
      maxStalenessMs: 2_000,
      failMode: 'closed',
    });
  });
  after(async () => {
    await verifier?.close();
    await proxy?.stop();
    await server?.stop();
  });

  test("every stream starts with the server's retry:", async () => {
    const abort = new AbortController();
    const res = await fetch(`${server.url}${STREAM_PATH}`, {
      headers: { authorization: client.basic },
      signal: abort.signal,
    });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) {
      text += Buffer.from((await reader.read()).value).toString('utf8');
    }
    abort.abort();
    await reader.cancel().catch(() => {});
    assert.match(text, /^retry: [0-9]+\n\n/);
  });

  test('SIGKILL + restart: current again by itself; refuses a token revoked after', async (t) => {
    await currentAgain(0);
    const kept = await clientCredentialsToken(server.url, client);
    const victim = await clientCredentialsToken(server.url, client);
    await verifier.verify(victim);
    const connections = verifier.status().streamConnections;
    const killedAt = proxy.attempts.length;
    await server.kill();
    // The verifier is trying while the server is down: its attempts are refused.
    await until('an attempt refused while the server is down', () =>
      proxy.attempts.slice(killedAt).some((a) => a.outcome === 'refused') ? true : undefined,
    );
    await server.spawn();
    await currentAgain(connections);
    const during = proxy.attempts.slice(killedAt);
    t.diagnostic(`attempts while down and after: ${during.map((a) => a.outcome).join(', ')}`);
    const through = during.findIndex((a) => a.outcome === 'forwarded');
    assert.ok(through > 0, 'refused while the server was down, then through to the new one');
    assert.ok(
      during.slice(through).every((a) => a.outcome === 'forwarded'),
      'no refusal after',
    );
    await revoke('jti', decodeJwt(victim).jti as string);
    await until('the token revoked after the restart refused', () =>
      verifier.verify(victim).then(
        () => undefined,
        (err: { code?: string }) => (err.code === 'ERR_TOKEN_REVOKED' ? true : undefined),
      ),
    );
    assert.equal((await verifier.verify(kept)).client_id, client.client_id);
  });

  test('a healthy stream cut, then refusals: quick attempts, then further apart', async (t) => {
    await currentAgain(0);
    const connections = verifier.status().streamConnections;
    const refusals = QUICK_ATTEMPTS + 2;
    const from = proxy.attempts.length;
    proxy.refuseNext = refusals;
    const cutAt = performance.now();
    proxy.cutAll();
    await currentAgain(connections);
    const seen = proxy.attempts.slice(from);
    assert.deepEqual(
      seen.map((a) => a.outcome),
      [...Array<string>(refusals).fill('refused'), 'forwarded'],
      'every refused attempt, then one that got through',
    );
    const spacing = gaps(cutAt, seen);
    t.diagnostic(`gaps between attempts (ms): ${spacing.map((g) => g.toFixed(0)).join(', ')}`);
    // The quick attempts (the first after the cut included) are each closer together than the
    // last, once the delay had doubled three times (×2, ×4, ×8) after them — ×8, not ×2, so that a
    // loaded machine's scheduling delays cannot blur the comparison.
    const quick = spacing.slice(0, QUICK_ATTEMPTS);
    const grown = spacing.slice(QUICK_ATTEMPTS + 2);
    const both = `quick ${quick.join(', ')} vs grown ${grown.join(', ')}`;
    assert.ok(Math.max(...quick) < Math.min(...grown), both);
    assert.ok(spacing.at(-1)! > spacing[QUICK_ATTEMPTS]!, 'still growing at the last refusal');
  });
});
