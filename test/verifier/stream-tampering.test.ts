/**
 * Issue 18, must-show 1: a real intercepting proxy between a verifier and a real revokd. Dropping
 * revocation events (heartbeats passed), altering one, reordering two, replaying an old event,
 * replaying old heartbeats while withholding the rest — each makes the verifier refuse to decide
 * within maxStalenessMs of the revocation and never accept the revoked token past that bound (nor
 * at all once it has refused); with the proxy transparent again it recovers by itself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { createVerifier, type Verifier } from '../../packages/verifier/src/index.js';
import {
  type Frame,
  type FrameTamper,
  InterceptingStreamProxy,
  passThrough,
} from '../support/intercepting-stream-proxy.js';
import { request } from '../support/http-client.js';
import { ServerProcess, sleep } from '../support/server-process.js';
import {
  STREAM_PATH,
  type StreamClient,
  adminRevoker,
  clientCredentialsToken,
  createStreamClient,
} from '../support/stream-setup.js';
import { until } from '../support/until.js';

const MAX_STALENESS_MS = 2_000;
/** Heartbeats (the proofs) four times a second, so each test is quick; the bound is still 2 s. */
const HEARTBEAT_MS = 250;

interface Outcome {
  readonly atMs: number;
  readonly result: 'accepted' | 'revoked' | 'refused' | 'other';
}

describe('a man in the middle of the revocation stream', () => {
  let server: ServerProcess;
  let proxy: InterceptingStreamProxy;
  let verifier: Verifier;
  let client: StreamClient;
  let revoke: (scope: string, value: string) => Promise<void>;

  before(async () => {
    server = await ServerProcess.start({
      env: { REVOKD_STREAM_HEARTBEAT_MS: String(HEARTBEAT_MS) },
    });
    client = await createStreamClient((args) => server.cli(args), 'tamper-rs');
    revoke = await adminRevoker(server.url);
    proxy = await InterceptingStreamProxy.start(server.url);
    const metadata = (await request(`${server.url}/.well-known/oauth-authorization-server`))
      .body as { issuer: string; jwks_uri: string };
    const sample = await clientCredentialsToken(server.url, client);
    verifier = await createVerifier({
      issuer: metadata.issuer,
      audience: decodeJwt(sample).aud as string,
      jwksUri: metadata.jwks_uri,
      stream: {
        url: `${proxy.url}${STREAM_PATH}`,
        clientId: client.client_id,
        clientSecret: client.client_secret,
      },
      maxStalenessMs: MAX_STALENESS_MS,
      failMode: 'closed',
    });
  });

  after(async () => {
    await verifier?.close();
    await proxy?.stop();
    await server?.stop();
  });

  async function outcomeOf(token: string): Promise<Outcome['result']> {
    try {
      await verifier.verify(token);
      return 'accepted';
    } catch (err) {
      const code = (err as { code?: string }).code;
      return code === 'ERR_TOKEN_REVOKED'
        ? 'revoked'
        : code === 'ERR_STORE_UNAVAILABLE'
          ? 'refused'
          : 'other';
    }
  }

  /**
   * With `tamper` in place, revokes a fresh token (and runs `alsoRevoke`), then asks about it every
   * few ms: it must be refused (503) within the bound, never accepted after the bound or after a
   * refusal; then the proxy turns transparent and the verifier must recover by itself.
   */
  async function underAttack(
    name: string,
    tamper: FrameTamper,
    options: {
      beforeAttack?: () => void;
      /** Called as the attack ends, before the proxy passes frames through again. */
      afterAttack?: () => void;
      alsoRevoke?: () => Promise<void>;
      afterRevoke?: () => void;
      countsMismatch?: boolean;
    } = {},
  ): Promise<void> {
    await until(`${name}: current before the attack`, async () =>
      verifier.status().stale ? undefined : true,
    );
    const token = await clientCredentialsToken(server.url, client);
    assert.equal(await outcomeOf(token), 'accepted');
    const mismatchesBefore = verifier.status().streamProofMismatches;
    options.beforeAttack?.();
    proxy.tamper = tamper;
    const revokedAt = Date.now();
    await revoke('jti', decodeJwt(token).jti as string);
    await options.alsoRevoke?.();
    options.afterRevoke?.();
    const outcomes: Outcome[] = [];
    const deadline = revokedAt + MAX_STALENESS_MS + 3_000;
    while (Date.now() < deadline) {
      outcomes.push({ atMs: Date.now() - revokedAt, result: await outcomeOf(token) });
      if (outcomes.filter((o) => o.result === 'refused').length >= 5) break;
      await sleep(5);
    }
    const firstRefusal = outcomes.findIndex((o) => o.result === 'refused');
    const summary = `${name}: ${outcomes
      .map((o) => `${o.atMs}:${o.result}`)
      .join(' ')
      .slice(0, 600)}`;
    assert.ok(firstRefusal >= 0, `never refused to decide: ${summary}`);
    assert.ok(
      outcomes[firstRefusal]!.atMs <= MAX_STALENESS_MS,
      `refused only after the bound: ${summary}`,
    );
    assert.deepEqual(
      outcomes.filter((o) => o.result === 'accepted' && o.atMs > MAX_STALENESS_MS),
      [],
      `accepted past the bound: ${summary}`,
    );
    assert.deepEqual(
      outcomes.slice(firstRefusal).filter((o) => o.result === 'accepted'),
      [],
      `accepted after refusing: ${summary}`,
    );
    assert.deepEqual(
      outcomes.filter((o) => o.result === 'other'),
      [],
      summary,
    );
    if (options.countsMismatch !== false)
      assert.ok(
        verifier.status().streamProofMismatches > mismatchesBefore,
        `the mismatch is counted: ${summary}`,
      );

    options.afterAttack?.();
    proxy.tamper = passThrough;
    await until(
      `${name}: recovered`,
      async () =>
        !verifier.status().stale && (await outcomeOf(token)) === 'revoked' ? true : undefined,
      15_000,
    );
    assert.equal(
      await outcomeOf(await clientCredentialsToken(server.url, client)),
      'accepted',
      `${name}: a valid token passes again`,
    );
  }

  test('revocation events withheld, heartbeats passed', async () => {
    await underAttack('drop', (frame) => (frame.event === 'revocation' ? [] : [frame.text]));
  });

  test('one revocation altered on the way (another jti)', async () => {
    let altered = false;
    await underAttack('alter', (frame) => {
      if (altered || frame.event !== 'revocation') return [frame.text];
      altered = true;
      return [frame.text.replace(/"jti":"[^"]+"/, '"jti":"altered-by-the-proxy"')];
    });
    assert.ok(altered, 'the proxy altered an event');
  });

  test('two revocations swapped', async () => {
    let held: Frame | undefined;
    let swapped = false;
    await underAttack(
      'reorder',
      (frame) => {
        if (swapped) return [frame.text];
        if (frame.event === 'revocation' && held === undefined) {
          held = frame;
          return [];
        }
        if (frame.event === 'revocation' && held !== undefined) {
          swapped = true;
          return [frame.text, held.text];
        }
        // While one is held, nothing else passes (else a heartbeat would give the loss away first).
        return held === undefined ? [frame.text] : [];
      },
      { alsoRevoke: () => revoke('jti', `second-${Date.now()}`) },
    );
    assert.ok(swapped, 'the proxy swapped two events');
  });

  test('an old revocation event replayed', async () => {
    const old = proxy.seen.find((frame) => frame.event === 'revocation');
    assert.ok(old !== undefined, 'an earlier revocation went through the proxy');
    await underAttack('replay event', passThrough, { afterRevoke: () => proxy.inject(old.text) });
  });

  test('old heartbeats replayed while everything new is withheld', async () => {
    let replays: NodeJS.Timeout | undefined;
    try {
      await underAttack('replay heartbeats', () => [], {
        // The last heartbeat before the attack: it names the chain the verifier holds, so only its age gives it away.
        beforeAttack: () => {
          const old = [...proxy.seen].reverse().find((frame) => frame.event === 'heartbeat');
          assert.ok(old !== undefined, 'a heartbeat went through the proxy');
          replays = setInterval(() => proxy.inject(old.text), HEARTBEAT_MS);
        },
        // The attack ends here: an old heartbeat injected after the recovery would make the
        // verifier stale again (rightly) and race the test's own "a valid token passes again".
        afterAttack: () => clearInterval(replays),
        countsMismatch: false,
      });
    } finally {
      clearInterval(replays);
    }
  });
});
