/**
 * The push stream's snapshots read page by page and shared (src/app/revocation-stream/
 * shared-snapshot.ts): the frames are byte for byte those of the same snapshot loaded whole
 * (snapshotFrames, which the conformance vectors pin), parts stay within their byte and count
 * bounds, streams that open together cost one store read per page, and a stream that falls too far
 * behind goes on with its own reads and still gets exactly the same frames.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  SHARED_WINDOW_BYTES,
  type SnapshotReader,
  sharedSnapshots,
} from '../../src/app/revocation-stream/shared-snapshot.js';
import { snapshotFrames } from '../../src/app/revocation-stream/snapshot-parts.js';
import type { ProofSigner } from '../../src/app/revocation-stream/stream-hub.js';
import type {
  PagedSnapshotHead,
  WireSnapshotPage,
} from '../../src/core/revocation/snapshot-stream.js';
import { toWire } from '../../src/core/revocation/wire-format.js';
import type { RevocationRecord } from '../../src/core/revocation/types.js';
import { revocationRecord } from '../support/revocation-record.js';

const NOW = 1_800_000_000_000;
const PAGE = 500;
/** A proof showing what was signed (Ed25519 is deterministic too: equal inputs, equal proofs). */
const sign: ProofSigner = (proof) => Buffer.from(JSON.stringify(proof)).toString('base64url');
const limits = { clockToleranceSeconds: 5, accessTtlSeconds: 900 };

function tokenRecord(seq: number): RevocationRecord {
  return revocationRecord({
    seq,
    scope: 'token',
    target: randomBytes(16).toString('base64url'),
    issuer: 'http://issuer.test',
    expiresAtMs: NOW + 3_600_000,
    createdAtMs: NOW,
  });
}

/** A store of `count` records (seqs 1…count, every tenth pruned away) that counts its reads. */
function fakeStore(count: number) {
  const records = Array.from({ length: count }, (_, i) => tokenRecord(i + 1)).filter(
    (r) => r.seq % 10 !== 0,
  );
  const head: PagedSnapshotHead = {
    globalGeneration: 3,
    userGenerations: [['alice', 2]],
    clientGenerations: [],
    cursor: String(count),
    chain: 'c'.repeat(64),
    asOfMs: NOW,
    start: '0',
  };
  const store = {
    heads: 0,
    pages: 0,
    readSnapshotHead: async (): Promise<PagedSnapshotHead> => {
      store.heads++;
      return head;
    },
    readSnapshotPage: async (h: PagedSnapshotHead, after: string): Promise<WireSnapshotPage> => {
      store.pages++;
      const from = Number(after);
      const upTo = Math.min(from + PAGE, Number(h.cursor));
      const page = records.filter((r) => r.seq > from && r.seq <= upTo);
      return {
        revocations: page.map((r) => JSON.stringify(toWire(r))),
        cursors: page.map((r) => String(r.seq)),
        cursor: String(upTo),
        done: upTo >= Number(h.cursor),
      };
    },
  };
  const { asOfMs: _a, start: _s, ...fields } = head;
  return { store, loaded: { ...fields, records }, pagesPerSnapshot: Math.ceil(count / PAGE) };
}

async function drain(reader: SnapshotReader): Promise<string[]> {
  const frames: string[] = [];
  for (let frame = await reader.next(); frame !== undefined; frame = await reader.next())
    frames.push(frame);
  reader.leave();
  return frames;
}

const dataOf = (frame: string): string => frame.split('\ndata: ')[1]!.split('\n')[0]!;

test(
  'the frames are those of the snapshot loaded whole, in parts of at most 64 KiB and 2 ' + '000',
  async () => {
    const { store, loaded } = fakeStore(30_000);
    const open = sharedSnapshots(store, { sign, limits }, () => NOW);
    const frames = await drain(await open(NOW));
    const whole = [...snapshotFrames(loaded, { atMs: NOW, sign, limits, partBytes: 64 * 1024 })];
    assert.deepEqual(frames, whole);
    assert.ok(frames.length > 50, `${frames.length} frames`);
    for (const frame of frames) {
      const data = dataOf(frame);
      assert.ok(Buffer.byteLength(data) <= 64 * 1024);
      assert.ok((JSON.parse(data) as { revocations: unknown[] }).revocations.length <= 2_000);
    }
    // The default count bound alone (a part of 2 000 small records) would pass 64 KiB.
    const byCount = [...snapshotFrames(loaded, { atMs: NOW, sign, limits, partBytes: 1e9 })];
    assert.ok(byCount.length < frames.length / 2);
  },
);

test('streams opening together share one head read and one read per page', async () => {
  const { store, pagesPerSnapshot } = fakeStore(20_000);
  const open = sharedSnapshots(store, { sign, limits }, () => NOW);
  const readers = await Promise.all([open(NOW), open(NOW), open(NOW)]);
  const frames = await Promise.all(readers.map(drain));
  assert.equal(store.heads, 1);
  assert.equal(store.pages, pagesPerSnapshot);
  assert.deepEqual(frames[1], frames[0]);
  assert.deepEqual(frames[2], frames[0]);
});

test('a stream that falls a window behind reads on its own and gets the same frames', async () => {
  // Enough records for their parts to pass the shared window several times over.
  const { store, pagesPerSnapshot } = fakeStore(120_000);
  let now = NOW;
  const open = sharedSnapshots(store, { sign, limits }, () => now);
  const [fast, slow] = await Promise.all([open(NOW), open(NOW)]);
  const slowFirst = await slow.next();
  now += 5_000; // past the joining time: parts are kept only for streams that still need them
  const fastFrames = await drain(fast);
  const fastBytes = fastFrames.reduce((sum, f) => sum + f.length, 0);
  assert.ok(fastBytes > 3 * SHARED_WINDOW_BYTES, `${fastBytes} bytes of frames`);
  const readsBySharedProducer = store.pages;
  assert.equal(readsBySharedProducer, pagesPerSnapshot, 'the fast stream never waited');
  const slowFrames = [slowFirst!, ...(await drain(slow))];
  assert.ok(store.pages > readsBySharedProducer, 'the slow stream read the rest itself');
  assert.deepEqual(slowFrames, fastFrames);
  // A stream opening now does not join the old snapshot: it reads a new head.
  await drain(await open(now));
  assert.equal(store.heads, 2);
});
