/** The push stream's ring of recent committed records: positions by cursor, eviction, what follows a position. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommitRing } from '../../src/app/revocation-stream/commit-ring.js';
import { revocationRecord } from '../support/revocation-record.js';

const record = (seq: number) => revocationRecord({ seq, scope: 'token', target: `j${seq}` });
const seqsAfter = (ring: CommitRing, cursor: string): number[] | undefined => {
  const at = ring.positionOf(cursor);
  return at === undefined ? undefined : ring.after(at).map((e) => e.record.seq);
};

test('the start cursor and every pushed cursor are positions; after() gives what follows, in order', () => {
  const ring = new CommitRing(10, 'c0');
  for (let i = 1; i <= 3; i++) ring.push({ record: record(i), cursor: `c${i}` });
  assert.deepEqual(seqsAfter(ring, 'c0'), [1, 2, 3]);
  assert.deepEqual(seqsAfter(ring, 'c2'), [3]);
  assert.deepEqual(seqsAfter(ring, 'c3'), [], 'the head: nothing follows (a stream joins here)');
  assert.equal(ring.positionOf('c9'), undefined, 'a cursor not reached yet');
});

test('past capacity the oldest leave: their cursors stop being positions, the last evicted one is the new start', () => {
  const ring = new CommitRing(3, 'c0');
  for (let i = 1; i <= 5; i++) ring.push({ record: record(i), cursor: `c${i}` });
  assert.equal(ring.positionOf('c0'), undefined);
  assert.equal(ring.positionOf('c1'), undefined);
  assert.deepEqual(
    seqsAfter(ring, 'c2'),
    [3, 4, 5],
    'the cursor just before the oldest kept record',
  );
  assert.deepEqual(seqsAfter(ring, 'c4'), [5]);
});

test('a ring started before the replica had a position still serves what it pushed', () => {
  const ring = new CommitRing(2, undefined);
  ring.push({ record: record(7), cursor: 'c7' });
  assert.deepEqual(seqsAfter(ring, 'c7'), []);
  assert.throws(() => new CommitRing(0, 'c0'), RangeError);
});
