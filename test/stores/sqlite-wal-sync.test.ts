/**
 * SQLite commits are synced to disk off the event loop (stores/sqlite/wal-sync.ts): a unit of work
 * resolves only after the fdatasync of the -wal file that covers its commit, reads wait for every
 * commit they could have seen (this connection's and another's), the loop keeps running meanwhile,
 * and a failed sync fails that unit and every later one. The sync here is the real fdatasync,
 * held back until the test lets it run, so "not before the sync" is observable.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { isRevokdError } from '../../src/core/errors.js';
import { createSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { type SyncFile, fdatasync } from '../../src/stores/sqlite/wal-sync.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';
import { ctx } from './conformance/fixtures.js';
import { tempDir } from '../support/server-process.js';

const revokeAll = ctx();

/** The real fdatasync, held from `hold()` until `release()`; counts the calls made and finished. */
function heldSync(): {
  sync: SyncFile;
  hold(): void;
  release(): void;
  started: number;
  done: number;
  files: Set<string>;
} {
  let open: () => void = () => undefined;
  let gate = Promise.resolve();
  const held = {
    started: 0,
    done: 0,
    files: new Set<string>(),
    sync: async (fd: number) => {
      held.started++;
      held.files.add(fs.readlinkSync(`/proc/self/fd/${fd}`));
      await gate;
      await fdatasync(fd);
      held.done++;
    },
    hold() {
      gate = new Promise<void>((resolve) => (open = resolve));
    },
    release() {
      open();
      gate = Promise.resolve();
    },
  };
  return held;
}

/** Whether `promise` has settled after the event loop turned a few times. */
async function settledYet(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

async function openStore(file: string, sync: SyncFile) {
  return createSqliteStore(file, { auditChainKey: TEST_AUDIT_KEY, syncWal: sync });
}

test('sqlite: a revocation resolves only after the sync of its commit, and the event loop runs meanwhile', async () => {
  const file = path.join(tempDir('wal-sync'), 'revokd.db');
  const held = heldSync();
  const store = await openStore(file, held.sync);

  held.hold();
  const before = held.done;
  const revoking = store.revoke({ scope: 'global' }, revokeAll);
  let timerFired = false;
  setTimeout(() => (timerFired = true), 20);
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.ok(timerFired, 'timers run while the commit is being synced');
  assert.equal(await settledYet(revoking), false, 'no answer before the commit is on disk');
  assert.equal(held.done, before, 'the sync is still held');

  held.release();
  const report = await revoking;
  assert.equal(held.done, before + 1, 'resolved after exactly one sync');
  assert.equal(report.records.length, 1);
  assert.deepEqual([...held.files], [`${file}-wal`], 'the file synced is the write-ahead log');
  await store.close();
});

test('sqlite: a database opened through a symbolic link syncs the log beside the real file', async () => {
  const dir = tempDir('wal-sync');
  fs.mkdirSync(path.join(dir, 'real'));
  fs.mkdirSync(path.join(dir, 'link'));
  const real = path.join(dir, 'real', 'revokd.db');
  fs.writeFileSync(real, '', { mode: 0o600 });
  fs.symlinkSync(real, path.join(dir, 'link', 'revokd.db'));
  const held = heldSync();
  const store = await openStore(path.join(dir, 'link', 'revokd.db'), held.sync);
  const before = held.done;
  await store.revoke({ scope: 'global' }, revokeAll);
  assert.equal(held.done, before + 1, 'the commit was synced');
  assert.deepEqual(
    [...held.files],
    [`${fs.realpathSync(real)}-wal`],
    "SQLite's log, by its real path",
  );
  await store.close();
});

test('sqlite: commits made while a sync runs share the next one', async () => {
  const file = path.join(tempDir('wal-sync'), 'revokd.db');
  const held = heldSync();
  const store = await openStore(file, held.sync);

  held.hold();
  const first = store.revoke({ scope: 'global' }, revokeAll);
  await new Promise((resolve) => setTimeout(resolve, 20));
  const started = held.started;
  // Five more writes, each its own commit, while the first one's sync is held.
  const more = Array.from({ length: 5 }, (_, i) => store.setUserDecoy(`no-such-user-${i}`, true));
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(held.started, started, 'no second sync while one is running');
  held.release();
  await first;
  await Promise.all(more);
  assert.equal(held.started, started + 1, 'one more sync covered the five commits made meanwhile');
  await store.close();
});

test("sqlite: a read waits for the sync of a commit it could see — this connection's or another's", async () => {
  const file = path.join(tempDir('wal-sync'), 'revokd.db');
  const heldA = heldSync();
  const a = await openStore(file, heldA.sync);
  const b = await openStore(file, fdatasync);

  // This connection's commit, its sync held: a read issued after it waits for that sync.
  heldA.hold();
  const revoking = a.revoke({ scope: 'global' }, revokeAll);
  await new Promise((resolve) => setTimeout(resolve, 20));
  const reading = a.loadSnapshot(1);
  assert.equal(await settledYet(reading), false, 'the read waits for the held sync');
  heldA.release();
  assert.equal((await reading).globalGeneration, 1);
  await revoking;

  // Another connection committed: A's next read syncs the -wal file before answering.
  await b.revoke({ scope: 'global' }, revokeAll);
  const syncsBefore = heldA.done;
  assert.equal((await a.loadSnapshot(1)).globalGeneration, 2);
  assert.equal(heldA.done, syncsBefore + 1, "A synced before showing B's commit");
  assert.equal((await a.loadSnapshot(1)).globalGeneration, 2);
  assert.equal(heldA.done, syncsBefore + 1, 'and not again when nothing new was committed');

  await Promise.all([a.close(), b.close()]);
});

test('sqlite: a failed sync fails its unit and every later one with ERR_STORE_UNAVAILABLE', async () => {
  const file = path.join(tempDir('wal-sync'), 'revokd.db');
  let failing = false;
  const store = await openStore(file, async (fd) => {
    if (failing) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    await fdatasync(fd);
  });
  failing = true;
  const unavailable = (err: unknown) =>
    isRevokdError(err) &&
    err.code === 'ERR_STORE_UNAVAILABLE' &&
    /synced to disk/.test(err.message);
  await assert.rejects(store.revoke({ scope: 'global' }, revokeAll), unavailable);
  // The disk answers again, but what the failed sync held may be gone: nothing is trusted until a
  // restart (SQLite recovers from what the disk has).
  failing = false;
  await assert.rejects(store.loadSnapshot(1), unavailable, 'reads fail too: fail closed');
  await assert.rejects(store.revoke({ scope: 'global' }, revokeAll), unavailable);
  await assert.rejects(store.close(), unavailable);
});
