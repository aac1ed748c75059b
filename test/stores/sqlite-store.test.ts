import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import path from 'node:path';
import { test } from 'node:test';
import { GENESIS_CHAIN, chainAfter } from '../../src/core/revocation/feed-chain.js';
import type { RevocationRecord } from '../../src/core/revocation/types.js';
import { SqliteStore, createSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { tempDir } from '../support/server-process.js';
import { describeStoreConformance } from './conformance/index.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';
import { bulkRevokeSqlite } from '../support/bulk-revocations.js';
import {
  ENTRY_PAGE_SQL,
  PAGE_SQL,
  TOKEN_PAGE_SQL,
  streamSnapshot,
} from '../../src/stores/sql/snapshot-stream.js';
import { type Query, runSync } from '../../src/stores/sql/procedure.js';
import { sqliteDialect } from '../../src/stores/sqlite/dialect.js';
import { NOW, ctx as revocationCtx } from './conformance/fixtures.js';

// Each suite opens a new file, so it starts empty: no reset hook needed.
describeStoreConformance({
  name: 'sqlite',
  open: () =>
    createSqliteStore(path.join(tempDir('store'), 'revokd.db'), { auditChainKey: TEST_AUDIT_KEY }),
  close: (s) => s.close(),
  // Another connection to the same file: a second process on one SQLite database.
  openPeer: (s) => createSqliteStore((s as SqliteStore).db.name, { auditChainKey: TEST_AUDIT_KEY }),
});

test('sqlite: a committed revocation is there after the file is reopened', async () => {
  const file = path.join(tempDir('reopen'), 'revokd.db');
  const first = await createSqliteStore(file, { auditChainKey: TEST_AUDIT_KEY });
  await first.revoke(
    { scope: 'global' },
    {
      initiator: 'admin',
      reason: 'compromised',
      actor: { type: 'cli', id: null },
      nowMs: 1,
      accessCoverMs: 1,
    },
  );
  await first.close();
  const second = await createSqliteStore(file, { auditChainKey: TEST_AUDIT_KEY });
  assert.equal((await second.loadSnapshot(1)).globalGeneration, 1);
  await second.close();
});

// NORMAL: each commit's sync is the store's own, off the event loop (sqlite-wal-sync.test.ts).
test('sqlite: the database runs in WAL mode with synchronous=NORMAL', async () => {
  const store = await createSqliteStore(path.join(tempDir('pragmas'), 'revokd.db'), {
    auditChainKey: TEST_AUDIT_KEY,
  });
  assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(store.db.pragma('synchronous', { simple: true }), 1);
  await store.close();
});

test('sqlite: a closed store answers ERR_STORE_UNAVAILABLE, not a crash', async () => {
  const store = await createSqliteStore(path.join(tempDir('closed'), 'revokd.db'), {
    auditChainKey: TEST_AUDIT_KEY,
  });
  await store.close();
  await assert.rejects(
    store.revoke(
      { scope: 'global' },
      {
        initiator: 'admin',
        reason: 'admin',
        actor: { type: 'cli', id: null },
        nowMs: 1,
        accessCoverMs: 1,
      },
    ),
    (err: { code?: string }) => err.code === 'ERR_STORE_UNAVAILABLE',
  );
});

test('sqlite: migration 005 backfills the range-searchable address columns of existing rows, and uses an index to search them', async () => {
  const file = path.join(tempDir('backfill'), 'revokd.db');
  const ctx = {
    initiator: 'admin' as const,
    reason: 'ip_block' as const,
    actor: { type: 'cli' as const, id: null },
    nowMs: 1000,
    accessCoverMs: 1,
  };
  const audit = {
    type: 'user.logged_in' as const,
    actorType: 'system' as const,
    actorId: null,
    targetType: null,
    targetId: null,
    ip: null,
    details: {},
  };
  const first = await createSqliteStore(file, { auditChainKey: TEST_AUDIT_KEY });
  await first.createUser(
    {
      id: 'u1',
      email: 'u1@example.com',
      role: 'user',
      passwordHash: 'scrypt$x',
      createdAtMs: 1,
      disabledAtMs: null,
    },
    { ...audit, type: 'user.created' },
  );
  await first.createSession({
    session: {
      id: 's1',
      userId: 'u1',
      clientId: 'revokd',
      createdAtMs: 1,
      expiresAtMs: 10_000_000,
      ip: '2001:db8:9::5',
      userAgent: 'ua',
      scope: '',
    },
    refresh: null,
    audit,
  });
  await first.createApiToken(
    {
      id: 't1',
      userId: 'u1',
      name: 'old',
      tokenHash: 'h1',
      tokenPrefix: 'rvk_old',
      scopes: [],
      createdAtMs: 1,
      expiresAtMs: null,
      isCanary: false,
      createdIp: null,
    },
    { maxLivePerUser: null },
    {
      ...audit,
      type: 'api_token.created',
      targetType: 'api_token',
      targetId: 't1',
      ip: '198.51.100.3',
    },
  );
  // Turn the file back into what 004 left: no 005 columns, indexes or migration record.
  first.db
    .exec(`DROP INDEX session_ips_by_ip_hex; DROP INDEX api_tokens_live_by_created_ip; DROP INDEX api_tokens_live_by_last_used_ip;
    ALTER TABLE session_ips DROP COLUMN ip_hex; ALTER TABLE api_tokens DROP COLUMN created_ip; ALTER TABLE api_tokens DROP COLUMN created_ip_hex;
    ALTER TABLE api_tokens DROP COLUMN last_used_ip_hex; DELETE FROM schema_migrations WHERE version = 5;`);
  await first.close();

  const second = await createSqliteStore(file, { auditChainKey: TEST_AUDIT_KEY });
  assert.equal(
    second.db.prepare('SELECT ip_hex FROM session_ips WHERE session_id = ?').pluck().get('s1'),
    '20010db8000900000000000000000005',
  );
  assert.equal(
    (await second.findApiTokenById('t1'))?.createdIp,
    '198.51.100.3',
    'taken from its api_token.created audit entry',
  );
  const plan = (sql: string) =>
    (
      second.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('a', 'b', 'a', 'b') as Array<{
        detail: string;
      }>
    )
      .map((r) => r.detail)
      .join('; ');
  assert.match(
    plan(
      'SELECT session_id FROM session_ips WHERE ip_hex BETWEEN ? AND ? UNION SELECT session_id FROM session_ips WHERE ip_hex BETWEEN ? AND ?',
    ),
    /USING (COVERING )?INDEX session_ips_by_ip_hex/,
  );
  assert.match(
    plan(
      'SELECT id FROM api_tokens WHERE is_active = 1 AND is_canary = 0 AND created_ip_hex BETWEEN ? AND ? UNION SELECT id FROM api_tokens WHERE is_active = 1 AND is_canary = 0 AND last_used_ip_hex BETWEEN ? AND ?',
    ),
    /api_tokens_live_by_created_ip.*api_tokens_live_by_last_used_ip/,
  );
  const report = await second.createIpBlock(
    {
      id: 'b1',
      cidr: '2001:db8:9::/48',
      reason: 'x',
      source: 'manual',
      createdAtMs: 1000,
      expiresAtMs: null,
      createdBy: null,
    },
    ctx,
    { notify: () => null },
  );
  assert.equal(report.sessions, 1);
  const v4 = await second.createIpBlock(
    {
      id: 'b2',
      cidr: '198.51.100.0/24',
      reason: 'x',
      source: 'manual',
      createdAtMs: 1000,
      expiresAtMs: null,
      createdBy: null,
    },
    ctx,
    { notify: () => null },
  );
  assert.deepEqual(
    v4.apiTokens.map((t) => t.id),
    ['t1'],
  );
  await second.close();
});

test('sqlite: migration 011 backfills who revoked earlier API tokens from the audit log, and makes the type permanent', async () => {
  const file = path.join(tempDir('backfill-011'), 'revokd.db');
  const audit = {
    type: 'user.created' as const,
    actorType: 'system' as const,
    actorId: null,
    targetType: null,
    targetId: null,
    ip: null,
    details: {},
  };
  const first = await createSqliteStore(file, { auditChainKey: TEST_AUDIT_KEY });
  await first.createUser(
    {
      id: 'u1',
      email: 'u1@example.com',
      role: 'user',
      passwordHash: 'scrypt$x',
      createdAtMs: 1,
      disabledAtMs: null,
    },
    audit,
  );
  for (const id of ['t1', 't2']) {
    await first.createApiToken(
      {
        id,
        userId: 'u1',
        name: id,
        tokenHash: `h-${id}`,
        tokenPrefix: 'rvk_old',
        scopes: [],
        createdAtMs: 1,
        expiresAtMs: null,
        isCanary: false,
        createdIp: null,
      },
      { maxLivePerUser: null },
      { ...audit, type: 'api_token.created', targetType: 'api_token', targetId: id },
    );
  }
  await first.revokeApiTokens({
    selection: { kind: 'ids', ids: ['t1'] },
    revokedBy: 'admin-1',
    notify: () => null,
    context: {
      initiator: 'admin',
      reason: 'admin',
      actor: { type: 'admin', id: 'admin-1' },
      nowMs: 5,
      accessCoverMs: 1,
    },
  });
  // Back to what 010 left: no revoked_by_type (and the old trigger), no block counts, no record of 011.
  first.db.exec(`DROP TRIGGER api_tokens_revocation_is_permanent;
    ALTER TABLE api_tokens DROP COLUMN revoked_by_type;
    ALTER TABLE ip_blocks DROP COLUMN revoked_sessions; ALTER TABLE ip_blocks DROP COLUMN revoked_refresh_tokens; ALTER TABLE ip_blocks DROP COLUMN revoked_api_tokens;
    CREATE TRIGGER api_tokens_revocation_is_permanent BEFORE UPDATE OF is_active, revoked_at, revoked_by, revoke_reason, token_hash ON api_tokens
      WHEN OLD.is_active = 0 BEGIN SELECT RAISE(ABORT, 'revoked API tokens cannot be reactivated or changed'); END;
    DELETE FROM schema_migrations WHERE version = 11;`);
  await first.close();

  const second = await createSqliteStore(file, { auditChainKey: TEST_AUDIT_KEY });
  const t1 = await second.findApiTokenById('t1');
  assert.deepEqual(
    [t1?.revokedBy, t1?.revokedByType],
    ['admin-1', 'admin'],
    'taken from its api_token.revoked audit entry',
  );
  assert.equal((await second.findApiTokenById('t2'))?.revokedByType, null, 'a live token has none');
  assert.throws(
    () =>
      second.db.prepare("UPDATE api_tokens SET revoked_by_type = 'system' WHERE id = 't1'").run(),
    /cannot be reactivated or changed/,
  );
  await second.close();
});

test('sqlite: migration 014 starts the feed chain at genesis on an existing database: earlier revocations are not chained, later ones chain from there', async () => {
  const file = path.join(tempDir('feed-chain-014'), 'revokd.db');
  const ctx = {
    initiator: 'admin' as const,
    reason: 'admin' as const,
    actor: { type: 'cli' as const, id: null },
    nowMs: 1000,
    accessCoverMs: 1,
  };
  const first = await createSqliteStore(file, { auditChainKey: TEST_AUDIT_KEY });
  await first.revoke({ scope: 'global' }, ctx);
  await first.revoke({ scope: 'token', issuer: null, jti: 'old-jti', expiresAtMs: 60_000 }, ctx);
  // Back to what 013 left: no feed_head, no record of 014.
  first.db.exec('DROP TABLE feed_head; DELETE FROM schema_migrations WHERE version = 14;');
  await first.close();

  const second = await createSqliteStore(file, { auditChainKey: TEST_AUDIT_KEY });
  try {
    const upgraded = await second.loadSnapshot(1000);
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
    await second.revoke({ scope: 'token', issuer: null, jti: 'new-jti', expiresAtMs: 60_000 }, ctx);
    await second.revoke({ scope: 'global' }, ctx);
    const later = (await second.readFeed(upgraded.cursor, 100)).records as RevocationRecord[];
    assert.equal(later.length, 2);
    assert.equal(
      (await second.loadSnapshot(1000)).chain,
      later.reduce((chain, r) => chainAfter(chain, r), GENESIS_CHAIN),
    );
    // One row, always a chain value.
    assert.throws(
      () => second.db.prepare(`INSERT INTO feed_head (id, chain) VALUES (2, ?)`).run(GENESIS_CHAIN),
      /CHECK constraint/,
    );
    assert.throws(
      () => second.db.prepare(`UPDATE feed_head SET chain = ?`).run('A'.repeat(64)),
      /CHECK constraint/,
    );
  } finally {
    await second.close();
  }
});

test('sqlite: snapshot pages are read by the rowid range, never through the scope or expiry index', async () => {
  const file = path.join(tempDir('page-plans'), 'revokd.db');
  await (await createSqliteStore(file, { auditChainKey: TEST_AUDIT_KEY })).close();
  bulkRevokeSqlite(file, { count: 20_000, chain: false });
  const store = await createSqliteStore(file, { auditChainKey: TEST_AUDIT_KEY });
  try {
    for (const [name, sql] of [
      ['the stream and loadSnapshot page', PAGE_SQL],
      ["the replica's token page", TOKEN_PAGE_SQL],
      ["the replica's other-entries page", ENTRY_PAGE_SQL],
    ] as const) {
      const plan = (
        store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(5_000, 15_000, 0) as Array<{
          detail: string;
        }>
      )
        .map((row) => row.detail)
        .join('\n');
      // `scope = 'token'` alone made SQLite search the (scope, target) index for every page.
      assert.match(plan, /USING INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)/, `${name}: ${plan}`);
      assert.doesNotMatch(plan, /INDEX/, `${name}: ${plan}`);
    }
  } finally {
    await store.close();
  }
});

test("sqlite: the replica's snapshot over many small pages holds every entry of loadSnapshot, each kind in order", async () => {
  const store = await createSqliteStore(path.join(tempDir('many-pages'), 'revokd.db'), {
    auditChainKey: TEST_AUDIT_KEY,
  });
  try {
    // Tokens and windows interleaved over 120 seqs: with 3-seq token pages, the windows' reads
    // (30 seqs each) start on some token pages and not others.
    for (let i = 0; i < 120; i++) {
      const target =
        i % 7 === 3
          ? { scope: 'window' as const, fromSec: i, toSec: i + 1, expiresAtMs: NOW + 60_000 }
          : {
              scope: 'token' as const,
              issuer: 'i',
              jti: `jti-${String(i).padStart(3, '0')}`,
              expiresAtMs: NOW + 60_000 + i,
            };
      await store.revoke(target, revocationCtx());
    }
    const whole = await store.loadSnapshot(NOW);
    const tokens: unknown[][] = [];
    const entries: unknown[][] = [];
    // The store's own statement runner, with a page size no real snapshot uses.
    const execute = (store as unknown as { execute: (q: Query) => unknown }).execute;
    runSync(
      streamSnapshot(
        sqliteDialect.snapshotHeadSql,
        NOW,
        {
          begin: () => undefined,
          tokens: (batch) => batch.forEach((t) => tokens.push([...t])),
          entries: (batch) => batch.forEach((e) => entries.push([...e])),
        },
        3,
      ),
      execute,
    );
    assert.deepEqual(
      tokens,
      whole.records.filter((r) => r.scope === 'token').map((r) => [r.target, r.expiresAtMs]),
    );
    assert.deepEqual(
      entries,
      whole.records
        .filter((r) => r.scope === 'window')
        .map((r) => [r.scope, r.target, r.windowFrom, r.windowTo, r.expiresAtMs]),
    );
    assert.equal(tokens.length + entries.length, 120);
  } finally {
    await store.close();
  }
});

test('sqlite: a fresh file another connection is reading is switched to WAL once it is free, not refused as locked', async () => {
  // Instances started together on a fresh file: the first switch to WAL needs the file to itself,
  // and SQLite answered the others SQLITE_BUSY at once ("database is locked": the start failed).
  const file = path.join(tempDir('wal-switch'), 'revokd.db');
  const other = new Database(file);
  other.exec('CREATE TABLE held (a); INSERT INTO held VALUES (1); BEGIN');
  other.prepare('SELECT a FROM held').all(); // a read lock, in the default rollback-journal mode
  const released = new Promise<void>((resolve) =>
    setTimeout(() => {
      other.exec('COMMIT');
      resolve();
    }, 300),
  );
  try {
    const store = await createSqliteStore(file, { auditChainKey: TEST_AUDIT_KEY });
    assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
    await store.close();
  } finally {
    await released;
    other.close();
  }
});
