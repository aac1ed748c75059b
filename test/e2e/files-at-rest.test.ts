/**
 * Files at rest (issue 9, item 11): whatever the umask, everything revokd keeps in its data
 * directory is readable by its own user only — files 0600 (database, -wal, -shm, the generated
 * service secret; legacy key files), directories 0700 — and a directory or database left with laxer
 * modes is tightened at start. Private signing keys are no longer files: they are sealed in the database.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { login, request } from '../support/http-client.js';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  REPO_ROOT,
  ServerProcess,
  tempDir,
} from '../support/server-process.js';

/** The real server, started by a shell whose umask is 022 (the common default that leaves files world-readable). */
function startWithUmask022(dataDir: string): Promise<ServerProcess> {
  return ServerProcess.start({
    dataDir,
    command: [
      'sh',
      '-c',
      `umask 022 && exec "${process.execPath}" --import tsx "${path.join(REPO_ROOT, 'src/cli/main.ts')}" serve`,
    ],
  });
}

/** Every path under `dir` (itself included) with its permission bits, e.g. {"keys": "700"}. */
function modesUnder(dir: string): Record<string, string> {
  const modes: Record<string, string> = { '.': (fs.statSync(dir).mode & 0o777).toString(8) };
  for (const entry of fs.readdirSync(dir, { recursive: true }) as string[]) {
    modes[entry] = (fs.statSync(path.join(dir, entry)).mode & 0o777).toString(8);
  }
  return modes;
}

function assertPrivate(dir: string): Record<string, string> {
  const modes = modesUnder(dir);
  for (const [entry, mode] of Object.entries(modes)) {
    const isDir = fs.statSync(path.join(dir, entry)).isDirectory();
    assert.equal(mode, isDir ? '700' : '600', `${entry} is ${mode}: ${JSON.stringify(modes)}`);
  }
  return modes;
}

test('with umask 022, every file in a fresh data dir is 0600 and the directories 0700', async () => {
  const dataDir = path.join(tempDir('umask'), 'data');
  const server = await startWithUmask022(dataDir);
  try {
    // Some writes, so the WAL and shared-memory files exist and hold data.
    const session = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    assert.equal(
      (
        await request(`${server.url}/api/v1/auth/revoke`, {
          method: 'POST',
          bearer: session.access_token,
        })
      ).status,
      200,
    );
    const modes = assertPrivate(dataDir);
    for (const expected of ['revokd.db', 'revokd.db-wal', 'revokd.db-shm', 'audit-secret'])
      assert.ok(expected in modes, `${expected} exists: ${JSON.stringify(modes)}`);
    assert.equal(
      'keys' in modes,
      false,
      `private signing keys are sealed into the database, not written to keys/: ${JSON.stringify(modes)}`,
    );
  } finally {
    await server.stop();
    fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
  }
});

test('a pre-existing 0755 data dir becomes 0700, a pre-existing 0644 database 0600, and a legacy keys/ directory 0700 with its files 0600', async () => {
  const dataDir = path.join(tempDir('lax'), 'data');
  fs.mkdirSync(dataDir);
  fs.chmodSync(dataDir, 0o755);
  const dbFile = path.join(dataDir, 'revokd.db');
  const db = new Database(dbFile);
  db.exec('CREATE TABLE left_by_an_older_version (x)');
  db.close();
  fs.chmodSync(dbFile, 0o644);
  // An older version kept private keys there; this one only reads them, but still keeps them private.
  const legacyKeys = path.join(dataDir, 'keys');
  fs.mkdirSync(legacyKeys, { mode: 0o755 });
  fs.chmodSync(legacyKeys, 0o755);
  fs.writeFileSync(path.join(legacyKeys, 'legacy-kid.json'), '{}', { mode: 0o644 });
  fs.chmodSync(path.join(legacyKeys, 'legacy-kid.json'), 0o644);
  const server = await startWithUmask022(dataDir);
  try {
    const modes = assertPrivate(dataDir);
    assert.equal(modes['.'], '700');
    assert.equal(modes['revokd.db'], '600');
    assert.equal(modes.keys, '700');
    assert.equal(modes[path.join('keys', 'legacy-kid.json')], '600');
  } finally {
    await server.stop();
    fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
  }
});
