/**
 * A backend's capabilities are declared twice — by its URL's location (configuration decides on
 * them before any store is opened) and by the store object — and the app trusts the declaration
 * (`hasFeedNotifications` reads it): both must agree, and a store declaring feedNotifications must
 * implement FeedNotifications (and one declaring none must not). Real SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { parseStoreUrl } from '../../src/core/database-url.js';
import { openStore } from '../../src/stores/open-store.js';
import type { RevokdStore } from '../../src/stores/types.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';
import { createTestDatabase } from '../support/postgres.js';
import { tempDir } from '../support/server-process.js';

async function assertDeclarationsAgree(url: string, store: RevokdStore): Promise<void> {
  const location = parseStoreUrl(url);
  assert.ok('capabilities' in location, `${url} names a backend`);
  assert.deepEqual(store.capabilities, location.capabilities, 'as its URL declares');
  const notifier = store as Partial<{ feedNotifyChannel: unknown; connectListener: unknown }>;
  const implemented =
    typeof notifier.feedNotifyChannel === 'string' &&
    typeof notifier.connectListener === 'function';
  assert.equal(
    implemented,
    store.capabilities.feedNotifications,
    'feedNotifications is declared exactly when implemented',
  );
}

test("sqlite: the store declares its URL's capabilities and implements them", async () => {
  const url = `sqlite:${path.join(tempDir('capabilities'), 'revokd.db')}`;
  const store = await openStore(url, { auditChainKey: TEST_AUDIT_KEY });
  try {
    await assertDeclarationsAgree(url, store);
    assert.equal(store.capabilities.sharedAcrossHosts, false);
  } finally {
    await store.close();
  }
});

test("postgres: the store declares its URL's capabilities and implements them", async (t) => {
  const database = await createTestDatabase('capabilities');
  t.after(() => database.drop());
  const store = await openStore(database.url, { auditChainKey: TEST_AUDIT_KEY });
  try {
    await assertDeclarationsAgree(database.url, store);
    assert.equal(store.capabilities.sharedAcrossHosts, true);
  } finally {
    await store.close();
  }
});
