/**
 * The replica's fail policy (SPEC §3): when the feed cannot be read for longer than the staleness
 * bound, checks refuse to decide (503) unless fail mode is open, which is reported per check.
 * The feed source here is an in-memory one whose reads can be made to fail: SQLite itself cannot
 * be made unreadable from a test, and the policy is the replica's, whatever the source.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RevocationRecord } from '../../src/core/revocation/types.js';
import { RevocationReplica } from '../../src/replica/revocation-replica.js';
import { PollDriver } from '../../src/replica/drivers/poll-driver.js';
import { MemoryFeed } from '../support/memory-feed.js';

const stamp = {
  iss: 'i',
  jti: 'jti-00000001',
  sid: 's',
  sub: 'u',
  clientId: 'c',
  iat: 1,
  gen: 0,
  ugen: 0,
  cgen: 0,
};
const sessionRecord = (seq: number): RevocationRecord => ({
  seq,
  scope: 'session',
  target: 's',
  issuer: null,
  generation: null,
  windowFrom: null,
  windowTo: null,
  expiresAtMs: null,
  initiator: 'user',
  reason: 'logout',
  note: null,
  createdAtMs: 0,
});

/** A replica on the poll driver, with the driver's sync() to read on demand (the poll is a minute). */
function replica(
  feed: MemoryFeed,
  clock: { now: number },
  failMode: 'open' | 'closed',
  onFailOpen?: () => void,
) {
  const now = () => clock.now;
  const driver = new PollDriver({ source: feed, pollMs: 60_000, now });
  const r = new RevocationReplica({
    driver,
    maxStalenessMs: 1000,
    failOpenMaxMs: 10_000,
    pruneIntervalMs: 60_000,
    failMode,
    now,
    onFailOpen,
  });
  return Object.assign(r, { sync: () => driver.sync() });
}

test('records written by another process arrive with the next sync', async () => {
  const feed = new MemoryFeed();
  const clock = { now: 0 };
  const r = replica(feed, clock, 'closed');
  await r.start();
  assert.equal(r.check(stamp).revoked, false);
  feed.records.push(sessionRecord(1));
  await r.sync();
  assert.equal(r.check(stamp).revoked, true);
  await r.stop();
});

test('a local write does not skip a lower seq another process committed but this view has not read yet', async () => {
  const feed = new MemoryFeed();
  const clock = { now: 0 };
  const r = replica(feed, clock, 'closed');
  await r.start();
  const told: number[] = [];
  r.onRecord((rec) => told.push(rec.seq));
  const fromCli = { ...sessionRecord(1), target: 'from-cli' };
  const local = { ...sessionRecord(2), target: 'local' };
  feed.records.push(fromCli, local);
  r.applyLocal([local]);
  assert.equal(r.check({ ...stamp, sid: 'local' }).revoked, true);
  await r.sync();
  assert.equal(
    r.check({ ...stamp, sid: 'from-cli' }).revoked,
    true,
    'seq 1 must still be read after seq 2 was applied locally',
  );
  assert.deepEqual(told, [2, 1], 'each record is told once');
  await r.stop();
});

test('committed listeners are told every record in commit order with its cursor, local ones when the feed brings them', async () => {
  const feed = new MemoryFeed();
  const clock = { now: 0 };
  const r = replica(feed, clock, 'closed');
  await r.start();
  const committed: Array<[number, string]> = [];
  r.onCommitted((rec, cursor) => committed.push([rec.seq, cursor]));
  const local = { ...sessionRecord(2), target: 'local' };
  feed.records.push(sessionRecord(1), local, sessionRecord(3));
  r.applyLocal([local]);
  assert.deepEqual(committed, [], 'a local commit is not told before the feed orders it');
  await r.sync();
  assert.deepEqual(committed, [
    [1, '1'],
    [2, '2'],
    [3, '3'],
  ]);
  assert.equal(r.cursor, '3');
  await r.stop();
});

test('fail closed: past the staleness bound a check throws ERR_STORE_UNAVAILABLE with Retry-After', async () => {
  const feed = new MemoryFeed();
  const clock = { now: 0 };
  const r = replica(feed, clock, 'closed');
  await r.start();
  feed.failing = true;
  clock.now = 900;
  await r.sync();
  assert.equal(r.check(stamp).revoked, false, 'inside the bound the last known state answers');
  clock.now = 1500;
  await r.sync();
  assert.throws(
    () => r.check(stamp),
    (err: { code?: string; retryAfterSeconds?: number }) =>
      err.code === 'ERR_STORE_UNAVAILABLE' && err.retryAfterSeconds === 1,
  );
  feed.failing = false;
  await r.sync();
  assert.equal(r.check(stamp).revoked, false, 'a successful sync restores service');
  await r.stop();
});

test('fail open: a stale check still answers from the last known state, and is reported', async () => {
  const feed = new MemoryFeed();
  feed.records.push(sessionRecord(1));
  const clock = { now: 0 };
  let reported = 0;
  const r = replica(feed, clock, 'open', () => {
    reported++;
  });
  await r.start();
  feed.failing = true;
  clock.now = 5000;
  await r.sync();
  assert.equal(r.check(stamp).revoked, true, 'known revocations are still enforced');
  assert.equal(r.check({ ...stamp, sid: 'other' }).revoked, false);
  assert.equal(reported, 2);
  clock.now = 10_001;
  await r.sync();
  assert.throws(
    () => r.check(stamp),
    (err: { code?: string }) => err.code === 'ERR_STORE_UNAVAILABLE',
    'fail-open ends after the access-token TTL',
  );
  await r.stop();
});
