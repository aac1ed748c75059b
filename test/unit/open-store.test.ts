import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { loadConfig } from '../../src/core/config.js';
import { openStore } from '../../src/stores/open-store.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';
import { tempDir } from '../support/server-process.js';
import { storeFixtures } from '../stores/conformance/fixtures.js';
import { createTestDatabase } from '../support/postgres.js';

const execFileAsync = promisify(execFile);

test('openStore: a sqlite: URL opens a migrated SQLite store at that path, and what it wrote is there on reopening', async () => {
  const url = `sqlite:${path.join(tempDir('open-store'), 'revokd.db')}`;
  const first = await openStore(url, { auditChainKey: TEST_AUDIT_KEY });
  assert.equal(first.backend, 'sqlite');
  await first.ping();
  const user = await storeFixtures(() => first).newUser();
  await first.close();

  const second = await openStore(url, { auditChainKey: TEST_AUDIT_KEY });
  try {
    assert.equal((await second.findUserById(user.id))?.email, user.email);
  } finally {
    await second.close();
  }
});

test('openStore: an unknown scheme is refused with the schemes it takes, and without the URL credentials', async () => {
  await assert.rejects(
    openStore('mysql://admin:hunter2@db.example/revokd', { auditChainKey: TEST_AUDIT_KEY }),
    (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.match(err.message, /must start with sqlite: or postgres:\/\//);
      assert.doesNotMatch(err.message, /hunter2/);
      return true;
    },
  );
});

test('openStore: a postgres:// URL opens a migrated PostgreSQL store, and what it wrote is there on reopening; the configuration takes the URL', async (t) => {
  const db = await createTestDatabase('open_store');
  t.after(() => db.drop());
  const first = await openStore(db.url, { auditChainKey: TEST_AUDIT_KEY });
  assert.equal(first.backend, 'postgres');
  await first.ping();
  const user = await storeFixtures(() => first).newUser();
  await first.close();

  const second = await openStore(db.url, { auditChainKey: TEST_AUDIT_KEY });
  try {
    assert.equal((await second.findUserById(user.id))?.email, user.email);
  } finally {
    await second.close();
  }
  assert.equal(
    loadConfig({ REVOKD_DATABASE_URL: db.url, REVOKD_SECRET: 'x'.repeat(48) }).databaseUrl,
    db.url,
  );
});

test('openStore: a process on SQLite never loads the PostgreSQL driver', async () => {
  const url = `sqlite:${path.join(tempDir('no-pg'), 'revokd.db')}`;
  const script = `
    import { createRequire } from 'node:module';
    const { openStore } = await import(${JSON.stringify(path.resolve('src/stores/open-store.ts'))});
    const store = await openStore(${JSON.stringify(url)}, { auditChainKey: Buffer.alloc(32, 7) });
    await store.close();
    const loaded = Object.keys(createRequire(process.cwd() + '/').cache);
    console.log(JSON.stringify({ pg: loaded.some((f) => /node_modules[\\/]pg[\\/]/.test(f)), sqlite: loaded.some((f) => /better-sqlite3/.test(f)) }));`;
  const { stdout } = await execFileAsync(process.execPath, [
    '--import',
    'tsx',
    '--input-type=module',
    '-e',
    script,
  ]);
  assert.deepEqual(
    JSON.parse(stdout.trim().split('\n').pop()!),
    { pg: false, sqlite: true },
    'better-sqlite3 loaded (so the check sees CommonJS drivers), pg not',
  );
});
