/**
 * SqliteStore waits for another connection's write lock asynchronously (issue 9, item 12). The
 * lock here is held by a second connection in this same process and released by a timer: the
 * timer can only fire if the store's wait yields to the event loop, so a synchronous busy wait
 * would deadlock into ERR_STORE_UNAVAILABLE instead of succeeding.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { GENESIS_CHAIN, chainAfter } from '../../src/core/revocation/feed-chain.js';
import { backoffDelayMs } from '../../src/stores/sqlite/retry-when-busy.js';
import { createSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';
import { ctx } from './conformance/fixtures.js';
import { tempDir } from '../support/server-process.js';

const revokeAll = ctx();

test("sqlite: a write meeting another connection's lock waits without blocking and commits once it is released", async () => {
  const file = path.join(tempDir('busy-wait'), 'revokd.db');
  let queries = 0;
  const store = await createSqliteStore(file, {
    auditChainKey: TEST_AUDIT_KEY,
    storeTimeoutMs: 5_000,
    onQuery: () => {
      queries++;
    },
  });
  const other = new Database(file);
  other.exec('BEGIN EXCLUSIVE');
  let released = false;
  setTimeout(() => {
    other.exec('ROLLBACK');
    released = true;
  }, 300);
  queries = 0;
  const report = await store.revoke({ scope: 'global' }, revokeAll);
  assert.ok(released, 'the write committed only after the other connection let go');
  assert.equal(queries, 1, 'a retried unit of work still counts as one query');
  assert.equal(
    (await store.loadSnapshot(1)).globalGeneration,
    1,
    'and it was applied exactly once',
  );
  assert.equal(
    (await store.loadSnapshot(1)).chain,
    chainAfter(GENESIS_CHAIN, report.records[0]!),
    'and chained exactly once',
  );
  other.close();
  await store.close();
});

test('sqlite: a write still locked out when the store timeout runs out is ERR_STORE_UNAVAILABLE and applies nothing', async () => {
  const file = path.join(tempDir('busy-timeout'), 'revokd.db');
  const store = await createSqliteStore(file, {
    auditChainKey: TEST_AUDIT_KEY,
    storeTimeoutMs: 200,
  });
  const other = new Database(file);
  other.exec('BEGIN EXCLUSIVE');
  let ticks = 0;
  const ticker = setInterval(() => {
    ticks++;
  }, 10);
  try {
    await assert.rejects(
      store.revoke({ scope: 'global' }, revokeAll),
      (err: { code?: string; retryAfterSeconds?: number }) =>
        err.code === 'ERR_STORE_UNAVAILABLE' && err.retryAfterSeconds !== undefined,
    );
  } finally {
    clearInterval(ticker);
    other.exec('ROLLBACK');
    other.close();
  }
  assert.ok(ticks > 0, 'timers ran while the store waited');
  assert.equal((await store.loadSnapshot(1)).globalGeneration, 0, 'nothing was applied');
  assert.equal((await store.loadSnapshot(1)).chain, GENESIS_CHAIN, 'nor chained');
  await store.close();
});

test('sqlite busy backoff: jittered, growing from 5 ms and never above 50 ms', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 10].map((n) => backoffDelayMs(n, () => 1)),
    [5, 10, 20, 40, 50, 50],
  );
  assert.deepEqual(
    [0, 3, 10].map((n) => backoffDelayMs(n, () => 0)),
    [3, 20, 25],
  );
});
