import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/core/config.js';
import { POSTGRES_NOT_AVAILABLE } from '../../src/core/database-url.js';
import { openStore } from '../../src/stores/open-store.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';
import { tempDir } from '../support/server-process.js';
import { storeFixtures } from '../stores/conformance/fixtures.js';

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
  await assert.rejects(openStore('mysql://admin:hunter2@db.example/revokd', { auditChainKey: TEST_AUDIT_KEY }), (err: unknown) => {
    assert.ok(err instanceof Error);
    assert.match(err.message, /must start with sqlite: or postgres:\/\//);
    assert.doesNotMatch(err.message, /hunter2/);
    return true;
  });
});

test('openStore: postgres:// is refused with the same message the configuration gives', async () => {
  const url = 'postgres://revokd@db.example/revokd';
  await assert.rejects(openStore(url, { auditChainKey: TEST_AUDIT_KEY }), (err: unknown) => {
    assert.ok(err instanceof Error);
    assert.ok(err.message.includes(POSTGRES_NOT_AVAILABLE), err.message);
    return true;
  });
  assert.throws(() => loadConfig({ REVOKD_DATABASE_URL: url }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.ok(err.problems.includes(`REVOKD_DATABASE_URL: ${POSTGRES_NOT_AVAILABLE}`), err.problems.join('; '));
    return true;
  });
});
