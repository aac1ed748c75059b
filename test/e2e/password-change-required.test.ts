/**
 * Issue 17, item 5: the generated first admin cannot use the API before it replaces its password.
 * A server with no REVOKD_ADMIN_* (so it generates `admin@localhost` and initial-admin.json), on
 * SQLite and on PostgreSQL: every bearer route of the API that /openapi.json lists answers 403
 * ERR_PASSWORD_CHANGE_REQUIRED with a message saying what to do — for the login's token, a refreshed
 * one and one from /oauth/token alike — except the password change, /me and logout; nothing is
 * changed meanwhile; after the change the same token (and a new login) can use the admin API. An
 * operator's `revokd user set-password` lifts it too (and ends the sessions holding it).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type JsonResponse, type LoginResult, login, request } from '../support/http-client.js';
import { BACKENDS, type ServerOnBackend, startServerOn } from '../support/server-on-backend.js';
import { until } from '../support/until.js';
import type { ServerProcess } from '../support/server-process.js';

const CHOSEN = 'Amber otters juggle 7 midnight lanterns';
const NO_CONFIGURED_ADMIN = { REVOKD_ADMIN_EMAIL: '', REVOKD_ADMIN_PASSWORD: '' };
/** Open before the change (SPEC §5.2). */
const OPEN = new Set([
  'POST /api/v1/auth/password',
  'GET /api/v1/auth/me',
  'POST /api/v1/auth/logout',
]);
const ANY_UUID = '0b8c2a4e-3f9d-4c7a-9e21-5d6f7a8b9c0d';

interface Operation {
  readonly method: string;
  readonly path: string;
}

/** Every /api/v1 operation that takes a user's bearer token, from the server's own description. */
async function bearerOperations(url: string): Promise<Operation[]> {
  const spec = await request<{
    paths: Record<string, Record<string, { security?: Array<Record<string, unknown>> }>>;
  }>(`${url}/openapi.json`);
  assert.equal(spec.status, 200, spec.text);
  const operations: Operation[] = [];
  for (const [template, methods] of Object.entries(spec.body.paths)) {
    if (!template.startsWith('/api/v1/')) continue;
    for (const [method, op] of Object.entries(methods)) {
      const schemes = (op.security ?? []).flatMap((s) => Object.keys(s));
      // The revocation stream takes clients (Basic or a client_credentials token), never a user.
      if (!schemes.includes('bearer') || schemes.includes('clientBasic')) continue;
      operations.push({
        method: method.toUpperCase(),
        path: template.replace(/\{[^}]+\}/g, ANY_UUID),
      });
    }
  }
  return operations;
}

for (const backend of BACKENDS) {
  describe(`the generated first admin before its password change (${backend})`, () => {
    let running: ServerOnBackend;
    let server: ServerProcess;
    let initial: { email: string; password: string };
    let first: LoginResult;

    before(async () => {
      running = await startServerOn(backend, 'password_change_required', {
        env: NO_CONFIGURED_ADMIN,
      });
      server = running.server;
      initial = JSON.parse(
        fs.readFileSync(path.join(server.dataDir, 'initial-admin.json'), 'utf8'),
      ) as { email: string; password: string };
      first = await login(server.url, initial.email, initial.password);
    });
    after(async () => {
      await running?.stop();
    });

    const call = (op: Operation, token: string) =>
      request(`${server.url}${op.path}`, { method: op.method, bearer: token });

    function assertRefused(res: JsonResponse, what: string): void {
      assert.equal(res.status, 403, `${what}: ${res.status} ${res.text}`);
      assert.equal(res.body?.code, 'ERR_PASSWORD_CHANGE_REQUIRED', `${what}: ${res.text}`);
      assert.match(
        res.body?.error_description ?? '',
        /change it first with POST \/api\/v1\/auth\/password/,
        `${what}: the message says what to do`,
      );
    }

    test('every bearer route but the password change, /me and logout answers 403 ERR_PASSWORD_CHANGE_REQUIRED', async () => {
      const operations = await bearerOperations(server.url);
      const refused = operations.filter((op) => !OPEN.has(`${op.method} ${op.path}`));
      // The admin API, the user API, API-token management and the security API are all in the list.
      for (const expected of [
        'GET /api/v1/admin/users',
        'POST /api/v1/admin/users',
        'POST /api/v1/admin/revocations',
        'GET /api/v1/sessions',
        'POST /api/v1/tokens',
        'GET /api/v1/security/alerts',
        'GET /api/v1/auth/token/validate',
        'POST /api/v1/auth/revoke-all',
      ]) {
        assert.ok(
          refused.some((op) => `${op.method} ${op.path}` === expected),
          `${expected} is checked`,
        );
      }
      for (const op of refused)
        assertRefused(await call(op, first.access_token), `${op.method} ${op.path}`);

      // A refreshed token, and one from the OAuth token endpoint, are held back the same way.
      const refreshed = await request(`${server.url}/api/v1/auth/refresh`, {
        method: 'POST',
        json: { refresh_token: first.refresh_token },
      });
      assert.equal(refreshed.status, 200, refreshed.text);
      assertRefused(
        await request(`${server.url}/api/v1/admin/users`, { bearer: refreshed.body.access_token }),
        'refreshed token',
      );
      const viaOauth = await request(`${server.url}/oauth/token`, {
        method: 'POST',
        form: {
          grant_type: 'refresh_token',
          client_id: 'revokd',
          refresh_token: refreshed.body.refresh_token,
        },
      });
      assert.equal(viaOauth.status, 200, viaOauth.text);
      assertRefused(
        await request(`${server.url}/api/v1/admin/clients`, { bearer: viaOauth.body.access_token }),
        '/oauth/token token',
      );
      first = {
        ...first,
        access_token: viaOauth.body.access_token,
        refresh_token: viaOauth.body.refresh_token,
      };
    });

    test('/me and logout stay open', async () => {
      const me = await request(`${server.url}/api/v1/auth/me`, { bearer: first.access_token });
      assert.equal(me.status, 200, me.text);
      assert.equal(me.body.email, initial.email);
      const other = await login(server.url, initial.email, initial.password);
      const out = await request(`${server.url}/api/v1/auth/logout`, {
        method: 'POST',
        bearer: other.access_token,
      });
      assert.equal(out.status, 204, out.text);
    });

    test('after the change the re-issued token, and a new login, can use the admin API; nothing was changed before', async () => {
      const changed = await request(`${server.url}/api/v1/auth/password`, {
        method: 'POST',
        bearer: first.access_token,
        json: { current_password: initial.password, new_password: CHOSEN },
      });
      assert.equal(changed.status, 200, changed.text);
      // The change is one per-user revocation: the token it was made with ends with it, and the
      // answer carries the same session's re-issued tokens (SPEC "Remedies are final").
      const stale = await request(`${server.url}/api/v1/admin/users`, {
        bearer: first.access_token,
      });
      assert.equal(stale.body?.code, 'ERR_TOKEN_REVOKED', stale.text);
      const reissued = changed.body.access_token as string;
      assert.equal(changed.body.session_id, first.session_id, 'the changer keeps its session');
      const users = await request(`${server.url}/api/v1/admin/users`, { bearer: reissued });
      assert.equal(users.status, 200, users.text);
      assert.deepEqual(
        users.body.users.map((u: { email: string }) => u.email),
        [initial.email],
        'the refused POST /admin/users created nobody',
      );
      const tokens = await request(`${server.url}/api/v1/tokens`, { bearer: reissued });
      assert.deepEqual(
        tokens.body,
        [],
        `no API token was created before the change: ${tokens.text}`,
      );
      const fresh = await login(server.url, initial.email, CHOSEN);
      const clients = await request(`${server.url}/api/v1/admin/clients`, {
        bearer: fresh.access_token,
      });
      assert.equal(clients.status, 200, clients.text);
      const validate = await request(`${server.url}/api/v1/auth/token/validate`, {
        bearer: fresh.access_token,
      });
      assert.equal(validate.status, 200, validate.text);
    });
  });
}

for (const backend of BACKENDS) {
  test(`an operator's \`revokd user set-password\` also lifts it: a new sign-in uses the admin API (${backend})`, async () => {
    const running = await startServerOn(backend, 'password_change_cli', {
      env: NO_CONFIGURED_ADMIN,
    });
    try {
      const { server } = running;
      const initial = JSON.parse(
        fs.readFileSync(path.join(server.dataDir, 'initial-admin.json'), 'utf8'),
      ) as { email: string; password: string };
      const before_ = await login(server.url, initial.email, initial.password);
      const early = await request(`${server.url}/api/v1/admin/users`, {
        bearer: before_.access_token,
      });
      assert.equal(early.body?.code, 'ERR_PASSWORD_CHANGE_REQUIRED', early.text);

      const reset = await server.cli(['user', 'set-password', initial.email], `${CHOSEN}\n`);
      assert.equal(reset.code, 0, reset.stderr);
      // A reset ends every session of the user (SPEC §5.2), the one holding the generated password's token included.
      // (The server learns of the CLI's revocation from the store's feed: within a poll, not at once.)
      await until('the old token refused', async () =>
        (await request(`${server.url}/api/v1/auth/me`, { bearer: before_.access_token })).status ===
        401
          ? true
          : undefined,
      );
      const after_ = await login(server.url, initial.email, CHOSEN);
      const users = await request(`${server.url}/api/v1/admin/users`, {
        bearer: after_.access_token,
      });
      assert.equal(users.status, 200, users.text);
    } finally {
      await running.stop();
    }
  });
}
