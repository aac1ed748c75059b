/**
 * The one scenario list every middleware adapter runs (Express, Fastify, Hono, node:http): each
 * adapter's test only says how to serve `GET /whoami` — answering `{ sub, jti }` from the claims
 * the middleware put on the request — and these scenarios drive it over real HTTP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createVerifier, type Verifier } from '../../packages/verifier/src/index.js';
import { until } from '../support/until.js';
import { AUDIENCE, CLIENT_ID, CLIENT_SECRET, ISSUER, WireStreamServer, record, signToken } from './wire-stream-server.js';

export interface ServedApp {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `GET /whoami` behind the adapter; the handler answers 200 `{ sub, jti }` from the request's claims. */
export type ServeApp = (verifier: Verifier) => Promise<ServedApp>;

export function runMiddlewareScenarios(adapter: string, serve: ServeApp): void {
  describe(`${adapter} middleware`, () => {
    let stream: WireStreamServer;
    let closedVerifier: Verifier;
    let openVerifier: Verifier;
    let closedApp: ServedApp;
    let openApp: ServedApp;

    before(async () => {
      stream = await WireStreamServer.start();
      const options = { issuer: ISSUER, audience: AUDIENCE, jwksUri: stream.jwksUri, stream: { url: stream.streamUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }, maxStalenessMs: 300 };
      closedVerifier = await createVerifier({ ...options, failMode: 'closed' });
      openVerifier = await createVerifier({ ...options, failMode: 'open' });
      closedApp = await serve(closedVerifier);
      openApp = await serve(openVerifier);
    });
    after(async () => {
      await closedApp?.close();
      await openApp?.close();
      await closedVerifier?.close();
      await openVerifier?.close();
      await stream?.stop();
    });

    const get = (app: ServedApp, authorization?: string) => fetch(`${app.url}/whoami`, { headers: authorization === undefined ? {} : { authorization } });
    const errorCode = async (res: Response) => ((await res.json()) as { code: string }).code;

    test('valid token → 200 and the claims on the request', async () => {
      const res = await get(closedApp, `Bearer ${await signToken(stream.keys[0]!, { sub: 'alice', jti: 'valid-token-1' })}`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { sub: 'alice', jti: 'valid-token-1' });
    });

    test('no Authorization → 401 with a Bearer challenge and no error code (RFC 6750 §3.1)', async () => {
      const res = await get(closedApp);
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="api"');
      assert.equal(await errorCode(res), 'ERR_INVALID_TOKEN');
    });

    test('malformed Authorization → 400 invalid_request; a malformed token → 401 invalid_token', async () => {
      const basic = await get(closedApp, 'Basic dXNlcjpwYXNz');
      assert.equal(basic.status, 400);
      assert.match(basic.headers.get('www-authenticate') ?? '', /^Bearer realm="api", error="invalid_request"/);
      const junk = await get(closedApp, 'Bearer not.a.token');
      assert.equal(junk.status, 401);
      assert.match(junk.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      assert.equal(await errorCode(junk), 'ERR_INVALID_TOKEN');
    });

    test('expired token → 401 ERR_TOKEN_EXPIRED', async () => {
      const res = await get(closedApp, `Bearer ${await signToken(stream.keys[0]!, { iat: Math.floor(Date.now() / 1000) - 700, ttl: 600 })}`);
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      assert.equal(await errorCode(res), 'ERR_TOKEN_EXPIRED');
    });

    test('revoked token → 401 ERR_TOKEN_REVOKED', async () => {
      const token = await signToken(stream.keys[0]!, { sid: `sess-${adapter}` });
      assert.equal((await get(closedApp, `Bearer ${token}`)).status, 200);
      stream.publish(record('session', `sess-${adapter}`));
      const res = await until('revocation reached the verifier', async () => {
        const r = await get(closedApp, `Bearer ${token}`);
        return r.status === 200 ? undefined : r;
      });
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      assert.equal(await errorCode(res), 'ERR_TOKEN_REVOKED');
    });

    test('stale replica: closed → 503 + Retry-After (never 401, never 200); open → 200', async () => {
      const token = `Bearer ${await signToken(stream.keys[0]!)}`;
      stream.down();
      try {
        await until('both verifiers stale', async () => (closedVerifier.status().stale && openVerifier.status().stale ? true : undefined));
        const closed = await get(closedApp, token);
        assert.equal(closed.status, 503);
        assert.ok(Number(closed.headers.get('retry-after')) >= 1);
        assert.equal(await errorCode(closed), 'ERR_STORE_UNAVAILABLE');
        const open = await get(openApp, token);
        assert.equal(open.status, 200);
        assert.ok(openVerifier.status().failOpenAccepted >= 1);
      } finally {
        stream.bringUp();
      }
      await until('current again', async () => (closedVerifier.status().stale ? undefined : true));
      assert.equal((await get(closedApp, token)).status, 200);
    });
  });
}
