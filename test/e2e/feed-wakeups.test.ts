/**
 * Propagation between instances by wake-up, and its recovery, for both drivers: Redis pub/sub
 * (two instances on one SQLite file) and PostgreSQL LISTEN/NOTIFY (two instances on one
 * database). The poll is set so slow (60 s) that only a wake-up can bring a revocation from A to B
 * within the test. Killing B's wake-up connection in the middle of a stream of revocations
 * (`CLIENT KILL TYPE pubsub`; `pg_terminate_backend` of the listener) must lose none of them: B
 * reconnects, is woken, and catches up from the feed — without a restart.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { login, request } from '../support/http-client.js';
import { terminateConnections } from '../support/postgres.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, type ServerProcess } from '../support/server-process.js';
import { type TwoInstances, describeOnTwoInstances } from '../support/two-instances.js';
import { until } from '../support/until.js';

const REDIS_URL = process.env.REVOKD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const me = (server: ServerProcess, token: string) =>
  request(`${server.url}/api/v1/auth/me`, { bearer: token }).then((r) => r.status);

async function revokeOn(a: ServerProcess, b: ServerProcess): Promise<string> {
  const session = await login(a.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  assert.equal(await me(b, session.access_token), 200, 'B accepts a token A issued');
  const res = await request(`${a.url}/api/v1/auth/revoke`, {
    method: 'POST',
    bearer: session.access_token,
  });
  assert.equal(res.status, 200, res.text);
  return session.access_token;
}

/** The two cases, for one driver: delivery by wake-up, and no loss when its connections are killed. */
function describeWakeups(
  name: string,
  servers: TwoInstances,
  killConnections: () => Promise<number>,
): void {
  test(`${name}: a revocation on A reaches B by wake-up, long before B would poll`, async () => {
    const { a, b } = servers();
    const token = await revokeOn(a, b);
    await until(
      'B rejects the token A revoked',
      async () => ((await me(b, token)) === 401 ? true : undefined),
      10_000,
    );
    const ready = await request(`${b.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body.checks.feed_wakeups, [{ name, connected: true }]);
  });

  test(`${name}: wake-up connections killed during a stream of revocations — every one reaches B, without a restart`, async () => {
    const { a, b } = servers();
    const revoked: string[] = [];
    for (let i = 0; i < 30; i++) {
      if (i % 10 === 5)
        assert.ok((await killConnections()) >= 1, 'there was a wake-up connection to kill');
      revoked.push(await revokeOn(a, b));
    }
    const stillAccepted = async () => {
      const statuses = await Promise.all(revoked.map((t) => me(b, t)));
      return revoked.filter((_, i) => statuses[i] !== 401);
    };
    await until(
      'B rejects every token A revoked',
      async () => ((await stillAccepted()).length === 0 ? true : undefined),
      15_000,
    );
    await until(
      'B listens again',
      async () => {
        const ready = await request(`${b.url}/readyz`);
        return ready.body?.checks?.feed_wakeups?.[0]?.connected === true ? ready : undefined;
      },
      10_000,
    );
    const token = await revokeOn(a, b);
    await until(
      'and the next one still arrives by wake-up',
      async () => ((await me(b, token)) === 401 ? true : undefined),
      10_000,
    );
  });
}

// The pairs (two-instances.ts): Redis pub/sub on one SQLite file (REVOKD_FEED_WAKEUP=redis), and
// LISTEN/NOTIFY on one PostgreSQL database — the default there, left unset.
describeOnTwoInstances('feed wake-ups', 'wakeups', {}, (backend, servers) => {
  if (backend === 'postgres') {
    describeWakeups('notify', servers, () =>
      terminateConnections(servers().db!.name, { applicationName: 'revokd-listener' }),
    );
    return;
  }
  let redis: Redis;
  before(() => {
    redis = new Redis(REDIS_URL);
  });
  after(() => redis?.disconnect());
  describeWakeups('redis', servers, async () =>
    Number(await redis.call('CLIENT', 'KILL', 'TYPE', 'pubsub')),
  );
});
