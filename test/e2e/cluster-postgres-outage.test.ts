/**
 * PostgreSQL unreachable under two instances (issue 10, must-show 4; SPEC §3 fail policy), on a
 * server of the test's own (test/support/private-postgres.ts) so the machine's is never stopped:
 *
 * - stopped (`pg_ctl stop -m immediate`: connections cut, port closed), then frozen (SIGSTOP of
 *   the postmaster and every backend: connections open, nothing answers);
 * - meanwhile revokes answer 503 + Retry-After, never 200, and never hang; tokens revoked before
 *   the outage stay rejected; a token whose revoke got 503 is still accepted (nothing half-applied
 *   in memory); /readyz says degraded (200: the instance still decides checks) with the reason;
 * - after the restart, writes work again without restarting revokd, and reach the other instance.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster } from '../support/cluster.js';
import { createUserViaAdmin, login, request, type JsonResponse } from '../support/http-client.js';
import { PrivatePostgres } from '../support/private-postgres.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, type ServerProcess } from '../support/server-process.js';
import { until } from '../support/until.js';

const PASSWORD = 'user-password-1';
/** A request during the outage must be answered within this (pool and statement timeouts are far shorter). */
const ANSWER_WITHIN_MS = 15_000;

/** Sends a request that must be answered, not hang, while the database is down. */
async function answered(url: string, init: Parameters<typeof request>[1]): Promise<JsonResponse> {
  return request(url, { ...init, signal: AbortSignal.timeout(ANSWER_WITHIN_MS) });
}

function assertUnavailable(res: JsonResponse, what: string): void {
  assert.equal(
    res.status,
    503,
    `${what}: expected 503 while PostgreSQL is down, got ${res.status} ${res.text}`,
  );
  assert.match(res.headers.get('retry-after') ?? '', /^[1-9]\d*$/, `${what}: Retry-After`);
  assert.equal(res.body?.code, 'ERR_STORE_UNAVAILABLE', `${what}: ${res.text}`);
}

describe('PostgreSQL outage under two instances', () => {
  let postgres: PrivatePostgres;
  let cluster: Cluster;
  let a: ServerProcess;
  let b: ServerProcess;
  let revokedBefore: string;
  let revokedUserTokens: string[];

  before(async () => {
    postgres = await PrivatePostgres.start();
    const databaseUrl = await postgres.createDatabase('revokd_outage');
    cluster = await Cluster.start({
      label: 'cluster_pg_outage',
      instances: 2,
      backend: 'postgres',
      databaseUrl,
      // Long enough that the whole outage is served from the in-process view (the bound itself is
      // the replica tests' business); checks past it would answer 503, still never 200.
      env: { REVOKD_MAX_STALENESS_MS: '120000', REVOKD_LOG_LEVEL: 'warn' },
    });
    [a, b] = [cluster.instance(0), cluster.instance(1)];
    const admin = await login(a.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    await createUserViaAdmin(a.url, admin.access_token, 'outage@example.com', PASSWORD);
    await createUserViaAdmin(a.url, admin.access_token, 'outage-all@example.com', PASSWORD);
    // Revoked before the outage: one token on A, one user's every session on B.
    revokedBefore = (await login(a.url, 'outage@example.com', PASSWORD)).access_token;
    assert.equal(
      (await request(`${a.url}/api/v1/auth/revoke`, { method: 'POST', bearer: revokedBefore }))
        .status,
      200,
    );
    revokedUserTokens = [
      (await login(b.url, 'outage-all@example.com', PASSWORD)).access_token,
      (await login(a.url, 'outage-all@example.com', PASSWORD)).access_token,
    ];
    assert.equal(
      (
        await request(`${b.url}/api/v1/auth/revoke-all`, {
          method: 'POST',
          bearer: revokedUserTokens[0],
          json: {},
        })
      ).status,
      200,
    );
    for (const server of [a, b]) {
      await until('both instances knowing the revocations', async () =>
        (await request(`${server.url}/api/v1/auth/me`, { bearer: revokedBefore })).status === 401
          ? true
          : undefined,
      );
    }
  });
  after(async () => {
    await cluster?.stop().catch(() => undefined);
    await postgres?.destroy();
  });

  async function outageChecks(label: string, live: string): Promise<void> {
    const nameOf = (server: ServerProcess): string => `${label}, ${server === a ? 'A' : 'B'}`;
    // Every write at once on both instances (a hung database costs each one its timeout, not one after another).
    const writes = [a, b].flatMap((server) =>
      [0, 1].flatMap(() => [
        answered(`${server.url}/api/v1/auth/revoke`, { method: 'POST', bearer: live }).then((res) =>
          assertUnavailable(res, `${nameOf(server)}: revoke`),
        ),
        answered(`${server.url}/api/v1/auth/revoke-all`, {
          method: 'POST',
          bearer: live,
          json: {},
        }).then((res) => assertUnavailable(res, `${nameOf(server)}: revoke-all`)),
        answered(`${server.url}/api/v1/auth/login`, {
          method: 'POST',
          json: { email: 'outage@example.com', password: PASSWORD },
        }).then((res) => assertUnavailable(res, `${nameOf(server)}: login`)),
      ]),
    );
    await Promise.all(writes);
    for (const server of [a, b]) {
      const name = nameOf(server);
      // Checks keep being decided from the in-process view: revoked stays revoked, live stays live.
      // (token/validate: a bearer route that reads nothing from the store; /me also loads the user.)
      assert.equal(
        (await answered(`${server.url}/api/v1/auth/token/validate`, { bearer: revokedBefore }))
          .status,
        401,
        `${name}: token revoked before the outage`,
      );
      for (const token of revokedUserTokens) {
        assert.equal(
          (await answered(`${server.url}/api/v1/auth/token/validate`, { bearer: token })).status,
          401,
          `${name}: user revoked before the outage`,
        );
      }
      assert.equal(
        (await answered(`${server.url}/api/v1/auth/token/validate`, { bearer: live })).status,
        200,
        `${name}: a revoke that answered 503 left the token live`,
      );
      const ready = await answered(`${server.url}/readyz`, {});
      assert.equal(
        ready.status,
        200,
        `${name}: /readyz keeps the instance in rotation: ${ready.text}`,
      );
      assert.equal(ready.body.status, 'degraded', `${name}: ${ready.text}`);
      assert.ok(
        ready.body.reasons.some((r: { reason: string }) => r.reason === 'store_unreachable'),
        `${name}: reason named: ${ready.text}`,
      );
    }
  }

  async function afterRecovery(label: string, live: string): Promise<void> {
    // No revokd restart: the pool reconnects by itself.
    await until(
      `${label}: a revoke on A answering 200 again`,
      async () => {
        const res = await answered(`${a.url}/api/v1/auth/revoke`, { method: 'POST', bearer: live });
        if (res.status === 200) return true;
        assertUnavailable(res, `${label}: revoke while recovering`);
        return undefined;
      },
      30_000,
    );
    await until(`${label}: B refusing the token revoked on A after the recovery`, async () =>
      (await request(`${b.url}/api/v1/auth/me`, { bearer: live })).status === 401
        ? true
        : undefined,
    );
    const fresh = await login(b.url, 'outage@example.com', PASSWORD);
    assert.equal(
      (await request(`${a.url}/api/v1/auth/me`, { bearer: fresh.access_token })).status,
      200,
    );
    for (const server of [a, b]) {
      await until(`${label}: /readyz ready again`, async () =>
        (await request(`${server.url}/readyz`)).body?.status === 'ready' ? true : undefined,
      );
      assert.equal(
        (await request(`${server.url}/api/v1/auth/me`, { bearer: revokedBefore })).status,
        401,
      );
    }
  }

  test('stopped (pg_ctl stop -m immediate): 503 + Retry-After for every write, checks from the view; writes again after the restart', async () => {
    const live = (await login(a.url, 'outage@example.com', PASSWORD)).access_token;
    await postgres.stopImmediately();
    try {
      await outageChecks('stopped', live);
    } finally {
      await postgres.startServer();
    }
    await afterRecovery('stopped', live);
  });

  test('frozen (SIGSTOP of the server and its backends): writes answer 503 + Retry-After within the timeouts; recovered after SIGCONT', async () => {
    const live = (await login(a.url, 'outage@example.com', PASSWORD)).access_token;
    postgres.freeze();
    try {
      await outageChecks('frozen', live);
    } finally {
      postgres.thaw();
    }
    await afterRecovery('frozen', live);
  });
});
