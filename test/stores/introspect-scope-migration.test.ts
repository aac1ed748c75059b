/**
 * Upgrading a database made before issue 17 (SQLite migration 013, PostgreSQL 005): a confidential
 * client created with explicit scopes could introspect, and keeps that (`introspect` is added to
 * its scopes) — unless it is a stream reader (`revocations:read`), which loses it. Clients without
 * scopes keep introspecting implicitly and are left as they were; so are public clients.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import pg from 'pg';
import { createPostgresStore } from '../../src/stores/postgres/postgres-store.js';
import { createSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { ClientRecord, RevokdStore } from '../../src/stores/types.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';
import { createTestDatabase } from '../support/postgres.js';
import { tempDir } from '../support/server-process.js';
import { NOW, audit } from './conformance/fixtures.js';

const confidential = (id: string, scopes: string[]): ClientRecord => ({
  id,
  name: id,
  secretHash: 'a'.repeat(64),
  grants: ['client_credentials'],
  scopes,
  createdAtMs: NOW,
  disabledAtMs: null,
});
const CLIENTS: ClientRecord[] = [
  confidential('resource-server', ['read', 'write']),
  confidential('stream-reader', ['revocations:read']),
  confidential('stream-reader-plus', ['revocations:read', 'read']),
  confidential('already', ['introspect']),
  confidential('unscoped', []),
  { ...confidential('public', ['read']), secretHash: null },
];
const EXPECTED: Record<string, string[]> = {
  'resource-server': ['read', 'write', 'introspect'],
  'stream-reader': ['revocations:read'],
  'stream-reader-plus': ['revocations:read', 'read'],
  already: ['introspect'],
  unscoped: [],
  public: ['read'],
};

async function scopesAfterUpgrade(store: RevokdStore): Promise<Record<string, string[]>> {
  return Object.fromEntries(
    (await store.listClients()).filter((c) => c.id in EXPECTED).map((c) => [c.id, [...c.scopes]]),
  );
}

describe('the introspect scope on an upgraded database', () => {
  test('sqlite: migration 013', async () => {
    const file = path.join(tempDir('scope-migration'), 'revokd.db');
    const before = await createSqliteStore(file, { auditChainKey: TEST_AUDIT_KEY });
    for (const c of CLIENTS) await before.createClient(c, audit('client.created'));
    // Back to the schema before 013, with the clients as an older version wrote them.
    before.db.exec(`DELETE FROM schema_migrations WHERE version = 13;
      ALTER TABLE clients DROP COLUMN previous_secret_hash; ALTER TABLE clients DROP COLUMN previous_secret_expires_at;`);
    await before.close();
    const upgraded = await createSqliteStore(file, { auditChainKey: TEST_AUDIT_KEY });
    try {
      assert.deepEqual(await scopesAfterUpgrade(upgraded), EXPECTED);
    } finally {
      await upgraded.close();
    }
  });

  test('postgres: migration 005', async () => {
    const db = await createTestDatabase('scope_migration');
    try {
      const before = await createPostgresStore(db.url, { auditChainKey: TEST_AUDIT_KEY });
      for (const c of CLIENTS) await before.createClient(c, audit('client.created'));
      await before.close();
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      await client.query(`DELETE FROM schema_migrations WHERE version = 5;
        ALTER TABLE clients DROP COLUMN previous_secret_hash; ALTER TABLE clients DROP COLUMN previous_secret_expires_at;`);
      await client.end();
      const upgraded = await createPostgresStore(db.url, { auditChainKey: TEST_AUDIT_KEY });
      try {
        assert.deepEqual(await scopesAfterUpgrade(upgraded), EXPECTED);
      } finally {
        await upgraded.close();
      }
    } finally {
      await db.drop();
    }
  });
});
