/**
 * The one scenario list every middleware adapter runs (Express, Fastify, Hono, node:http): each
 * adapter's test only says how to serve `GET /whoami` behind its middleware created with the given
 * options — answering `{ sub, jti, scope }` from the claims the middleware put on the request — and
 * these scenarios drive it over real HTTP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createVerifier,
  type MiddlewareOptions,
  type Verifier,
} from '../../packages/verifier/src/index.js';
import { until } from '../support/until.js';
import {
  AUDIENCE,
  CLIENT_ID,
  CLIENT_SECRET,
  ISSUER,
  WireStreamServer,
  record,
  signToken,
} from './wire-stream-server.js';

export interface ServedApp {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `GET /whoami` behind the adapter's middleware made with `options` (created before this
 * resolves, so bad options reject it); the handler answers 200 `{ sub, jti, scope }` from the claims.
 */
export type ServeApp = (verifier: Verifier, options?: MiddlewareOptions) => Promise<ServedApp>;

export function runMiddlewareScenarios(adapter: string, serve: ServeApp): void {
  describe(`${adapter} middleware`, () => {
    let stream: WireStreamServer;
    let closedVerifier: Verifier;
    let openVerifier: Verifier;
    let closedApp: ServedApp;
    let openApp: ServedApp;
    /** requireScopes ['orders:write'], realm "orders". */
    let writeApp: ServedApp;
    /** requireScopes ['orders:read', 'orders:write']. */
    let readWriteApp: ServedApp;

    before(async () => {
      stream = await WireStreamServer.start();
      const options = {
        issuer: ISSUER,
        audience: AUDIENCE,
        jwksUri: stream.jwksUri,
        stream: { url: stream.streamUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
        maxStalenessMs: 300,
      };
      closedVerifier = await createVerifier({ ...options, failMode: 'closed' });
      openVerifier = await createVerifier({ ...options, failMode: 'open' });
      closedApp = await serve(closedVerifier);
      openApp = await serve(openVerifier);
      writeApp = await serve(closedVerifier, { realm: 'orders', requireScopes: ['orders:write'] });
      readWriteApp = await serve(closedVerifier, {
        requireScopes: ['orders:read', 'orders:write'],
      });
    });
    after(async () => {
      await closedApp?.close();
      await openApp?.close();
      await writeApp?.close();
      await readWriteApp?.close();
      await closedVerifier?.close();
      await openVerifier?.close();
      await stream?.stop();
    });

    const get = (app: ServedApp, authorization?: string) =>
      fetch(`${app.url}/whoami`, { headers: authorization === undefined ? {} : { authorization } });
    const errorCode = async (res: Response) => ((await res.json()) as { code: string }).code;
    const bearer = async (fields: Parameters<typeof signToken>[1]) =>
      `Bearer ${await signToken(stream.keys[0]!, fields)}`;

    test('valid token → 200 and the claims on the request', async () => {
      const res = await get(
        closedApp,
        `Bearer ${await signToken(stream.keys[0]!, { sub: 'alice', jti: 'valid-token-1' })}`,
      );
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { sub: 'alice', jti: 'valid-token-1', scope: 'read' });
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
      assert.match(
        basic.headers.get('www-authenticate') ?? '',
        /^Bearer realm="api", error="invalid_request"/,
      );
      const junk = await get(closedApp, 'Bearer not.a.token');
      assert.equal(junk.status, 401);
      assert.match(junk.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      assert.equal(await errorCode(junk), 'ERR_INVALID_TOKEN');
    });

    test('expired token → 401 ERR_TOKEN_EXPIRED', async () => {
      const res = await get(
        closedApp,
        `Bearer ${await signToken(stream.keys[0]!, { iat: Math.floor(Date.now() / 1000) - 700, ttl: 600 })}`,
      );
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
        await until('both verifiers stale', async () =>
          closedVerifier.status().stale && openVerifier.status().stale ? true : undefined,
        );
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

    test('requireScopes: a token with the scope → 200 and the claims unchanged', async () => {
      const res = await get(
        writeApp,
        await bearer({ sub: 'bob', jti: 'scoped-1', scope: 'orders:read orders:write' }),
      );
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), {
        sub: 'bob',
        jti: 'scoped-1',
        scope: 'orders:read orders:write',
      });
    });

    test('requireScopes: a token without it → 403 insufficient_scope with the RFC 6750 challenge', async () => {
      // A scope that only contains the required one as a substring is not it.
      for (const scope of ['read', '', 'orders:writer', 'orders:write:all orders']) {
        const res = await get(writeApp, await bearer({ scope }));
        assert.equal(res.status, 403, `scope "${scope}"`);
        assert.equal(
          res.headers.get('www-authenticate'),
          'Bearer realm="orders", error="insufficient_scope", scope="orders:write"',
        );
        assert.equal(res.headers.get('cache-control'), 'no-store');
        assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
        assert.deepEqual(await res.json(), {
          error: 'insufficient_scope',
          error_description: 'the token lacks the scope orders:write',
          code: 'ERR_FORBIDDEN',
        });
      }
    });

    test('requireScopes with several: all are needed, in any order; the challenge names them all', async () => {
      for (const scope of ['orders:write orders:read', 'admin orders:read  orders:write']) {
        assert.equal(
          (await get(readWriteApp, await bearer({ scope }))).status,
          200,
          `scope "${scope}"`,
        );
      }
      const onlyRead = await get(readWriteApp, await bearer({ scope: 'orders:read' }));
      assert.equal(onlyRead.status, 403);
      assert.equal(
        onlyRead.headers.get('www-authenticate'),
        'Bearer realm="api", error="insufficient_scope", scope="orders:read orders:write"',
      );
      assert.equal(
        ((await onlyRead.json()) as { error_description: string }).error_description,
        'the token lacks the scope orders:write',
      );
      const none = await get(readWriteApp, await bearer({ scope: 'read' }));
      assert.equal(none.status, 403);
      assert.equal(
        ((await none.json()) as { error_description: string }).error_description,
        'the token lacks the scopes orders:read orders:write',
      );
    });

    test('requireScopes: a missing, bad, expired or revoked token is 400/401 before any scope check', async () => {
      const missing = await get(writeApp);
      assert.equal(missing.status, 401);
      assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="orders"');
      const basic = await get(writeApp, 'Basic dXNlcjpwYXNz');
      assert.equal(basic.status, 400);
      const junk = await get(writeApp, 'Bearer not.a.token');
      assert.equal(junk.status, 401);
      assert.match(
        junk.headers.get('www-authenticate') ?? '',
        /^Bearer realm="orders", error="invalid_token"/,
      );
      // Expired and lacking the scope: 401 expired, not 403.
      const expired = await get(
        writeApp,
        await bearer({ scope: 'read', iat: Math.floor(Date.now() / 1000) - 700, ttl: 600 }),
      );
      assert.equal(expired.status, 401);
      assert.equal(await errorCode(expired), 'ERR_TOKEN_EXPIRED');
      // Revoked and lacking the scope: 401 revoked, not 403.
      const sid = `sess-scoped-${adapter}`;
      const token = await bearer({ sid, scope: 'read' });
      assert.equal((await get(writeApp, token)).status, 403);
      stream.publish(record('session', sid));
      const revoked = await until('revocation reached the verifier', async () => {
        const r = await get(writeApp, token);
        return r.status === 403 ? undefined : r;
      });
      assert.equal(revoked.status, 401);
      assert.equal(await errorCode(revoked), 'ERR_TOKEN_REVOKED');
    });

    test('requireScopes: stale and closed → 503 before any scope check (with or without the scope)', async () => {
      const without = await bearer({ scope: 'read' });
      const withScope = await bearer({ scope: 'orders:write' });
      stream.down();
      try {
        await until('verifier stale', async () =>
          closedVerifier.status().stale ? true : undefined,
        );
        for (const token of [without, withScope]) {
          const res = await get(writeApp, token);
          assert.equal(res.status, 503);
          assert.equal(res.headers.get('www-authenticate'), null);
          assert.ok(Number(res.headers.get('retry-after')) >= 1);
          assert.equal(await errorCode(res), 'ERR_STORE_UNAVAILABLE');
        }
      } finally {
        stream.bringUp();
      }
      await until('current again', async () => (closedVerifier.status().stale ? undefined : true));
      assert.equal((await get(writeApp, without)).status, 403);
      assert.equal((await get(writeApp, withScope)).status, 200);
    });

    test('requireScopes that are not scope-tokens are refused when the middleware is made (TypeError)', async () => {
      for (const requireScopes of [
        ['orders write'],
        [''],
        ['a"b'],
        'orders:write' as unknown as string[],
      ]) {
        await assert.rejects(
          serve(closedVerifier, { requireScopes }),
          TypeError,
          JSON.stringify(requireScopes),
        );
      }
    });
  });
}
