/**
 * An empty body sent with `content-type: application/json` (what `curl -X POST -H 'content-type:
 * application/json'` and many HTTP clients send) is no body where the body is optional — logout,
 * logout-all, revoke, revoke-all, API-token revoke-all — and the call does what it does without a
 * body. Where a body is required it is still a 400 in the project's shape, and a body that is not
 * JSON (a lone space, a lone brace) is a 400 everywhere, changing nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createUserViaAdmin, login, request } from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess } from '../support/server-process.js';

const EMAIL = 'empty-body@example.com';
const PASSWORD = 'empty-body-password-1';

describe('empty JSON bodies', () => {
  let server: ServerProcess;
  const emptyJson = (path: string, bearer?: string, body = '') =>
    request(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      ...(bearer === undefined ? {} : { bearer }),
    });
  const alive = async (accessToken: string): Promise<boolean> =>
    (await request(`${server.url}/api/v1/auth/me`, { bearer: accessToken })).status === 200;

  before(async () => {
    server = await ServerProcess.start();
    const admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    await createUserViaAdmin(server.url, admin.access_token, EMAIL, PASSWORD);
  });
  after(async () => {
    await server?.stop();
  });

  test('logout, logout-all, revoke and revoke-all accept an empty body and do their work', async () => {
    for (const path of [
      '/api/v1/auth/logout',
      '/api/v1/auth/logout-all',
      '/api/v1/auth/revoke',
      '/api/v1/auth/revoke-all',
    ]) {
      const session = await login(server.url, EMAIL, PASSWORD);
      assert.equal(await alive(session.access_token), true);
      const res = await emptyJson(path, session.access_token);
      assert.ok(res.status === 200 || res.status === 204, `${path}: ${res.status} ${res.text}`);
      assert.equal(await alive(session.access_token), false, `${path} revoked the presented token`);
    }
    const res = await emptyJson(
      '/api/v1/tokens/revoke-all',
      (await login(server.url, EMAIL, PASSWORD)).access_token,
    );
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.revoked_count, 0);
  });

  test('where a body is required, an empty one is a 400 that says so', async () => {
    const res = await emptyJson('/api/v1/auth/login');
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, {
      error: 'invalid_request',
      error_description: 'a JSON object body is required',
      code: 'ERR_VALIDATION',
    });
  });

  test('a body that is not JSON is still a 400 where the body is optional, and revokes nothing', async () => {
    const session = await login(server.url, EMAIL, PASSWORD);
    // Malformed JSON everywhere; JSON that is not an object where the route reads its body (logout ignores a body).
    const cases: Array<[string, string[]]> = [
      [' ', ['/api/v1/auth/revoke', '/api/v1/auth/revoke-all', '/api/v1/auth/logout']],
      ['{', ['/api/v1/auth/revoke', '/api/v1/auth/revoke-all', '/api/v1/auth/logout']],
      ['null', ['/api/v1/auth/revoke', '/api/v1/auth/revoke-all']],
      ['[]', ['/api/v1/auth/revoke', '/api/v1/auth/revoke-all']],
    ];
    for (const [body, paths] of cases) {
      for (const path of paths) {
        const res = await emptyJson(path, session.access_token, body);
        assert.equal(res.status, 400, `${path} ${JSON.stringify(body)}: ${res.text}`);
        assert.equal(typeof res.body.code, 'string');
      }
    }
    assert.equal(
      await alive(session.access_token),
      true,
      'the session survived every refused call',
    );
  });
});
