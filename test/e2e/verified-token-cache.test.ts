/**
 * Issue 11, the verified-token cache: a repeat token skips the signature check, and nothing else.
 * Against a real server: a token presented many times (so its verdict is cached) still dies the
 * moment it is revoked, when its key is revoked, and when it expires; a token differing from a
 * cached one by a single byte is verified from scratch (the cache is keyed by the whole string,
 * never by jti).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { decodeProtectedHeader, decodeJwt } from 'jose';
import { nonCanonicalSpellings } from '../support/base64url-spellings.js';
import { createClientViaAdmin, introspect, login, request } from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess, sleep } from '../support/server-process.js';
import { until } from '../support/until.js';

const me = (base: string, token: string) => request(`${base}/api/v1/auth/me`, { bearer: token });

/** Presents `token` several times, so its verdict is certainly in the cache. */
async function warm(base: string, token: string): Promise<void> {
  for (let i = 0; i < 5; i++)
    assert.equal(
      (await me(base, token)).status,
      200,
      'the token works before the change under test',
    );
}

/** Replaces one base64url character in the middle of `segment` (0 header, 1 payload, 2 signature). */
function alter(token: string, segment: 0 | 1 | 2): string {
  const parts = token.split('.');
  const s = parts[segment]!;
  const at = Math.floor(s.length / 2);
  parts[segment] = s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
  return parts.join('.');
}

describe('verified-token cache on the service', () => {
  let server: ServerProcess | undefined;
  after(async () => {
    await server?.stop();
  });

  test('a cached token is refused once revoked (bearer routes and introspection), and a one-byte variant is never accepted', async () => {
    server = await ServerProcess.start();
    const admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const client = await createClientViaAdmin(server.url, admin.access_token, 'rs-cache', []);
    const user = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    await warm(server.url, user.access_token);
    assert.equal((await introspect(server.url, client, user.access_token)).body.active, true);

    for (const segment of [0, 1, 2] as const) {
      const variant = alter(user.access_token, segment);
      const res = await me(server.url, variant);
      assert.equal(res.status, 401, `segment ${segment} altered: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.code, 'ERR_INVALID_TOKEN');
      assert.equal((await introspect(server.url, client, variant)).body.active, false);
    }

    const revoked = await request(`${server.url}/api/v1/auth/revoke`, {
      method: 'POST',
      bearer: admin.access_token,
      json: { token: user.access_token },
    });
    assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
    const after = await me(server.url, user.access_token);
    assert.equal(after.status, 401);
    assert.equal(after.body.code, 'ERR_TOKEN_REVOKED');
    assert.equal((await introspect(server.url, client, user.access_token)).body.active, false);
    assert.equal(
      (await me(server.url, admin.access_token)).status,
      200,
      'another cached token is unaffected',
    );
  });

  test('the 15 other spellings of a signature (unused bits of its last character set) are refused and never cached; the token itself still works', async () => {
    const session = await login(server!.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const admin = await login(server!.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const client = await createClientViaAdmin(server!.url, admin.access_token, 'rs-spellings', []);
    await warm(server!.url, session.access_token);
    const signatureSpellings = nonCanonicalSpellings(session.access_token, 2);
    assert.equal(signatureSpellings.length, 15, 'an Ed25519 signature has 4 unused bits');
    // Header and payload too, when their length leaves unused bits (the payload's varies).
    const variants = [
      ...signatureSpellings,
      ...nonCanonicalSpellings(session.access_token, 0),
      ...nonCanonicalSpellings(session.access_token, 1),
    ];
    for (const variant of variants) {
      // Each one twice: a first answer that was cached would be a 200 the second time.
      for (let i = 0; i < 2; i++) {
        const res = await me(server!.url, variant);
        assert.equal(res.status, 401, `${variant.slice(-4)}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.code, 'ERR_INVALID_TOKEN', "the hostile-token corpus's code");
        assert.equal(res.body.error, 'invalid_token');
      }
      assert.equal((await introspect(server!.url, client, variant)).body.active, false);
    }
    assert.equal(
      (await me(server!.url, session.access_token)).status,
      200,
      'the canonical spelling is accepted',
    );
    assert.equal((await introspect(server!.url, client, session.access_token)).body.active, true);
  });

  test('a cached token is refused once its signing key is revoked by another process', async () => {
    await server?.stop();
    server = await ServerProcess.start();
    const old = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    await warm(server.url, old.access_token);
    const kid = decodeProtectedHeader(old.access_token).kid as string;
    const cli = await server.cli(['keys', 'revoke', kid, '--json']);
    assert.equal(cli.code, 0, cli.stderr);
    const res = await until(
      'the cached token of the revoked key to be refused',
      async () => {
        const r = await me(server!.url, old.access_token);
        return r.status === 200 ? undefined : r;
      },
      5_000,
    );
    assert.equal(res.status, 401);
    // Revoked by the replica's key record, or unknown once the key ring has reloaded without it.
    assert.ok(
      ['ERR_TOKEN_REVOKED', 'ERR_INVALID_TOKEN'].includes(res.body.code),
      JSON.stringify(res.body),
    );
    for (let i = 0; i < 3; i++)
      assert.equal((await me(server.url, old.access_token)).status, 401, 'and it stays refused');
  });

  test('a cached token expires on time (exp is checked on every call, not only the first)', async () => {
    await server?.stop();
    server = await ServerProcess.start({
      env: { REVOKD_ACCESS_TTL_SECONDS: '2', REVOKD_CLOCK_TOLERANCE_SECONDS: '0' },
    });
    const session = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    await warm(server.url, session.access_token);
    const { exp } = decodeJwt(session.access_token) as { exp: number };
    await sleep(Math.max(0, exp * 1000 - Date.now()) + 200);
    const res = await me(server.url, session.access_token);
    assert.equal(res.status, 401);
    assert.equal(res.body.code, 'ERR_TOKEN_EXPIRED');
  });

  test('REVOKD_VERIFIED_TOKEN_CACHE_SIZE=0 turns it off and the same rules hold; a bad value fails at start', async () => {
    await server?.stop();
    server = await ServerProcess.start({ env: { REVOKD_VERIFIED_TOKEN_CACHE_SIZE: '0' } });
    const session = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    await warm(server.url, session.access_token);
    assert.equal((await me(server.url, alter(session.access_token, 2))).status, 401);
    const refused = await ServerProcess.start({
      env: { REVOKD_VERIFIED_TOKEN_CACHE_SIZE: '-1' },
    }).then(
      async (s) => {
        await s.stop();
        return false;
      },
      (err: unknown) => /REVOKD_VERIFIED_TOKEN_CACHE_SIZE/.test(String(err)),
    );
    assert.equal(
      refused,
      true,
      'a negative cache size is a configuration error naming the variable',
    );
  });
});
