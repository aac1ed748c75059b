/** Admin user management and the first-party revoke of a given token: who may do what, and what each reaches. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createUserViaAdmin, login, request } from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess } from '../support/server-process.js';

describe('admin users and token ownership', () => {
  let server: ServerProcess;
  let admin: { access_token: string };
  before(async () => {
    server = await ServerProcess.start();
    admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  });
  after(async () => {
    await server?.stop();
  });

  test('login failures look the same for unknown email, wrong password and disabled user', async () => {
    const user = await createUserViaAdmin(
      server.url,
      admin.access_token,
      'to-disable@example.com',
      'user-password-1',
    );
    const a = await login(server.url, 'to-disable@example.com', 'user-password-1');
    const disable = await request(`${server.url}/api/v1/admin/users/${user.id}/disable`, {
      method: 'POST',
      bearer: admin.access_token,
    });
    assert.equal(disable.status, 200, disable.text);
    assert.equal(disable.body.revoked.sessions, 1);
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: a.access_token })).status,
      401,
      'disabling revokes everything',
    );
    assert.equal(
      (
        await request(`${server.url}/api/v1/auth/refresh`, {
          method: 'POST',
          json: { refresh_token: a.refresh_token },
        })
      ).status,
      401,
    );
    const bodies = await Promise.all(
      [
        ['nobody@example.com', 'user-password-1'],
        ['to-disable@example.com', 'wrong-password'],
        ['to-disable@example.com', 'user-password-1'],
      ].map(([email, password]) =>
        request(`${server.url}/api/v1/auth/login`, { method: 'POST', json: { email, password } }),
      ),
    );
    for (const res of bodies) {
      assert.equal(res.status, 401);
      assert.equal(res.text, bodies[0]!.text);
      assert.ok(res.headers.get('www-authenticate'));
    }
  });

  test('admin routes: 401 without a token, 403 for a non-admin, list and search for the admin', async () => {
    await createUserViaAdmin(
      server.url,
      admin.access_token,
      'plain@example.com',
      'user-password-1',
    );
    const plain = await login(server.url, 'plain@example.com', 'user-password-1');
    assert.equal((await request(`${server.url}/api/v1/admin/users`)).status, 401);
    const forbidden = await request(`${server.url}/api/v1/admin/users`, {
      bearer: plain.access_token,
    });
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.body.code, 'ERR_FORBIDDEN');
    const list = await request(`${server.url}/api/v1/admin/users?search=plain`, {
      bearer: admin.access_token,
    });
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.users.map((u: { email: string }) => u.email),
      ['plain@example.com'],
    );
    assert.ok(!list.text.includes('scrypt'), 'password hashes never leave the server');
    const dup = await request(`${server.url}/api/v1/admin/users`, {
      method: 'POST',
      bearer: admin.access_token,
      json: { email: 'PLAIN@example.com', password: 'user-password-1' },
    });
    assert.equal(dup.status, 409);
    const weak = await request(`${server.url}/api/v1/admin/users`, {
      method: 'POST',
      bearer: admin.access_token,
      json: { email: 'weak@example.com', password: 'short' },
    });
    assert.equal(weak.status, 400);
    assert.equal(
      (
        await request(`${server.url}/api/v1/admin/users/not-a-uuid/disable`, {
          method: 'POST',
          bearer: admin.access_token,
        })
      ).status,
      400,
    );
    assert.equal(
      (
        await request(
          `${server.url}/api/v1/admin/users/00000000-0000-4000-8000-000000000000/disable`,
          { method: 'POST', bearer: admin.access_token },
        )
      ).status,
      404,
    );
  });

  test("POST /auth/revoke {token}: my other token is revoked; another user's token is a 404 and stays alive", async () => {
    await createUserViaAdmin(
      server.url,
      admin.access_token,
      'owner@example.com',
      'user-password-1',
    );
    await createUserViaAdmin(
      server.url,
      admin.access_token,
      'other@example.com',
      'user-password-1',
    );
    const mine1 = await login(server.url, 'owner@example.com', 'user-password-1');
    const mine2 = await login(server.url, 'owner@example.com', 'user-password-1');
    const theirs = await login(server.url, 'other@example.com', 'user-password-1');

    const cross = await request(`${server.url}/api/v1/auth/revoke`, {
      method: 'POST',
      bearer: mine1.access_token,
      json: { token: theirs.access_token },
    });
    assert.equal(cross.status, 404);
    const random = await request(`${server.url}/api/v1/auth/revoke`, {
      method: 'POST',
      bearer: mine1.access_token,
      json: { token: 'eyJhbGciOiJFZERTQSJ9.e30.AAAA' },
    });
    assert.equal(random.text, cross.text, 'not yours looks exactly like does not exist');
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: theirs.access_token })).status,
      200,
    );

    const ok = await request(`${server.url}/api/v1/auth/revoke`, {
      method: 'POST',
      bearer: mine1.access_token,
      json: { token: mine2.access_token },
    });
    assert.equal(ok.status, 200);
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: mine2.access_token })).status,
      401,
    );
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: mine1.access_token })).status,
      200,
    );

    // A refresh token given: its whole session goes.
    const viaRefresh = await request(`${server.url}/api/v1/auth/revoke`, {
      method: 'POST',
      bearer: mine1.access_token,
      json: { token: mine2.refresh_token },
    });
    assert.equal(viaRefresh.status, 200);
    assert.equal(
      (
        await request(`${server.url}/api/v1/auth/refresh`, {
          method: 'POST',
          json: { refresh_token: mine2.refresh_token },
        })
      ).status,
      401,
    );
  });

  test('token/validate and revocation-status answer in the seed shapes', async () => {
    const s = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const v = await request(`${server.url}/api/v1/auth/token/validate`, { bearer: s.access_token });
    assert.equal(v.status, 200);
    assert.equal(v.body.valid, true);
    assert.equal(v.body.sid, s.session_id);
    for (const k of ['sub', 'jti', 'iat', 'exp']) assert.ok(k in v.body, k);
    const status = await request(`${server.url}/api/v1/auth/revocation-status`);
    assert.deepEqual(
      { service: status.body.service, status: status.body.status, backend: status.body.backend },
      { service: 'token_revocation', status: 'healthy', backend: 'sqlite' },
    );
  });

  test('access tokens from login and from refresh carry exactly the documented claims', async () => {
    const s = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const refreshed = await request(`${server.url}/api/v1/auth/refresh`, {
      method: 'POST',
      json: { refresh_token: s.refresh_token },
    });
    const expected = [
      'aud',
      'cgen',
      'client_id',
      'exp',
      'gen',
      'iat',
      'iss',
      'jti',
      'nbf',
      'scope',
      'sid',
      'sub',
      'ugen',
    ];
    for (const token of [s.access_token, refreshed.body.access_token as string]) {
      const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
      assert.deepEqual(Object.keys(payload).sort(), expected);
    }
  });

  test('logs never contain a token or password that was used', async () => {
    const s = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    await request(`${server.url}/api/v1/auth/me`, { bearer: s.access_token });
    await request(`${server.url}/api/v1/auth/refresh`, {
      method: 'POST',
      json: { refresh_token: s.refresh_token },
    });
    // A client that wrongly puts a token in the query string.
    await request(`${server.url}/api/v1/auth/me?access_token=${s.access_token}`);
    const sig = s.access_token.split('.')[2]!;
    assert.ok(server.output.length > 0);
    assert.ok(!server.output.includes(sig), 'access token in logs');
    assert.ok(!server.output.includes(s.refresh_token), 'refresh token in logs');
    assert.ok(!server.output.includes(ADMIN_PASSWORD), 'password in logs');
  });
});
