/**
 * RFC 8414 discovery, RFC 7009 revocation, RFC 7662 introspection and the RFC 6749 refresh and
 * client_credentials grants, driven through a third-party RP library (oauth4webapi) against a real
 * revokd process — so what we test is what an off-the-shelf client actually sends and accepts.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess, sleep } from '../support/server-process.js';
import {
  type LoginResult,
  createClientViaAdmin,
  createUserViaAdmin,
  login,
  request,
} from '../support/http-client.js';

const insecure = { [oauth.allowInsecureRequests]: true } as const;
const FIRST_PARTY: oauth.Client = { client_id: 'revokd' };
const INACTIVE_BODY = '{"active":false}';

interface Confidential {
  readonly client: oauth.Client;
  readonly secret: string;
}

async function discover(base: string): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(base);
  const response = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure });
  return oauth.processDiscoveryResponse(issuer, response);
}

async function confidential(base: string, adminToken: string, name: string): Promise<Confidential> {
  const created = await createClientViaAdmin(base, adminToken, name);
  assert.equal(typeof created.client_secret, 'string');
  return { client: { client_id: created.client_id }, secret: created.client_secret };
}

/** Introspects through oauth4webapi (client_secret_basic unless told otherwise). */
async function introspectVia(
  as: oauth.AuthorizationServer,
  c: Confidential,
  token: string,
  auth: 'basic' | 'post' = 'basic',
): Promise<oauth.IntrospectionResponse> {
  const clientAuth =
    auth === 'basic' ? oauth.ClientSecretBasic(c.secret) : oauth.ClientSecretPost(c.secret);
  const response = await oauth.introspectionRequest(as, c.client, clientAuth, token, insecure);
  return oauth.processIntrospectionResponse(as, c.client, response);
}

/** The raw introspection body, hand-built (no library), to check the exact bytes of an inactive answer. */
async function rawIntrospect(
  base: string,
  c: Confidential,
  token: string,
): Promise<{ status: number; text: string }> {
  const basic = Buffer.from(
    `${encodeURIComponent(c.client.client_id)}:${encodeURIComponent(c.secret)}`,
  ).toString('base64');
  const res = await fetch(`${base}/oauth/introspect`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${basic}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams({ token }).toString(),
  });
  return { status: res.status, text: await res.text() };
}

async function assertInactive(
  as: oauth.AuthorizationServer,
  base: string,
  c: Confidential,
  token: string,
  what: string,
): Promise<void> {
  assert.deepEqual(
    { ...(await introspectVia(as, c, token)) },
    { active: false },
    `${what}: introspection through oauth4webapi`,
  );
  const raw = await rawIntrospect(base, c, token);
  assert.equal(raw.status, 200, `${what}: raw status`);
  assert.equal(raw.text, INACTIVE_BODY, `${what}: raw body must be exactly {"active":false}`);
}

async function revokeVia(
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  auth: oauth.ClientAuth,
  token: string,
  hint?: string,
): Promise<void> {
  const response = await oauth.revocationRequest(as, client, auth, token, {
    ...insecure,
    ...(hint === undefined ? {} : { additionalParameters: { token_type_hint: hint } }),
  });
  assert.equal(response.status, 200, 'revocation answers 200');
  await oauth.processRevocationResponse(response);
}

/** Expects an OAuth error body (RFC 6749 §5.2) with this status and error code, and no challenge. */
async function expectBodyError(
  run: () => Promise<unknown>,
  status: number,
  error: string,
): Promise<void> {
  await assert.rejects(run, (err: unknown) => {
    assert.ok(
      err instanceof oauth.ResponseBodyError,
      `expected ResponseBodyError, got ${String(err)}`,
    );
    assert.equal(err.status, status);
    assert.equal(err.error, error);
    return true;
  });
}

/** Expects 401 invalid_client with a WWW-Authenticate challenge (oauth4webapi surfaces the challenge first). */
async function expectInvalidClient(run: () => Promise<unknown>): Promise<void> {
  let caught: unknown;
  try {
    await run();
  } catch (err) {
    caught = err;
  }
  assert.ok(
    caught instanceof oauth.WWWAuthenticateChallengeError,
    `expected WWWAuthenticateChallengeError, got ${String(caught)}`,
  );
  assert.equal(caught.status, 401);
  assert.ok(caught.cause.length >= 1, 'at least one challenge');
  assert.ok(caught.response.headers.get('www-authenticate'), 'WWW-Authenticate is present');
  const body = (await caught.response.json()) as { error?: string };
  assert.equal(body.error, 'invalid_client');
}

async function refreshVia(
  as: oauth.AuthorizationServer,
  refreshToken: string,
): Promise<oauth.TokenEndpointResponse> {
  const response = await oauth.refreshTokenGrantRequest(
    as,
    FIRST_PARTY,
    oauth.None(),
    refreshToken,
    insecure,
  );
  return oauth.processRefreshTokenResponse(as, FIRST_PARTY, response);
}

async function clientCredentials(
  as: oauth.AuthorizationServer,
  c: Confidential,
): Promise<oauth.TokenEndpointResponse> {
  const response = await oauth.clientCredentialsGrantRequest(
    as,
    c.client,
    oauth.ClientSecretBasic(c.secret),
    {},
    insecure,
  );
  return oauth.processClientCredentialsResponse(as, c.client, response);
}

describe('OAuth endpoints through oauth4webapi', () => {
  let server: ServerProcess;
  /** Access tokens live 1 s with no clock tolerance here, to get a genuinely expired token. */
  let shortServer: ServerProcess;
  let base: string;
  let as: oauth.AuthorizationServer;
  let adminToken: string;
  let clientA: Confidential;
  let clientB: Confidential;
  let userId: string;
  const email = 'oauth-rfc-user@example.com';
  const password = 'oauth-rfc-password-1';
  let userLogins = 0;

  const newSession = async (): Promise<LoginResult> => {
    userLogins += 1;
    return login(base, email, password, { 'user-agent': `oauth-rfc-test/${userLogins}` });
  };

  before(async () => {
    [server, shortServer] = await Promise.all([
      ServerProcess.start(),
      ServerProcess.start({
        env: { REVOKD_ACCESS_TTL_SECONDS: '1', REVOKD_CLOCK_TOLERANCE_SECONDS: '0' },
      }),
    ]);
    base = server.url;
    adminToken = (await login(base, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
    [clientA, clientB] = await Promise.all([
      confidential(base, adminToken, 'rp-a'),
      confidential(base, adminToken, 'rp-b'),
    ]);
    userId = (await createUserViaAdmin(base, adminToken, email, password)).id;
    as = await discover(base);
  });

  after(async () => {
    await Promise.all([server?.stop(), shortServer?.stop()]);
  });

  test('RFC 8414 discovery: metadata names our endpoints and auth methods; the JWKS verifies our tokens', async () => {
    assert.equal(new URL(as.issuer).href, new URL(base).href);
    assert.equal(as.token_endpoint, `${base}/oauth/token`);
    assert.equal(as.revocation_endpoint, `${base}/oauth/revoke`);
    assert.equal(as.introspection_endpoint, `${base}/oauth/introspect`);
    assert.equal(as.jwks_uri, `${base}/.well-known/jwks.json`);
    for (const m of ['client_secret_basic', 'client_secret_post', 'none']) {
      assert.ok(
        as.token_endpoint_auth_methods_supported?.includes(m),
        `token endpoint supports ${m}`,
      );
      assert.ok(
        as.revocation_endpoint_auth_methods_supported?.includes(m),
        `revocation endpoint supports ${m}`,
      );
    }
    for (const m of ['client_secret_basic', 'client_secret_post']) {
      assert.ok(
        as.introspection_endpoint_auth_methods_supported?.includes(m),
        `introspection endpoint supports ${m}`,
      );
    }
    assert.ok(as.grant_types_supported?.includes('refresh_token'));
    assert.ok(as.grant_types_supported?.includes('client_credentials'));
    assert.ok(!as.grant_types_supported?.includes('password'));

    const jwks = await request<{ keys: Record<string, unknown>[] }>(as.jwks_uri);
    assert.equal(jwks.status, 200);
    assert.ok(jwks.body.keys.length >= 1, 'at least one public key');
    for (const k of jwks.body.keys)
      assert.equal(k.d, undefined, 'no private key material in the JWKS');

    const session = await newSession();
    const { payload } = await jwtVerify(
      session.access_token,
      createRemoteJWKSet(new URL(as.jwks_uri)),
      { issuer: as.issuer },
    );
    assert.equal(payload.sub, userId);
  });

  test('refresh grant (public client revokd, auth none): new tokens, the old refresh token is consumed', async () => {
    const session = await newSession();
    const rotated = await refreshVia(as, session.refresh_token);
    assert.equal(rotated.token_type, 'bearer');
    assert.equal(typeof rotated.access_token, 'string');
    assert.notEqual(rotated.access_token, session.access_token);
    assert.equal(typeof rotated.refresh_token, 'string');
    assert.notEqual(rotated.refresh_token, session.refresh_token);
    assert.ok(typeof rotated.expires_in === 'number' && rotated.expires_in > 0);

    const oldRt = await introspectVia(as, clientA, session.refresh_token);
    assert.equal(oldRt.active, false, 'the presented refresh token is consumed');
    const newRt = await introspectVia(as, clientA, rotated.refresh_token!);
    assert.equal(newRt.active, true);
    assert.equal(newRt.token_type, 'refresh_token');
    assert.equal(newRt.sub, userId);
    const newAt = await introspectVia(as, clientA, rotated.access_token);
    assert.equal(newAt.active, true);
    assert.equal(newAt.sub, userId);

    // The successor keeps rotating through the library.
    const again = await refreshVia(as, rotated.refresh_token!);
    assert.notEqual(again.refresh_token, rotated.refresh_token);
  });

  test('RFC 7662 introspection with client_secret_basic and client_secret_post', async () => {
    const session = await newSession();
    for (const auth of ['basic', 'post'] as const) {
      const at = await introspectVia(as, clientA, session.access_token, auth);
      assert.equal(at.active, true, `${auth}: access token active`);
      assert.equal(at.sub, userId);
      assert.equal(at.client_id, 'revokd');
      assert.equal(at.token_type, 'access_token');
      assert.equal(typeof at.jti, 'string');
      assert.ok(
        typeof at.exp === 'number' && typeof at.iat === 'number' && at.exp > at.iat,
        `${auth}: exp after iat`,
      );

      const rt = await introspectVia(as, clientA, session.refresh_token, auth);
      assert.equal(rt.active, true, `${auth}: refresh token active`);
      assert.equal(rt.token_type, 'refresh_token');
      assert.equal(rt.sub, userId);
      assert.equal(rt.client_id, 'revokd');
    }

    const garbage = [
      'garbage',
      `rt_${'A'.repeat(43)}`,
      `${session.access_token.slice(0, -4)}AAAA`,
      'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
    ];
    for (const token of garbage)
      await assertInactive(as, base, clientA, token, `garbage ${token.slice(0, 12)}`);
  });

  test('RFC 7662: an expired access token is exactly {"active":false}; revoking it is 200', async () => {
    // This server's access tokens live at most a second (exp is whole seconds, so a login late in
    // a second leaves less): each admin call gets a fresh token, and is made again with another if
    // that one expired on the way (seen on a loaded CI machine). A 401 created nothing.
    const asShortAdmin = async <T>(call: (token: string) => Promise<T>): Promise<T> => {
      for (let attempt = 1; ; attempt++) {
        const token = (await login(shortServer.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
        try {
          return await call(token);
        } catch (err) {
          if (attempt >= 5 || !String(err).includes('ERR_TOKEN_EXPIRED')) throw err;
        }
      }
    };
    const shortAs = await discover(shortServer.url);
    const rp = await asShortAdmin((token) => confidential(shortServer.url, token, 'rp-short'));
    await asShortAdmin((token) =>
      createUserViaAdmin(shortServer.url, token, 'short@example.com', 'short-password-1'),
    );
    const session = await login(shortServer.url, 'short@example.com', 'short-password-1');
    const { exp } = JSON.parse(
      Buffer.from(session.access_token.split('.')[1]!, 'base64url').toString(),
    ) as { exp: number };
    // Wait (not a timing assertion) until the token is past its exp by a clear margin.
    while (Date.now() / 1000 < exp + 1.2) await sleep(100);
    await assertInactive(
      shortAs,
      shortServer.url,
      rp,
      session.access_token,
      'expired access token',
    );
    await revokeVia(shortAs, FIRST_PARTY, oauth.None(), session.access_token);
  });

  test('RFC 7009: revoking a refresh token revokes its session, access token included (cascade)', async () => {
    const session = await newSession();
    const other = await newSession();
    await revokeVia(as, FIRST_PARTY, oauth.None(), session.refresh_token);
    await assertInactive(as, base, clientA, session.refresh_token, 'revoked refresh token');
    await assertInactive(
      as,
      base,
      clientA,
      session.access_token,
      'access token of the revoked session',
    );
    const me = await request(`${base}/api/v1/auth/me`, { bearer: session.access_token });
    assert.equal(me.status, 401);
    await expectBodyError(() => refreshVia(as, session.refresh_token), 400, 'invalid_grant');
    // Another session of the same user is untouched.
    assert.equal((await introspectVia(as, clientA, other.access_token)).active, true);
    assert.equal((await introspectVia(as, clientA, other.refresh_token)).active, true);
  });

  test('RFC 7009: revoking an access token revokes only it; the session refresh token still works', async () => {
    const session = await newSession();
    await revokeVia(as, FIRST_PARTY, oauth.None(), session.access_token);
    await assertInactive(as, base, clientA, session.access_token, 'revoked access token');
    assert.equal(
      (await request(`${base}/api/v1/auth/me`, { bearer: session.access_token })).status,
      401,
    );
    assert.equal(
      (await introspectVia(as, clientA, session.refresh_token)).active,
      true,
      'no cascade from access to refresh token',
    );
    const rotated = await refreshVia(as, session.refresh_token);
    assert.equal(
      (await introspectVia(as, clientA, rotated.access_token)).active,
      true,
      'the new access token is live',
    );
    assert.equal(
      (await request(`${base}/api/v1/auth/me`, { bearer: rotated.access_token })).status,
      200,
    );
  });

  test('RFC 7009: unknown, garbage and already-revoked tokens all get 200', async () => {
    const session = await newSession();
    for (const token of [
      'garbage',
      `rt_${'B'.repeat(43)}`,
      `${session.access_token.slice(0, -4)}AAAA`,
      'x'.repeat(5000),
    ]) {
      await revokeVia(as, FIRST_PARTY, oauth.None(), token);
      await revokeVia(as, clientA.client, oauth.ClientSecretBasic(clientA.secret), token);
    }
    await revokeVia(as, FIRST_PARTY, oauth.None(), session.access_token);
    await revokeVia(as, FIRST_PARTY, oauth.None(), session.access_token);
    await revokeVia(as, FIRST_PARTY, oauth.None(), session.refresh_token);
    await revokeVia(as, FIRST_PARTY, oauth.None(), session.refresh_token);
    await assertInactive(as, base, clientA, session.refresh_token, 'twice-revoked refresh token');
    await assertInactive(as, base, clientA, session.access_token, 'twice-revoked access token');
  });

  test('RFC 7009 §2.1: a wrong token_type_hint still revokes', async () => {
    const s1 = await newSession();
    await revokeVia(as, FIRST_PARTY, oauth.None(), s1.access_token, 'refresh_token');
    await assertInactive(
      as,
      base,
      clientA,
      s1.access_token,
      'access token revoked with hint refresh_token',
    );

    const s2 = await newSession();
    await revokeVia(as, FIRST_PARTY, oauth.None(), s2.refresh_token, 'access_token');
    await assertInactive(
      as,
      base,
      clientA,
      s2.refresh_token,
      'refresh token revoked with hint access_token',
    );

    const cc = await clientCredentials(as, clientA);
    await revokeVia(
      as,
      clientA.client,
      oauth.ClientSecretPost(clientA.secret),
      cc.access_token,
      'refresh_token',
    );
    await assertInactive(
      as,
      base,
      clientA,
      cc.access_token,
      'client_credentials token revoked with hint refresh_token',
    );
  });

  test('failed client authentication at /oauth/revoke and /oauth/introspect is 401 invalid_client with WWW-Authenticate', async () => {
    const session = await newSession();
    const wrongBasic = oauth.ClientSecretBasic('cs_wrong-secret-wrong-secret-wrong-secret');
    const wrongPost = oauth.ClientSecretPost('cs_wrong-secret-wrong-secret-wrong-secret');
    for (const auth of [wrongBasic, wrongPost]) {
      await expectInvalidClient(async () =>
        oauth.processRevocationResponse(
          await oauth.revocationRequest(as, clientA.client, auth, session.access_token, insecure),
        ),
      );
      await expectInvalidClient(async () =>
        oauth.processIntrospectionResponse(
          as,
          clientA.client,
          await oauth.introspectionRequest(
            as,
            clientA.client,
            auth,
            session.access_token,
            insecure,
          ),
        ),
      );
    }
    // An unknown client id fails the same way.
    const ghost: oauth.Client = { client_id: 'cl_does-not-exist' };
    await expectInvalidClient(async () =>
      oauth.processRevocationResponse(
        await oauth.revocationRequest(as, ghost, wrongBasic, session.access_token, insecure),
      ),
    );
    // Introspection needs a confidential client: the public client revokd is refused the same way.
    await expectInvalidClient(async () =>
      oauth.processIntrospectionResponse(
        as,
        FIRST_PARTY,
        await oauth.introspectionRequest(
          as,
          FIRST_PARTY,
          oauth.None(),
          session.access_token,
          insecure,
        ),
      ),
    );
    // Nothing was revoked by the failed attempts.
    assert.equal((await introspectVia(as, clientA, session.access_token)).active, true);

    // Raw check of the header and body at both endpoints.
    for (const path of ['/oauth/revoke', '/oauth/introspect']) {
      const res = await request(`${base}${path}`, {
        method: 'POST',
        form: { token: session.access_token },
        headers: {
          authorization: `Basic ${Buffer.from(`${clientA.client.client_id}:nope`).toString('base64')}`,
        },
      });
      assert.equal(res.status, 401, path);
      assert.equal(res.body.error, 'invalid_client', path);
      assert.ok(res.headers.get('www-authenticate'), `${path}: WWW-Authenticate`);
    }
  });

  test('client_credentials through oauth4webapi; the client can revoke its own token', async () => {
    const cc = await clientCredentials(as, clientA);
    assert.equal(cc.token_type, 'bearer');
    assert.equal(cc.refresh_token, undefined, 'no refresh token for client_credentials');
    const info = await introspectVia(as, clientB, cc.access_token, 'post');
    assert.equal(info.active, true);
    assert.equal(info.client_id, clientA.client.client_id);
    assert.equal(info.sub, clientA.client.client_id);
    await revokeVia(as, clientA.client, oauth.ClientSecretBasic(clientA.secret), cc.access_token);
    await assertInactive(
      as,
      base,
      clientB,
      cc.access_token,
      'client_credentials token revoked by its client',
    );
  });

  test("a confidential client revoking another client's token gets 400 unauthorized_client; the token stays active", async () => {
    const cc = await clientCredentials(as, clientA);
    await expectBodyError(
      async () =>
        oauth.processRevocationResponse(
          await oauth.revocationRequest(
            as,
            clientB.client,
            oauth.ClientSecretBasic(clientB.secret),
            cc.access_token,
            insecure,
          ),
        ),
      400,
      'unauthorized_client',
    );
    assert.equal((await introspectVia(as, clientA, cc.access_token)).active, true);

    // The same for a first-party user's tokens presented by client B.
    const session = await newSession();
    for (const token of [session.access_token, session.refresh_token]) {
      await expectBodyError(
        async () =>
          oauth.processRevocationResponse(
            await oauth.revocationRequest(
              as,
              clientB.client,
              oauth.ClientSecretPost(clientB.secret),
              token,
              insecure,
            ),
          ),
        400,
        'unauthorized_client',
      );
      assert.equal((await introspectVia(as, clientA, token)).active, true);
    }
  });

  test('grant_type=password is 400 unsupported_grant_type', async () => {
    await expectBodyError(
      async () =>
        oauth.processGenericTokenEndpointResponse(
          as,
          clientA.client,
          await oauth.genericTokenEndpointRequest(
            as,
            clientA.client,
            oauth.ClientSecretBasic(clientA.secret),
            'password',
            { username: email, password },
            insecure,
          ),
        ),
      400,
      'unsupported_grant_type',
    );
    await expectBodyError(
      async () =>
        oauth.processGenericTokenEndpointResponse(
          as,
          FIRST_PARTY,
          await oauth.genericTokenEndpointRequest(
            as,
            FIRST_PARTY,
            oauth.None(),
            'password',
            { username: email, password },
            insecure,
          ),
        ),
      400,
      'unsupported_grant_type',
    );
  });

  test('a refresh token of client revokd presented by a confidential client is 400 invalid_grant', async () => {
    const session = await newSession();
    await expectBodyError(
      async () =>
        oauth.processRefreshTokenResponse(
          as,
          clientA.client,
          await oauth.refreshTokenGrantRequest(
            as,
            clientA.client,
            oauth.ClientSecretBasic(clientA.secret),
            session.refresh_token,
            insecure,
          ),
        ),
      400,
      'invalid_grant',
    );
    // The mismatch is rejected before consumption: the rightful client can still use it.
    const rotated = await refreshVia(as, session.refresh_token);
    assert.equal(typeof rotated.refresh_token, 'string');
  });
});
