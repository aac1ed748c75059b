/**
 * Window revocations (issue 9 item 4) against a real server: a window may only lie in the past
 * (400 from the admin API, non-zero exit from the CLI, nothing written); a past window refuses the
 * tokens it covers, is listed by the admin API and `revoke window --list`, and its entry leaves the
 * store, the list and the server's replica once every token it covers has expired.
 *
 * Short lifetimes keep it quick: access TTL 2 s, refresh TTL 60 s (the minimum; the window also
 * covers refresh tokens, so its entry lives to + 60 + tolerance + 1 s), tolerance 1 s, pruning every 200 ms.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { login, request } from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess, sleep } from '../support/server-process.js';
import { until } from '../support/until.js';

const TOLERANCE_SECONDS = 1;
const REFRESH_TTL_SECONDS = 60;

const iatOf = (jwt: string): number =>
  (JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { iat: number }).iat;

describe('window revocations', () => {
  let server: ServerProcess;
  let adminToken: string;
  const windowRowsInStore = (): number => {
    const db = new Database(path.join(server.dataDir, 'revokd.db'), {
      readonly: true,
      fileMustExist: true,
    });
    try {
      return db
        .prepare(`SELECT COUNT(*) FROM revocations WHERE scope = 'window'`)
        .pluck()
        .get() as number;
    } finally {
      db.close();
    }
  };
  // The admin's token lives 2 s: each admin read logs in first, so a slow step before it (a CLI
  // process on a loaded machine) cannot leave it with an expired token.
  const listWindows = async () => {
    await freshAdmin();
    const res = await request(`${server.url}/api/v1/admin/revocations/windows`, {
      bearer: adminToken,
    });
    assert.equal(res.status, 200, res.text);
    return res.body.windows as Array<{
      from: number;
      to: number;
      reason: string;
      created_at: string;
      expires_at: string | null;
    }>;
  };
  const freshAdmin = async () => {
    adminToken = (await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
  };

  before(async () => {
    server = await ServerProcess.start({
      env: {
        REVOKD_ACCESS_TTL_SECONDS: '2',
        REVOKD_REFRESH_TTL_SECONDS: String(REFRESH_TTL_SECONDS),
        REVOKD_CLOCK_TOLERANCE_SECONDS: String(TOLERANCE_SECONDS),
        REVOKD_PRUNE_INTERVAL_MS: '200',
      },
    });
    await freshAdmin();
  });
  after(async () => {
    await server?.stop();
  });

  test('a window ending in the future is refused with 400 by the admin API and the CLI, and nothing is written', async () => {
    const nowSec = Math.floor(Date.now() / 1000);
    const future = `${nowSec - 60}-${nowSec + 120}`;
    const api = await request(`${server.url}/api/v1/admin/revocations`, {
      method: 'POST',
      bearer: adminToken,
      json: { scope: 'window', value: future },
    });
    assert.equal(api.status, 400, api.text);
    assert.equal(api.body.code, 'ERR_VALIDATION');
    assert.equal(
      api.body.error_description,
      'window: the end must not lie in the future (a window can only cover tokens already issued)',
    );

    const cli = await server.cli(['revoke', 'window', future, '--json']);
    assert.notEqual(cli.code, 0, cli.stdout);
    assert.match(cli.stderr, /the end must not lie in the future/);

    assert.equal(windowRowsInStore(), 0, 'a refused window leaves no entry');
    assert.deepEqual(await listWindows(), []);
    // Still usable: the admin's token (issued now, inside the refused window) is not revoked.
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: adminToken })).status,
      200,
    );
  });

  test('a past window refuses what it covers while it lives, is listed, then leaves store, list and replica once its tokens expired', async () => {
    const victim = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const iat = iatOf(victim.access_token);
    // Wait until the window [iat, iat + 1) has ended by the clock, then revoke it through the CLI.
    while (Date.now() < (iat + 1) * 1000) await sleep(50);
    const value = `${iat}-${iat + 1}`;
    const cli = await server.cli(['revoke', 'window', value, '--json']);
    assert.equal(cli.code, 0, cli.stderr);
    const createdAtMs = Date.now();

    // The CLI is another process: the server enforces its revocation from its next feed poll (100 ms by default).
    await until(
      'the covered access token to be refused',
      async () =>
        (await request(`${server.url}/api/v1/auth/me`, { bearer: victim.access_token })).status ===
        401
          ? true
          : undefined,
      5_000,
    );
    const refresh = await request(`${server.url}/api/v1/auth/refresh`, {
      method: 'POST',
      json: { refresh_token: victim.refresh_token },
    });
    assert.equal(refresh.status, 401, 'the covered refresh token is refused too');

    await freshAdmin(); // issued after the window: not covered
    const listed = await listWindows();
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!.from, iat);
    assert.equal(listed[0]!.to, iat + 1);
    assert.equal(listed[0]!.reason, 'admin');
    const expectedExpiryMs = (iat + 1 + REFRESH_TTL_SECONDS + TOLERANCE_SECONDS + 1) * 1000;
    assert.equal(
      listed[0]!.expires_at,
      new Date(expectedExpiryMs).toISOString(),
      'lives until every covered token (refresh included) expired',
    );
    assert.ok(Date.parse(listed[0]!.created_at) <= createdAtMs);

    const cliList = await server.cli(['revoke', 'window', '--list', '--json']);
    assert.equal(cliList.code, 0, cliList.stderr);
    const cliRows = JSON.parse(cliList.stdout) as Array<{
      from: number;
      to: number;
      expires_at: string;
    }>;
    assert.deepEqual(
      cliRows.map((r) => [r.from, r.to, r.expires_at]),
      [[iat, iat + 1, listed[0]!.expires_at]],
    );

    const replicaWindows = async () => {
      await freshAdmin();
      const res = await request(`${server.url}/api/v1/security/blacklist/status`, {
        bearer: adminToken,
      });
      assert.equal(res.status, 200, res.text);
      return res.body.replica.entries.windows as number;
    };
    assert.equal(await replicaWindows(), 1);
    assert.equal(windowRowsInStore(), 1);

    // Past the entry's end (plus pruning and feed margin) it is gone everywhere.
    while (Date.now() < expectedExpiryMs + 1500) await sleep(500);
    await freshAdmin();
    assert.equal(windowRowsInStore(), 0, 'pruned from the store');
    assert.deepEqual(await listWindows(), [], 'gone from the list');
    assert.deepEqual(
      JSON.parse((await server.cli(['revoke', 'window', '--list', '--json'])).stdout),
      [],
    );
    assert.equal(await replicaWindows(), 0, 'dropped by the replica');
  });
});
