/**
 * The PostgreSQL store: the conformance suites every backend passes (on one database made for this
 * file, emptied between suites), then what only a networked backend has to show — migrations run
 * by several instances at once, durability across pools, outages answered as ERR_STORE_UNAVAILABLE,
 * the feed lock that makes seq order commit order, NOTIFY only on commit, index-backed IP ranges.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { GENESIS_CHAIN, chainAfter } from '../../src/core/revocation/feed-chain.js';
import type { RevocationRecord } from '../../src/core/revocation/types.js';
import { FEED_LOCK_KEY } from '../../src/stores/postgres/feed-lock.js';
import { FEED_NOTIFY_CHANNEL } from '../../src/stores/postgres/feed-notify.js';
import { migratePostgres } from '../../src/stores/postgres/migrate.js';
import { PostgresStore, createPostgresStore } from '../../src/stores/postgres/postgres-store.js';
import type { RevokdStore } from '../../src/stores/types.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';
import { type TestDatabase, createTestDatabase } from '../support/postgres.js';
import { until } from '../support/until.js';
import { bulkRevokePostgres } from '../support/bulk-revocations.js';
import { ENTRY_PAGE_SQL, PAGE_SQL, TOKEN_PAGE_SQL } from '../../src/stores/sql/snapshot-stream.js';
import { describeStoreConformance } from './conformance/index.js';
import { NOW, ctx, storeFixtures } from './conformance/fixtures.js';

/** Every table the schema has (schema_migrations and the feed_head singleton aside): what reset empties. */
const TABLES = [
  'users',
  'clients',
  'signing_keys',
  'generations',
  'sessions',
  'session_ips',
  'refresh_tokens',
  'revocations',
  'audit_log',
  'api_tokens',
  'rate_windows',
  'outbox',
  'ip_blocks',
  'counters',
  'alerts',
];

const databases: TestDatabase[] = [];
async function newDatabase(label: string): Promise<TestDatabase> {
  const db = await createTestDatabase(label);
  databases.push(db);
  return db;
}
let shared: Promise<TestDatabase> | undefined;
const sharedDatabase = () => (shared ??= newDatabase('store'));
after(async () => {
  for (const db of databases) await db.drop();
});

const open = async (url: string, storeTimeoutMs?: number) =>
  createPostgresStore(url, {
    auditChainKey: TEST_AUDIT_KEY,
    ...(storeTimeoutMs === undefined ? {} : { storeTimeoutMs }),
  });

describeStoreConformance({
  name: 'postgres',
  open: async () => open((await sharedDatabase()).url),
  close: (s) => s.close(),
  // The api_tokens triggers forbid DELETE, not TRUNCATE; RESTART IDENTITY restarts the feed and outbox seqs.
  // feed_head is a singleton (not in TABLES: emptying it would leave no head): back to genesis instead.
  reset: async (s) => {
    await (s as PostgresStore).pool.query(`TRUNCATE ${TABLES.join(', ')} RESTART IDENTITY CASCADE;
      UPDATE feed_head SET chain = '${GENESIS_CHAIN}', seq = 0 WHERE id = 1`);
  },
  // Another pool on the same database: a second revokd instance.
  openPeer: async () => open((await sharedDatabase()).url),
});

async function withClient<T>(url: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const revokeCtx = {
  initiator: 'admin' as const,
  reason: 'compromised' as const,
  actor: { type: 'cli' as const, id: null },
  nowMs: NOW,
  accessCoverMs: 1,
};

describe('postgres: migrations', () => {
  test('four instances migrating one fresh database at once all succeed, and each migration is applied once', async () => {
    const db = await newDatabase('migrate');
    const stores = [...Array(4)].map(
      () => new PostgresStore(db.url, { auditChainKey: TEST_AUDIT_KEY }),
    );
    try {
      const ran = await Promise.all(stores.map((s) => migratePostgres(s.pool, NOW)));
      const versions = await withClient(db.url, async (c) =>
        (await c.query('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) =>
          Number(r.version),
        ),
      );
      assert.ok(versions.length > 0);
      assert.deepEqual(
        ran.flat().sort((a, b) => a - b),
        versions,
        'every version applied by exactly one instance',
      );
      // Which instance applies which version is a race (each file takes the lock on its own), so
      // only "each version exactly once" is asserted, not that one instance applied them all.
      // And the schema works from every instance.
      const user = await storeFixtures(() => stores[3]!).newUser();
      assert.equal((await stores[0]!.findUserById(user.id))?.email, user.email);

      assert.deepEqual(
        await migratePostgres(stores[1]!.pool, NOW),
        [],
        're-running migrate is a no-op',
      );
      assert.equal(
        (await stores[2]!.findUserById(user.id))?.id,
        user.id,
        'and keeps what the store holds',
      );
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});

describe('postgres: migration 006 (the feed chain)', () => {
  test('an existing database starts its chain at genesis: earlier revocations are not chained, later ones chain from there', async () => {
    const db = await newDatabase('chain006');
    const first = await open(db.url);
    await first.revoke({ scope: 'global' }, revokeCtx);
    await first.revoke(
      { scope: 'token', issuer: null, jti: 'old-jti', expiresAtMs: NOW + 60_000 },
      revokeCtx,
    );
    // Back to what 005 left: no feed_head, no record of 006.
    await first.pool.query('DROP TABLE feed_head; DELETE FROM schema_migrations WHERE version = 6');
    await first.close();

    const second = await open(db.url);
    try {
      const upgraded = await second.loadSnapshot(NOW);
      assert.equal(
        upgraded.chain,
        GENESIS_CHAIN,
        'the chain starts at genesis where the database was upgraded',
      );
      assert.deepEqual(
        upgraded.records.map((r) => r.target),
        ['*', 'old-jti'],
        'the earlier revocations are kept (and not chained)',
      );
      await second.revoke(
        { scope: 'token', issuer: null, jti: 'new-jti', expiresAtMs: NOW + 60_000 },
        revokeCtx,
      );
      await second.revoke({ scope: 'global' }, revokeCtx);
      const later = (await second.readFeed(upgraded.cursor, 100)).records as RevocationRecord[];
      assert.equal(later.length, 2);
      assert.equal(
        (await second.loadSnapshot(NOW)).chain,
        later.reduce((chain, r) => chainAfter(chain, r), GENESIS_CHAIN),
      );
      // One row, always a chain value.
      await assert.rejects(
        second.pool.query('INSERT INTO feed_head (id, chain) VALUES (2, $1)', [GENESIS_CHAIN]),
        /check constraint/,
      );
      await assert.rejects(
        second.pool.query('UPDATE feed_head SET chain = $1', ['A'.repeat(64)]),
        /check constraint/,
      );
    } finally {
      await second.close();
    }
  });
});

describe('postgres: durability and outages', () => {
  test('a committed revocation is there after the pool is closed and a new store opened', async () => {
    const db = await newDatabase('reopen');
    const first = await open(db.url);
    await first.revoke({ scope: 'global' }, revokeCtx);
    await first.close();
    await first.close(); // idempotent
    const second = await open(db.url);
    try {
      assert.equal((await second.loadSnapshot(NOW)).globalGeneration, 1);
    } finally {
      await second.close();
    }
  });

  test(
    'an unreachable server: opening, revoke and ping reject with ERR_STORE_UNAVAILABLE (Retry-After 1), no hang',
    { timeout: 15_000 },
    async () => {
      const url = 'postgres://postgres@127.0.0.1:1/x';
      await assert.rejects(open(url, 1000), isUnavailable);
      const store = new PostgresStore(url, { auditChainKey: TEST_AUDIT_KEY, storeTimeoutMs: 1000 });
      try {
        await assert.rejects(store.revoke({ scope: 'global' }, revokeCtx), isUnavailable);
        await assert.rejects(store.ping(), isUnavailable);
      } finally {
        await store.close();
      }
    },
  );

  test(
    'a server that accepts connections and never answers: ERR_STORE_UNAVAILABLE once the store timeout passes, not a hang',
    { timeout: 15_000 },
    async () => {
      const sockets = new Set<net.Socket>();
      const silent = net.createServer((s) => {
        sockets.add(s);
      });
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const port = (silent.address() as net.AddressInfo).port;
      const store = new PostgresStore(`postgres://postgres@127.0.0.1:${port}/x`, {
        auditChainKey: TEST_AUDIT_KEY,
        storeTimeoutMs: 500,
      });
      try {
        await assert.rejects(store.revoke({ scope: 'global' }, revokeCtx), isUnavailable);
        await assert.rejects(store.ping(), isUnavailable);
      } finally {
        await store.close();
        for (const s of sockets) s.destroy();
        await new Promise((resolve) => silent.close(resolve));
      }
    },
  );

  test(
    "a statement stuck behind another connection's lock is cancelled at the store timeout: ERR_STORE_UNAVAILABLE, and the store works afterwards",
    { timeout: 15_000 },
    async () => {
      const db = await newDatabase('stuck');
      const store = await open(db.url, 500);
      try {
        await withClient(db.url, async (blocker) => {
          await blocker.query('BEGIN');
          await blocker.query('SELECT pg_advisory_xact_lock($1::bigint)', [FEED_LOCK_KEY]);
          await assert.rejects(store.revoke({ scope: 'global' }, revokeCtx), isUnavailable);
          await blocker.query('ROLLBACK');
        });
        assert.equal(
          (await store.revoke({ scope: 'global' }, revokeCtx)).generation,
          1,
          'the failed revoke wrote nothing; the next one commits',
        );
      } finally {
        await store.close();
      }
    },
  );
});

describe('postgres: the feed lock and NOTIFY', () => {
  let db: TestDatabase;
  let store: PostgresStore;
  test('setup', async () => {
    db = await newDatabase('feed');
    store = await open(db.url);
  });
  after(async () => {
    await store?.close();
  });

  test('a revoke that starts while another transaction holds the feed lock takes its seq only after that one commits: a reader never skips the earlier one', async () => {
    let cursor = (await store.loadSnapshot(NOW)).cursor;
    await withClient(db.url, async (slow) => {
      // The slow transaction does what every feed writer does: the lock first, then its seq.
      await slow.query('BEGIN');
      await slow.query('SELECT pg_advisory_xact_lock($1::bigint)', [FEED_LOCK_KEY]);
      const slowSeq = Number(
        (
          await slow.query(
            `INSERT INTO revocations (scope, target, expires_at, initiator, reason, created_at)
        VALUES ('token', 'slow', NULL, 'admin', 'admin', $1) RETURNING seq`,
            [NOW],
          )
        ).rows[0].seq,
      );
      let settled = false;
      const fast = store
        .revoke({ scope: 'token', issuer: 'i', jti: 'fast', expiresAtMs: NOW + 60_000 }, ctx())
        .finally(() => {
          settled = true;
        });
      await until(
        "the store's revoke to wait on the feed lock",
        async () =>
          (await withClient(db.url, async (c) =>
            Number(
              (
                await c.query(
                  `SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`,
                )
              ).rows[0].n,
            ),
          )) > 0 || undefined,
      );
      assert.equal(settled, false, 'the revoke waits for the lock');
      const early = await store.readFeed(cursor, 100);
      assert.deepEqual(early.records, [], 'nothing committed yet, nothing read');
      cursor = early.cursor;
      await slow.query('COMMIT');
      const report = await fast;
      assert.ok(report.records[0]!.seq > slowSeq, 'the later commit has the higher seq');
      const page = await store.readFeed(cursor, 100);
      assert.deepEqual(
        page.records.map((r) => r.target),
        ['slow', 'fast'],
        'both read, in commit order',
      );
    });
  });

  test('NOTIFY arrives on a listener after a revoke commits (payload: its highest seq), and not for a transaction that rolled back', async () => {
    const listener = await store.connectListener();
    const seen: string[] = [];
    listener.on('notification', (m) => {
      if (m.channel === FEED_NOTIFY_CHANNEL) seen.push(m.payload ?? '');
    });
    try {
      await listener.query(`LISTEN ${FEED_NOTIFY_CHANNEL}`);
      const appName = (await listener.query("SELECT current_setting('application_name') AS a"))
        .rows[0].a;
      assert.equal(appName, 'revokd-listener');

      // A block whose commit fails after its feed records were appended: the owner mail cannot be made.
      const f = storeFixtures(() => store);
      const user = await f.newUser();
      const session = await f.newSession(user.id, '198.51.100.7');
      await f.newApiToken(user.id, { createdIp: '198.51.100.8' });
      await assert.rejects(
        store.createIpBlock(
          {
            id: 'b-rolled-back',
            cidr: '198.51.100.0/24',
            reason: 'x',
            source: 'manual',
            createdAtMs: NOW,
            expiresAtMs: null,
            createdBy: null,
          },
          ctx({ reason: 'ip_block' }),
          {
            notify: () => {
              throw new Error('mail template broke');
            },
          },
        ),
        /mail template broke/,
      );
      assert.equal(
        (await store.findSession(session.id))?.revokedAtMs,
        null,
        'the rolled-back block revoked nothing',
      );

      const report = await store.revoke({ scope: 'user', userId: user.id }, ctx());
      const highest = Math.max(...report.records.map((r) => r.seq));
      await until('the notification', () => (seen.length > 0 ? true : undefined));
      assert.deepEqual(
        seen,
        [String(highest)],
        "one notification: the committed revoke's, none from the rollback",
      );
    } finally {
      await listener.end();
    }
  });
});

describe('postgres: round trips of a group commit', () => {
  /** The statements this process sends to PostgreSQL while `work` runs (each one a round trip). */
  async function statementsDuring(work: () => Promise<unknown>): Promise<string[]> {
    const sent: string[] = [];
    const proto = pg.Client.prototype as unknown as Record<'query', (...a: unknown[]) => unknown>;
    const { query } = proto;
    proto.query = function (this: pg.Client, ...args: unknown[]) {
      const text = args[0];
      sent.push(typeof text === 'string' ? text : String((text as { text?: unknown }).text));
      return query.apply(this, args);
    };
    try {
      await work();
    } finally {
      proto.query = query;
    }
    return sent;
  }

  test('token revocations committed together cost the statements of one: the count does not grow with the batch', async (t) => {
    const store = await open((await newDatabase('round_trips')).url);
    const token = (jti: string) =>
      ({ scope: 'token', issuer: 'i', jti, expiresAtMs: NOW + 60_000 }) as const;
    try {
      await store.revoke(token('warm-up'), revokeCtx);
      const alone = await statementsDuring(() => store.revoke(token('alone'), revokeCtx));
      const { cursor } = await store.loadSnapshot(NOW);
      const jtis = [...Array(20)].map((_, i) => `together-${i}`);
      const together = await statementsDuring(() =>
        Promise.all(jtis.map((jti) => store.revoke(token(jti), revokeCtx))),
      );
      t.diagnostic(
        `one token revocation: ${alone.length} statements; 20 at once: ${together.length}`,
      );
      assert.equal(together.length, alone.length, together.join('\n'));
      const feed = await store.readFeed(cursor, 100);
      assert.deepEqual(
        feed.records.map((r) => r.target),
        jtis,
        'all twenty committed, in call order',
      );
    } finally {
      await store.close();
    }
  });
});

describe('postgres: snapshot pages on a table never analysed', () => {
  test('a page is read by the primary key range, never through the expiry index (a restore, a bulk load)', async () => {
    const db = await newDatabase('unanalysed');
    await (await open(db.url)).close();
    await withClient(db.url, (c) =>
      c.query('ALTER TABLE revocations SET (autovacuum_enabled = false)'),
    );
    // Written in bulk and never analysed: the planner has no statistics on the table.
    await bulkRevokePostgres(db.url, { count: 300_000, chain: false });
    await withClient(db.url, async (c) => {
      const never = await c.query(
        `SELECT last_analyze, last_autoanalyze FROM pg_stat_user_tables WHERE relname = 'revocations'`,
      );
      assert.deepEqual(never.rows, [{ last_analyze: null, last_autoanalyze: null }]);
      for (const [name, sql] of [
        ['the stream and loadSnapshot page', PAGE_SQL],
        ["the replica's token page", TOKEN_PAGE_SQL],
        ["the replica's other-entries page", ENTRY_PAGE_SQL],
      ] as const) {
        let n = 0;
        const text = sql.replace(/\?/g, () => `$${++n}`);
        const plan = (await c.query(`EXPLAIN ${text}`, [150_000, 160_000, NOW])).rows
          .map((r) => r['QUERY PLAN'] as string)
          .join('\n');
        assert.match(plan, /revocations_pkey/, `${name}: ${plan}`);
        assert.doesNotMatch(plan, /revocations_by_expiry|Seq Scan/, `${name}: ${plan}`);
      }
    });
  });
});

describe('postgres: IP ranges use an index', () => {
  test('with enough rows, the session and API-token range searches are index scans, not sequential scans', async () => {
    const db = await newDatabase('ipindex');
    const store = await open(db.url);
    try {
      await withClient(db.url, async (c) => {
        await c.query(
          `INSERT INTO users (id, email, role, password_hash, created_at) VALUES ('u', 'u@example.com', 'user', 'x', 1)`,
        );
        await c.query(`INSERT INTO sessions (id, user_id, client_id, created_at, last_used_at, expires_at, ip, last_ip, user_agent, scope)
          SELECT 's' || g, 'u', 'revokd', 1, 1, 9e15, '10.0.0.1', '10.0.0.1', 'ua', '' FROM generate_series(1, 20000) g`);
        await c.query(`INSERT INTO session_ips (session_id, ip, first_seen_at, ip_hex)
          SELECT 's' || g, 'x', 1, lpad(to_hex(g), 32, '0') FROM generate_series(1, 20000) g`);
        await c.query(`INSERT INTO api_tokens (id, user_id, name, token_hash, token_prefix, scopes, created_at, created_ip_hex, last_used_ip_hex)
          SELECT 't' || g, 'u', 'n', 'h' || g, 'p', '[]', 1, lpad(to_hex(g), 32, '0'), lpad(to_hex(g), 32, '0') FROM generate_series(1, 20000) g`);
        await c.query('ANALYZE');
        const plan = async (sql: string, values: unknown[]) =>
          (await c.query(`EXPLAIN ${sql}`, values)).rows
            .map((r) => r['QUERY PLAN'] as string)
            .join('\n');
        const start = '0'.repeat(28) + '0100';
        const end = '0'.repeat(28) + '01ff';
        // The statements session-ips.ts runs.
        const sessions = await plan(
          `SELECT DISTINCT s.id FROM session_ips i JOIN sessions s ON s.id = i.session_id
          WHERE i.ip_hex BETWEEN $1 AND $2 AND s.revoked_at IS NULL AND s.expires_at > $3`,
          [start, end, NOW],
        );
        assert.match(sessions, /session_ips_by_ip_hex/);
        assert.doesNotMatch(sessions, /Seq Scan on session_ips/);
        const tokens = await plan(
          `SELECT id FROM api_tokens WHERE is_active AND NOT is_canary AND created_ip_hex BETWEEN $1 AND $2
          UNION SELECT id FROM api_tokens WHERE is_active AND NOT is_canary AND last_used_ip_hex BETWEEN $1 AND $2`,
          [start, end],
        );
        assert.match(tokens, /api_tokens_live_by_created_ip/);
        assert.match(tokens, /api_tokens_live_by_last_used_ip/);
        assert.doesNotMatch(tokens, /Seq Scan on api_tokens/);
      });
      // The range itself is by value: 0x100–0x1ff is 256 sessions (hex text order = numeric order under COLLATE "C").
      const report = await store.revoke({ scope: 'ip', cidr: '::100/120' }, revokeCtx);
      assert.equal(report.sessions, 256);
    } finally {
      await store.close();
    }
  });
});

function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string; retryAfterSeconds?: number };
  assert.equal(e.code, 'ERR_STORE_UNAVAILABLE', String(err));
  assert.equal(e.retryAfterSeconds, 1);
  return true;
}

export type { RevokdStore };
