import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { createSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { tempDir } from '../support/server-process.js';
import { describeStoreConformance } from './store-conformance.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';

describeStoreConformance('sqlite', () => createSqliteStore(path.join(tempDir('store'), 'revokd.db'), { auditChainKey: TEST_AUDIT_KEY }), (s) => s.close());

test('sqlite: a committed revocation is there after the file is reopened', async () => {
  const file = path.join(tempDir('reopen'), 'revokd.db');
  const first = await createSqliteStore(file, { auditChainKey: TEST_AUDIT_KEY });
  await first.revoke({ scope: 'global' }, { initiator: 'admin', reason: 'compromised', actor: { type: 'cli', id: null }, nowMs: 1, accessCoverMs: 1 });
  await first.close();
  const second = await createSqliteStore(file, { auditChainKey: TEST_AUDIT_KEY });
  assert.equal((await second.loadSnapshot(1)).globalGeneration, 1);
  await second.close();
});

test('sqlite: the database runs in WAL mode with synchronous=FULL', async () => {
  const store = await createSqliteStore(path.join(tempDir('pragmas'), 'revokd.db'), { auditChainKey: TEST_AUDIT_KEY });
  assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(store.db.pragma('synchronous', { simple: true }), 2);
  await store.close();
});

test('sqlite: a closed store answers ERR_STORE_UNAVAILABLE, not a crash', async () => {
  const store = await createSqliteStore(path.join(tempDir('closed'), 'revokd.db'), { auditChainKey: TEST_AUDIT_KEY });
  await store.close();
  await assert.rejects(store.revoke({ scope: 'global' }, { initiator: 'admin', reason: 'admin', actor: { type: 'cli', id: null }, nowMs: 1, accessCoverMs: 1 }),
    (err: { code?: string }) => err.code === 'ERR_STORE_UNAVAILABLE');
});
