/**
 * Propagation between instances by wake-up, and its recovery, for both drivers: Redis pub/sub
 * (two instances on one SQLite file) and PostgreSQL LISTEN/NOTIFY (two instances on one
 * database). The poll is set so slow (60 s) that only a wake-up can bring a revocation from A to B
 * within the test. Killing B's wake-up connection in the middle of a stream of revocations
 * (`CLIENT KILL TYPE pubsub`; `pg_terminate_backend` of the listener) must lose none of them: B
 * reconnects, is woken, and catches up from the feed — without a restart.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { login, request } from '../support/http-client.js';
import {
  createTestDatabase,
  terminateConnections,
  type TestDatabase,
} from '../support/postgres.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess } from '../support/server-process.js';
import { until } from '../support/until.js';

const REDIS_URL = process.env.REVOKD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const common = {
  // One issuer and one secret for both instances (each would otherwise name itself by its own port).
  REVOKD_ISSUER: 'http://revokd.test',
  REVOKD_SECRET: randomBytes(32).toString('hex'),
  // Only a wake-up can deliver within the test: the poll is a minute, the staleness bound ten.
  REVOKD_FEED_POLL_MS: '60000',
  REVOKD_MAX_STALENESS_MS: '600000',
  REVOKD_RATE_LIMIT_LOGIN_PER_MINUTE: '0',
  REVOKD_RATE_LIMIT_REVOKE_PER_MINUTE: '0',
  REVOKD_RATE_LIMIT_BEARER_PER_MINUTE: '0',
};

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
  servers: () => { a: ServerProcess; b: ServerProcess },
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

describe('Redis pub/sub (REVOKD_FEED_WAKEUP=redis)', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let redis: Redis;
  const env = {
    ...common,
    REVOKD_REDIS_URL: REDIS_URL,
    REVOKD_REDIS_PREFIX: `revokd-test-wakeups-${randomBytes(4).toString('hex')}:`,
    REVOKD_FEED_WAKEUP: 'redis',
  };
  before(async () => {
    a = await ServerProcess.start({ env });
    b = await ServerProcess.start({ env, dataDir: a.dataDir });
    redis = new Redis(REDIS_URL);
  });
  after(async () => {
    await b?.stop();
    await a?.stop();
    redis?.disconnect();
  });
  describeWakeups(
    'redis',
    () => ({ a, b }),
    async () => Number(await redis.call('CLIENT', 'KILL', 'TYPE', 'pubsub')),
  );
});

describe('PostgreSQL LISTEN/NOTIFY (the default on PostgreSQL)', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase('wakeups');
    const env = { ...common, REVOKD_DATABASE_URL: db.url };
    a = await ServerProcess.start({ env });
    b = await ServerProcess.start({ env });
  });
  after(async () => {
    await b?.stop();
    await a?.stop();
    await db?.drop();
  });
  describeWakeups(
    'notify',
    () => ({ a, b }),
    () => terminateConnections(db.name, { applicationName: 'revokd-listener' }),
  );
});
