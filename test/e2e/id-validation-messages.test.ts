/**
 * Malformed ids (issue 9 item 13): every route that takes a UUID in its path answers 400 with a
 * message a person can read (never an internal identifier such as UUID_PATTERN), and writes
 * nothing — the audit log and the users are exactly as before. The CLI says the same.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { login, request } from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess } from '../support/server-process.js';

const MALFORMED = [
  'not-a-uuid',
  '00000000-0000-0000-0000-00000000000g',
  "1' OR '1'='1",
  '%F0%9F%94%91',
];

describe('malformed ids are a 400 with a readable message and change nothing', () => {
  let server: ServerProcess;
  let admin: string;
  const snapshot = () => {
    const db = new Database(path.join(server.dataDir, 'revokd.db'), {
      readonly: true,
      fileMustExist: true,
    });
    try {
      return {
        audit: db.prepare('SELECT COUNT(*) FROM audit_log').pluck().get(),
        revocations: db.prepare('SELECT COUNT(*) FROM revocations').pluck().get(),
        disabled: db
          .prepare('SELECT COUNT(*) FROM users WHERE disabled_at IS NOT NULL')
          .pluck()
          .get(),
      };
    } finally {
      db.close();
    }
  };
  before(async () => {
    server = await ServerProcess.start();
    admin = (await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
  });
  after(async () => {
    await server?.stop();
  });

  const routes: Array<{
    method: string;
    path: (id: string) => string;
    json?: unknown;
    message: string;
  }> = [
    {
      method: 'POST',
      path: (id) => `/api/v1/admin/users/${id}/disable`,
      message: 'user id must be a UUID',
    },
    {
      method: 'POST',
      path: (id) => `/api/v1/admin/users/${id}/enable`,
      message: 'user id must be a UUID',
    },
    {
      method: 'POST',
      path: (id) => `/api/v1/admin/users/${id}/password`,
      json: { new_password: 'a-Strong-enough-passphrase-42' },
      message: 'user id must be a UUID',
    },
    {
      method: 'GET',
      path: (id) => `/api/v1/admin/users/${id}/api-tokens`,
      message: 'user id must be a UUID',
    },
    {
      method: 'POST',
      path: (id) => `/api/v1/admin/api-tokens/${id}/revoke`,
      json: { reason: 'leaked' },
      message: 'token id must be a UUID',
    },
    { method: 'GET', path: (id) => `/api/v1/tokens/${id}`, message: 'token id must be a UUID' },
    { method: 'DELETE', path: (id) => `/api/v1/tokens/${id}`, message: 'token id must be a UUID' },
    {
      method: 'DELETE',
      path: (id) => `/api/v1/security/blocks/${id}`,
      message: 'block id must be a UUID',
    },
    {
      method: 'POST',
      path: (id) => `/api/v1/security/alerts/${id}/acknowledge`,
      message: 'alert id must be a UUID',
    },
    {
      method: 'GET',
      path: (id) => `/api/v1/security/user/${id}/activity`,
      message: 'user id must be a UUID',
    },
    {
      method: 'POST',
      path: (id) => `/api/v1/security/token/revoke-user/${id}`,
      json: { reason: 'incident' },
      message: 'user id must be a UUID',
    },
  ];

  for (const route of routes) {
    test(`${route.method} ${route.path(':id')}`, async () => {
      const before = snapshot();
      for (const id of MALFORMED) {
        const res = await request(`${server.url}${route.path(id)}`, {
          method: route.method,
          bearer: admin,
          ...(route.json === undefined ? {} : { json: route.json }),
        });
        assert.equal(res.status, 400, `${id}: ${res.text}`);
        assert.equal(res.body.code, 'ERR_VALIDATION');
        assert.equal(res.body.error_description, route.message, id);
      }
      assert.deepEqual(snapshot(), before, 'nothing was written');
    });
  }

  test('the CLI: revoke api-token and unblock with a malformed id', async () => {
    const before = snapshot();
    const revoke = await server.cli(['revoke', 'api-token', 'not-a-uuid']);
    assert.equal(revoke.code, 2);
    assert.equal(revoke.stderr.trim(), 'revokd: token id must be a UUID');
    const unblock = await server.cli(['unblock', 'not-a-uuid', '--json']);
    assert.equal(unblock.code, 2);
    assert.deepEqual(JSON.parse(unblock.stderr), {
      error: 'ERR_VALIDATION',
      message: 'block id must be a UUID',
    });
    assert.deepEqual(snapshot(), before, 'nothing was written');
  });
});
