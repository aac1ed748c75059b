/**
 * SPEC §3 "same-instant correctness": revoke-all (or logout-all) followed at once by a new login,
 * well inside the same second, must reject the old token and accept the new one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createClientViaAdmin,
  createUserViaAdmin,
  introspect,
  login,
  request,
} from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess } from '../support/server-process.js';

describe('revoke-all then login in the same second', () => {
  let server: ServerProcess;
  let client: { client_id: string; client_secret: string };
  let admin: { access_token: string };
  before(async () => {
    server = await ServerProcess.start();
    admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    client = await createClientViaAdmin(server.url, admin.access_token, 'introspector');
  });
  after(async () => {
    await server?.stop();
  });

  for (const route of ['revoke-all', 'logout-all']) {
    test(`${route}: old token rejected, new token accepted, on bearer routes and introspection`, async () => {
      const email = `${route}-${Date.now()}@example.com`;
      await createUserViaAdmin(server.url, admin.access_token, email, 'user-password-1');
      // Several rounds: at least some land inside one second of iat, which an iat cutoff would get wrong.
      for (let round = 0; round < 5; round++) {
        const old = await login(server.url, email, 'user-password-1');
        const res = await request(`${server.url}/api/v1/auth/${route}`, {
          method: 'POST',
          bearer: old.access_token,
          json: route === 'revoke-all' ? {} : undefined,
        });
        assert.ok(res.status === 200 || res.status === 204, `${route}: ${res.status} ${res.text}`);
        const fresh = await login(server.url, email, 'user-password-1');
        const oldIat = JSON.parse(
          Buffer.from(old.access_token.split('.')[1]!, 'base64url').toString(),
        ).iat;
        const newIat = JSON.parse(
          Buffer.from(fresh.access_token.split('.')[1]!, 'base64url').toString(),
        ).iat;
        assert.equal(
          (await request(`${server.url}/api/v1/auth/me`, { bearer: old.access_token })).status,
          401,
          `round ${round} old (iat ${oldIat} vs ${newIat})`,
        );
        assert.equal(
          (await request(`${server.url}/api/v1/auth/me`, { bearer: fresh.access_token })).status,
          200,
          `round ${round} new`,
        );
        assert.equal(
          (await introspect(server.url, client, old.access_token)).text,
          '{"active":false}',
        );
        assert.equal((await introspect(server.url, client, fresh.access_token)).body.active, true);
        if (route === 'revoke-all') {
          assert.equal(res.body.message, 'All tokens revoked successfully');
          assert.equal(typeof res.body.user_id, 'string');
          assert.ok(res.body.revoked.sessions >= 1);
        }
      }
    });
  }
});
