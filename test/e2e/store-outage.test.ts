/**
 * Fail policy (SPEC §3): when the store cannot take a write, a revoke answers 503 + Retry-After —
 * never 200 — and nothing is half done: once the store is back, the token still works until it is
 * revoked for real. Here another process holds SQLite's write lock past the store timeout
 * (REVOKD_STORE_TIMEOUT_MS, 5 s), which the server waits out without blocking its event loop.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { login, request } from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess } from '../support/server-process.js';

let server: ServerProcess;
before(async () => {
  server = await ServerProcess.start();
});
after(async () => {
  await server?.stop();
});

test('a revoke while the store is locked is 503 with Retry-After, and changes nothing', async () => {
  const session = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  const db = new Database(path.join(server.dataDir, 'revokd.db'));
  db.exec('BEGIN IMMEDIATE');
  try {
    const res = await request(`${server.url}/api/v1/auth/revoke`, {
      method: 'POST',
      bearer: session.access_token,
    });
    assert.equal(res.status, 503, res.text);
    assert.equal(res.headers.get('retry-after'), '1');
    assert.equal(res.body.error, 'temporarily_unavailable');
    // Reads still work: checks come from the in-process view, so the token is still (correctly) valid.
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: session.access_token })).status,
      200,
    );
  } finally {
    db.exec('ROLLBACK');
    db.close();
  }
  assert.equal(
    (await request(`${server.url}/api/v1/auth/me`, { bearer: session.access_token })).status,
    200,
    'nothing was half revoked',
  );
  assert.equal(
    (
      await request(`${server.url}/api/v1/auth/revoke`, {
        method: 'POST',
        bearer: session.access_token,
      })
    ).status,
    200,
  );
  assert.equal(
    (await request(`${server.url}/api/v1/auth/me`, { bearer: session.access_token })).status,
    401,
  );
});
