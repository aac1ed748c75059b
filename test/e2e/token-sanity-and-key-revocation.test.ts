/**
 * Issue 9 item 8: tokens whose times this service never issues are refused even when the signature
 * is good; HS256 kids are revocable like any key; a key revoked by another process leaves the
 * served JWKS at once (the replica reloads the key ring when the feed brings a key record).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { SignJWT, decodeProtectedHeader, decodeJwt } from 'jose';
import {
  type JsonResponse,
  createClientViaAdmin,
  introspect,
  login,
  request,
} from '../support/http-client.js';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  ServerProcess,
  sleep,
  tempDir,
} from '../support/server-process.js';
import { until } from '../support/until.js';

const SECRET = 's'.repeat(16) + 'ecret-of-32-bytes-or-more-sanity';
const TTL = 300;
const TOLERANCE = 5;
const HS256_ENV = {
  REVOKD_JWT_ALG: 'HS256',
  REVOKD_JWT_SECRET: SECRET,
  REVOKD_ACCESS_TTL_SECONDS: String(TTL),
  REVOKD_CLOCK_TOLERANCE_SECONDS: String(TOLERANCE),
};

/** Re-signs a real token's claims with the real secret, so only the changed claims can be wrong. */
async function resign(token: string, change: Record<string, unknown>): Promise<string> {
  const header = decodeProtectedHeader(token);
  const claims = { ...decodeJwt(token), ...change };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', kid: header.kid, typ: header.typ })
    .sign(Buffer.from(SECRET, 'utf8'));
}

describe('HS256 tokens with times this service never issues', () => {
  let server: ServerProcess | undefined;
  after(async () => {
    await server?.stop();
  });

  test('exp 10^30, a lifetime beyond TTL + tolerance, or negative/fractional times → 401 on the bearer route and inactive on introspection', async () => {
    server = await ServerProcess.start({ env: HS256_ENV });
    const admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const client = await createClientViaAdmin(server.url, admin.access_token, 'rs-sanity', []);
    const { iat } = decodeJwt(admin.access_token) as { iat: number };

    // Control: re-signing the unchanged claims gives a token that works, so the refusals below are the claims' doing.
    const unchanged = await resign(admin.access_token, {});
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: unchanged })).status,
      200,
    );
    assert.equal((await introspect(server.url, client, unchanged)).body.active, true);

    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['exp 10^30', { exp: 1e30 }, /exp must be a whole number/],
      [
        'exp just past MAX_SAFE_INTEGER',
        { exp: Number.MAX_SAFE_INTEGER + 2 },
        /exp must be a whole number/,
      ],
      [
        'exp a century ahead',
        { exp: iat + 100 * 365 * 86_400 },
        /lifetime is longer than this service issues/,
      ],
      [
        'lifetime TTL + tolerance + 1',
        { exp: iat + TTL + TOLERANCE + 1 },
        /lifetime is longer than this service issues/,
      ],
      ['negative iat', { iat: -1 }, /iat must be a whole number/],
      ['fractional exp', { exp: iat + 10.5 }, /exp must be a whole number/],
      ['negative nbf', { nbf: -5 }, /nbf must be a whole number/],
    ];
    for (const [name, change, message] of cases) {
      const forged = await resign(admin.access_token, change);
      const res: JsonResponse = await request(`${server.url}/api/v1/auth/me`, { bearer: forged });
      assert.equal(res.status, 401, name);
      assert.equal(res.body.error, 'invalid_token', name);
      assert.match(res.headers.get('www-authenticate') ?? '', message, name);
      assert.equal((await introspect(server.url, client, forged)).body.active, false, name);
    }
    // A lifetime of exactly TTL + tolerance is still within what we accept.
    const longest = await resign(admin.access_token, { exp: iat + TTL + TOLERANCE });
    assert.equal((await request(`${server.url}/api/v1/auth/me`, { bearer: longest })).status, 200);
  });
});

describe('HS256 kids are revocable like any key', () => {
  let server: ServerProcess | undefined;
  after(async () => {
    await server?.stop();
  });

  test('revoking the current HS256 kid through the admin API: its tokens 401, keys list shows it revoked, issuing refuses (503) rather than sign with it', async () => {
    server = await ServerProcess.start({ env: HS256_ENV });
    const admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const other = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const kid = decodeProtectedHeader(admin.access_token).kid as string;

    const listed = await server.cli(['keys', 'list', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const before = JSON.parse(listed.stdout) as Array<{
      kid: string;
      alg: string;
      status: string;
      published: boolean;
    }>;
    assert.deepEqual(
      before.find((k) => k.kid === kid),
      { ...before.find((k) => k.kid === kid), alg: 'HS256', status: 'active', published: false },
    );

    const revoked = await request(`${server.url}/api/v1/admin/revocations`, {
      method: 'POST',
      bearer: admin.access_token,
      json: { scope: 'key', value: kid },
    });
    assert.equal(revoked.status, 200, revoked.text);
    assert.equal(revoked.body.revoked.changed, true);

    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: other.access_token })).status,
      401,
    );
    const relogin = await request(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      json: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
    });
    assert.equal(relogin.status, 503, relogin.text);
    assert.match(relogin.text, /no usable signing key/);
    assert.equal(relogin.text.includes('eyJ'), false, 'no token signed with the revoked key');

    const afterList = JSON.parse((await server.cli(['keys', 'list', '--json'])).stdout) as Array<{
      kid: string;
      status: string;
    }>;
    assert.equal(afterList.find((k) => k.kid === kid)?.status, 'revoked');
  });

  test('the kid of REVOKD_JWT_PREVIOUS_SECRET is revocable by `revokd keys revoke` while the current one keeps signing', async () => {
    await server?.stop(); // the previous test's server: a leaked process keeps the runner alive
    const dataDir = tempDir('hsprev');
    server = await ServerProcess.start({ dataDir, env: HS256_ENV });
    const old = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const oldKid = decodeProtectedHeader(old.access_token).kid as string;
    await server.stop();
    const NEW = 'n'.repeat(16) + 'ew-secret-of-32-bytes-or-more-sanity';
    server = await ServerProcess.start({
      dataDir,
      port: server.port,
      env: { ...HS256_ENV, REVOKD_JWT_SECRET: NEW, REVOKD_JWT_PREVIOUS_SECRET: SECRET },
    });
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: old.access_token })).status,
      200,
    );
    const cli = await server.cli(['keys', 'revoke', oldKid, '--json']);
    assert.equal(cli.code, 0, cli.stderr);
    // Another process revoked it: the server enforces it from its next feed poll (100 ms by default).
    await until(
      'the revoked previous-secret kid to be refused',
      async () =>
        (await request(`${server!.url}/api/v1/auth/me`, { bearer: old.access_token })).status ===
        401
          ? true
          : undefined,
      5_000,
    );
    const fresh = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    assert.notEqual(decodeProtectedHeader(fresh.access_token).kid, oldKid);
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: fresh.access_token })).status,
      200,
    );
  });
});

describe('a key revoked by another process leaves the JWKS at once', () => {
  let server: ServerProcess | undefined;
  after(async () => {
    await server?.stop();
  });

  test('after `revokd keys revoke` (CLI, same data dir) the served JWKS drops the key within 1 s (EdDSA)', async () => {
    server = await ServerProcess.start({ env: { REVOKD_JWT_ALG: 'EdDSA' } });
    const jwksKids = async (): Promise<string[]> =>
      (
        await request<{ keys: Array<{ kid: string }> }>(`${server!.url}/.well-known/jwks.json`)
      ).body.keys.map((k) => k.kid);
    // Rotate first, so the key revoked is a retired one: nothing else (a forced rotation) moves the ring.
    assert.equal((await server.cli(['keys', 'rotate'])).code, 0);
    const deadline = Date.now() + 15_000;
    let kids = await jwksKids();
    while (kids.length < 2 && Date.now() < deadline) {
      await sleep(100);
      kids = await jwksKids();
    }
    assert.equal(kids.length, 2, 'the rotated key reached the JWKS');
    const list = JSON.parse((await server.cli(['keys', 'list', '--json'])).stdout) as Array<{
      kid: string;
      status: string;
    }>;
    const retired = list.find((k) => k.status === 'retired')!.kid;
    assert.ok(kids.includes(retired));

    const cli = await server.cli(['keys', 'revoke', retired]);
    assert.equal(cli.code, 0, cli.stderr);
    const revokedAt = Date.now();
    let present = true;
    while (present && Date.now() - revokedAt < 1_500) {
      present = (await jwksKids()).includes(retired);
      if (present) await sleep(50);
    }
    const elapsedMs = Date.now() - revokedAt;
    assert.equal(
      present,
      false,
      `the revoked key was still in the JWKS ${elapsedMs} ms after the CLI finished`,
    );
    console.log(`# JWKS dropped the revoked key ${elapsedMs} ms after the CLI exited`);
  });
});
