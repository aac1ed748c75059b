/**
 * Where the service secret comes from: REVOKD_SECRET (validated, never echoed) or, on SQLite only, a
 * secret generated into the data directory with mode 0600 whatever the umask, found again by every
 * later process. On PostgreSQL no file is ever generated.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  resolveAuditKeys,
  resolveServiceKeys,
  serviceSecretPath,
} from '../../src/app/security/service-secret.js';
import { ConfigError, loadConfig } from '../../src/core/config.js';
import { tempDir } from '../support/server-process.js';

const sqliteIn = (dataDir: string): string => `sqlite:${path.join(dataDir, 'revokd.db')}`;

test('REVOKD_SECRET shorter than 32 bytes is refused without echoing it; the checkpoint interval is bounded', () => {
  assert.throws(
    () =>
      loadConfig({ REVOKD_SECRET: 'short-secret-value', REVOKD_AUDIT_CHECKPOINT_INTERVAL_MS: '5' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems, [
        'REVOKD_SECRET must be at least 32 bytes long',
        'REVOKD_AUDIT_CHECKPOINT_INTERVAL_MS must be between 1000 and 86400000, got 5',
      ]);
      assert.ok(!err.message.includes('short-secret-value'));
      return true;
    },
  );
  assert.equal(loadConfig({}).auditCheckpointIntervalMs, 300_000);
});

test('without REVOKD_SECRET a secret is generated 0600 (umask 022) and the next process derives the same keys', () => {
  const dataDir = path.join(tempDir('secret'), 'fresh');
  const previous = process.umask(0o022);
  try {
    const first = resolveAuditKeys({ dataDir, secret: undefined, databaseUrl: sqliteIn(dataDir) });
    assert.equal(fs.statSync(serviceSecretPath({ dataDir })).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(dataDir), ['audit-secret'], 'no temporary file left behind');
    const again = resolveAuditKeys({ dataDir, secret: undefined, databaseUrl: sqliteIn(dataDir) });
    assert.deepEqual(again, first);
    assert.notDeepEqual(first.chain, first.checkpoint);
  } finally {
    process.umask(previous);
  }
});

test('with REVOKD_SECRET nothing is written, and the keys follow the secret', () => {
  const dataDir = tempDir('secret-env');
  const a = resolveAuditKeys({ dataDir, secret: 'a'.repeat(32), databaseUrl: sqliteIn(dataDir) });
  const b = resolveAuditKeys({ dataDir, secret: 'b'.repeat(32), databaseUrl: sqliteIn(dataDir) });
  assert.equal(fs.existsSync(serviceSecretPath({ dataDir })), false);
  assert.notDeepEqual(a.chain, b.chain);
});

test('a secret file cut short is refused, not used as a weak key', () => {
  const dataDir = tempDir('secret-short');
  fs.writeFileSync(serviceSecretPath({ dataDir }), 'abc', { mode: 0o600 });
  assert.throws(
    () => resolveAuditKeys({ dataDir, secret: undefined, databaseUrl: sqliteIn(dataDir) }),
    /shorter than 32 characters/,
  );
});

test('on PostgreSQL no secret file is generated: without REVOKD_SECRET resolving refuses, naming it', () => {
  const dataDir = tempDir('secret-pg');
  const databaseUrl = 'postgres://revokd@127.0.0.1:5432/revokd';
  assert.throws(
    () => resolveServiceKeys({ dataDir, secret: undefined, databaseUrl }),
    /REVOKD_SECRET is required with a PostgreSQL/,
  );
  assert.equal(fs.existsSync(serviceSecretPath({ dataDir })), false);
  const keys = resolveServiceKeys({ dataDir, secret: 's'.repeat(32), databaseUrl });
  assert.deepEqual(
    keys.audit,
    resolveAuditKeys({ dataDir, secret: 's'.repeat(32), databaseUrl: sqliteIn(dataDir) }),
    'the same secret gives the same audit keys on either backend',
  );
  assert.deepEqual(fs.readdirSync(dataDir), [], 'nothing written');
});
