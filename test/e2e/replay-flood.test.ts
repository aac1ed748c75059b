/**
 * A flood of one revoked token against a real server: 1 000 replays add at most 2 audit rows for
 * it (the first at once; one carrying the count of the rest when its window closes — here, when
 * the server stops) and raise the CRITICAL alert once. And the per-address budget every bearer
 * request meets (REVOKD_RATE_LIMIT_BEARER_PER_MINUTE): 429 + Retry-After past it, other addresses
 * and requests without a bearer token unaffected.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { createUserViaAdmin, login, request } from '../support/http-client.js';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  ServerProcess,
  sleep,
  tempDir,
} from '../support/server-process.js';

const REPLAYS = 1000;
const CONCURRENCY = 20;
const xff = (ip: string): Record<string, string> => ({ 'x-forwarded-for': ip });

function readDb<T>(dataDir: string, read: (db: Database.Database) => T): T {
  const db = new Database(path.join(dataDir, 'revokd.db'), { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

describe('replays of a revoked token: coalesced audit, one alert', () => {
  let server: ServerProcess;
  const dataDir = tempDir('replay-flood');

  before(async () => {
    // The bearer budget off: this measures the audit coalescing alone.
    server = await ServerProcess.start({
      dataDir,
      env: { REVOKD_RATE_LIMIT_BEARER_PER_MINUTE: '0', REVOKD_LOG_LEVEL: 'warn' },
    });
  });
  after(async () => {
    await server?.stop();
  });

  test('1 000 replays of one revoked token add at most 2 audit rows, and the alert is raised once', async () => {
    const admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const user = await createUserViaAdmin(
      server.url,
      admin.access_token,
      'flood@example.com',
      'flood-password-1',
    );
    const session = await login(server.url, 'flood@example.com', 'flood-password-1');
    assert.equal(
      (
        await request(`${server.url}/api/v1/auth/revoke`, {
          method: 'POST',
          bearer: session.access_token,
        })
      ).status,
      200,
    );
    const before = readDb(
      dataDir,
      (db) => db.prepare('SELECT MAX(seq) FROM audit_log').pluck().get() as number,
    );

    const started = Date.now();
    let sent = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (sent < REPLAYS) {
          sent++;
          const res = await request(`${server.url}/api/v1/auth/me`, {
            bearer: session.access_token,
          });
          assert.equal(res.status, 401);
          assert.equal(res.body.code, 'ERR_TOKEN_REVOKED');
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    await sleep(500); // let the detector's asynchronous writes land before counting

    const added = readDb(
      dataDir,
      (db) =>
        db
          .prepare('SELECT type, details FROM audit_log WHERE seq > ? ORDER BY seq')
          .all(before) as Array<{ type: string; details: string }>,
    );
    console.log(
      `# replay flood: ${REPLAYS} replays in ${seconds.toFixed(1)} s, ${added.length} audit rows added (${(added.length / seconds).toFixed(2)} rows/s)`,
    );
    assert.ok(
      added.length <= 2,
      `at most 2 audit rows, got ${added.length}: ${JSON.stringify(added)}`,
    );
    assert.deepEqual(added.map((r) => r.type).sort(), ['alert.raised', 'token.revoked_token_used']);
    assert.equal(
      JSON.parse(added.find((r) => r.type === 'token.revoked_token_used')!.details).replays,
      1,
    );
    const alerts = readDb(dataDir, (db) =>
      db
        .prepare(`SELECT COUNT(*) FROM alerts WHERE type = 'revoked_token_replay' AND subject = ?`)
        .pluck()
        .get(user.id),
    );
    assert.equal(alerts, 1);

    // When the window closes (here: a graceful stop) one more row carries the count of the rest.
    await server.stop();
    const replayRows = readDb(
      dataDir,
      (db) =>
        db
          .prepare(
            `SELECT details FROM audit_log WHERE seq > ? AND type = 'token.revoked_token_used' ORDER BY seq`,
          )
          .pluck()
          .all(before) as string[],
    ).map((d) => JSON.parse(d) as { replays: number; window_start?: string; window_end?: string });
    assert.equal(replayRows.length, 2, JSON.stringify(replayRows));
    assert.equal(replayRows[0]!.replays + replayRows[1]!.replays, REPLAYS);
    assert.equal(typeof replayRows[1]!.window_start, 'string');
  });
});

describe('the per-address budget on every bearer request', () => {
  let server: ServerProcess;

  before(async () => {
    server = await ServerProcess.start({
      env: {
        REVOKD_RATE_LIMIT_BEARER_PER_MINUTE: '5',
        REVOKD_TRUSTED_PROXIES: '127.0.0.1',
        REVOKD_LOG_LEVEL: 'warn',
      },
    });
  });
  after(async () => {
    await server?.stop();
  });

  test('past REVOKD_RATE_LIMIT_BEARER_PER_MINUTE one address gets 429 + Retry-After on any bearer route; another address and bearer-less requests are unaffected', async () => {
    const admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD, xff('192.0.2.50'));
    const routes = [
      '/api/v1/auth/me',
      '/api/v1/sessions',
      '/api/v1/tokens',
      '/api/v1/auth/me',
      '/api/v1/sessions',
    ];
    for (const route of routes) {
      const res = await request(`${server.url}${route}`, {
        bearer: admin.access_token,
        headers: xff('192.0.2.51'),
      });
      assert.equal(res.status, 200, `${route}: ${res.text}`);
    }
    // Revoked, forged or valid, a bearer spends the budget before it is checked.
    for (const bearer of [admin.access_token, 'not-a-token']) {
      const res = await request(`${server.url}/api/v1/auth/me`, {
        bearer,
        headers: xff('192.0.2.51'),
      });
      assert.equal(res.status, 429, res.text);
      assert.equal(res.body.code, 'ERR_RATE_LIMITED');
      assert.match(res.headers.get('retry-after') ?? '', /^\d+$/);
      assert.ok(
        Number(res.headers.get('retry-after')) >= 1 && Number(res.headers.get('retry-after')) <= 60,
      );
    }
    assert.equal(
      (
        await request(`${server.url}/api/v1/auth/me`, {
          bearer: admin.access_token,
          headers: xff('192.0.2.52'),
        })
      ).status,
      200,
    );
    assert.equal(
      (await request(`${server.url}/healthz`, { headers: xff('192.0.2.51') })).status,
      200,
    );
  });
});
