/**
 * Two instances on one store, once per backend: PostgreSQL with LISTEN/NOTIFY, one SQLite file
 * with Redis pub/sub. The poll is a minute and the staleness bound ten, so within a test only the
 * feed's wake-up brings one instance's commits to the other (see feed-marker.ts for the proof by
 * commit order).
 */
import { randomBytes } from 'node:crypto';
import { after, before, describe } from 'node:test';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { ServerProcess } from './server-process.js';

const REDIS_URL = process.env.REVOKD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The pair, and on PostgreSQL its database (to reach its connections, e.g. the listener's). */
export type TwoInstances = () => { a: ServerProcess; b: ServerProcess; db?: TestDatabase };

/** What every pair shares, on top of `env`: one issuer and secret, wake-ups only, no rate limits. */
function pairEnv(env: Record<string, string>): Record<string, string> {
  return {
    REVOKD_ISSUER: 'http://revokd.test',
    REVOKD_SECRET: randomBytes(32).toString('hex'),
    REVOKD_FEED_POLL_MS: '60000',
    REVOKD_MAX_STALENESS_MS: '600000',
    REVOKD_RATE_LIMIT_LOGIN_PER_MINUTE: '0',
    REVOKD_RATE_LIMIT_REVOKE_PER_MINUTE: '0',
    REVOKD_RATE_LIMIT_BEARER_PER_MINUTE: '0',
    ...env,
  };
}

/** `describe`s "<title> on PostgreSQL (LISTEN/NOTIFY)" and "<title> on SQLite (Redis pub/sub)". */
export function describeOnTwoInstances(
  title: string,
  label: string,
  env: Record<string, string>,
  body: (backend: 'postgres' | 'sqlite', servers: TwoInstances) => void,
): void {
  describe(`${title} on PostgreSQL (LISTEN/NOTIFY)`, () => {
    let a: ServerProcess;
    let b: ServerProcess;
    let db: TestDatabase;
    before(async () => {
      db = await createTestDatabase(label);
      // LISTEN/NOTIFY is the default wake-up on PostgreSQL: left unset, so that feed-wakeups pins it.
      const shared = pairEnv({ ...env, REVOKD_DATABASE_URL: db.url });
      a = await ServerProcess.start({ env: shared });
      b = await ServerProcess.start({ env: shared });
    });
    after(async () => {
      await b?.stop();
      await a?.stop();
      await db?.drop();
    });
    body('postgres', () => ({ a, b, db }));
  });

  describe(`${title} on SQLite (Redis pub/sub)`, () => {
    let a: ServerProcess;
    let b: ServerProcess;
    before(async () => {
      const shared = pairEnv({
        ...env,
        REVOKD_REDIS_URL: REDIS_URL,
        REVOKD_REDIS_PREFIX: `revokd-test-${label}-${randomBytes(4).toString('hex')}:`,
        REVOKD_FEED_WAKEUP: 'redis',
      });
      a = await ServerProcess.start({ env: shared });
      b = await ServerProcess.start({ env: shared, dataDir: a.dataDir });
    });
    after(async () => {
      await b?.stop();
      await a?.stop();
    });
    body('sqlite', () => ({ a, b }));
  });
}
