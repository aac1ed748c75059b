/**
 * Issue 17, item 6, the backstop: input the HTTP edge should have refused (a NUL byte in text)
 * reaching the store is never a 500. SQLite compares such a string as a different value (nothing
 * found); PostgreSQL refuses it with a data exception (SQLSTATE class 22, here 22021), which the
 * store answers as ERR_BAD_REQUEST (400) instead of letting the driver's error through. Real
 * queries on a real database of each kind.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isRevokdError } from '../../src/core/errors.js';
import { openStore } from '../../src/stores/open-store.js';
import type { RevokdStore } from '../../src/stores/types.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';
import { type TestDatabase, createTestDatabase } from '../support/postgres.js';
import { tempDir } from '../support/server-process.js';

const NUL_EMAIL = 'admin\u0000@example.com';

/** What the store answered: a value, or the error's code and status (anything but a RevokdError fails). */
async function outcome<T>(
  work: Promise<T>,
): Promise<{ value: T } | { code: string; status: number }> {
  try {
    return { value: await work };
  } catch (err) {
    assert.ok(
      isRevokdError(err),
      `a driver error came through untranslated: ${String((err as { code?: unknown }).code)} ${String(err)}`,
    );
    return { code: err.code, status: err.status };
  }
}

describe('a NUL byte reaching the store (SQLite)', () => {
  let store: RevokdStore;
  before(async () => {
    store = await openStore(`sqlite:${path.join(tempDir('invalid-data'), 'revokd.db')}`, {
      auditChainKey: TEST_AUDIT_KEY,
    });
  });
  after(async () => {
    await store?.close();
  });

  test('finds nothing: a different value, not an error', async () => {
    assert.deepEqual(await outcome(store.findUserByEmail(NUL_EMAIL)), { value: undefined });
    assert.deepEqual(
      await outcome(store.listUsers({ limit: 10, offset: 0, search: 'admin\u0000' })),
      { value: [] },
    );
  });
});

describe('a NUL byte reaching the store (PostgreSQL)', () => {
  let db: TestDatabase;
  let store: RevokdStore;
  before(async () => {
    db = await createTestDatabase('invalid_data');
    store = await openStore(db.url, { auditChainKey: TEST_AUDIT_KEY });
  });
  after(async () => {
    await store?.close();
    await db?.drop();
  });

  test('PostgreSQL refuses it (class 22): answered as ERR_BAD_REQUEST (400), never a 500', async () => {
    assert.deepEqual(await outcome(store.findUserByEmail(NUL_EMAIL)), {
      code: 'ERR_BAD_REQUEST',
      status: 400,
    });
    assert.deepEqual(
      await outcome(store.listUsers({ limit: 10, offset: 0, search: 'admin\u0000' })),
      { code: 'ERR_BAD_REQUEST', status: 400 },
    );
    // The store still works afterwards (the failed statement poisoned no pooled connection).
    assert.deepEqual(await outcome(store.findUserByEmail('nobody@example.com')), {
      value: undefined,
    });
  });
});
