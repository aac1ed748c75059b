/**
 * A store snapshot as the stream sends it (docs/stream-protocol.md, "Snapshots"): parts of at most
 * SNAPSHOT_PART_SIZE revocations — the generation counters, the protocol version and the service's
 * announced limits in part 0 — then a final part that carries no revocations but the snapshot's
 * cursor (as its `id:`), the feed chain there, and a proof signed over the digest of the parts
 * before it. Parts are made one at a time, so the frames of a 10 M-entry snapshot never exist as
 * one string, and the digest is taken as they go.
 */
import { createHash } from 'node:crypto';
import type { FeedSnapshot } from '../../core/revocation/feed.js';
import { STREAM_PROTOCOL_VERSION } from '../../core/revocation/stream-protocol.js';
import type { SnapshotDigest } from '../../core/revocation/stream-proof.js';
import {
  type WireServiceLimits,
  type WireSnapshotPart,
  toWire,
} from '../../core/revocation/wire-format.js';
import { frameOf } from './sse-frames.js';
import type { ProofSigner } from './stream-hub.js';

export const SNAPSHOT_PART_SIZE = 2_000;

export interface SnapshotFrameOptions {
  /** Announced in part 0. */
  readonly limits?: WireServiceLimits;
  /** When the snapshot's view was current (the store read's start): the proof's `at`. */
  readonly atMs: number;
  readonly sign: ProofSigner;
  readonly partSize?: number;
}

/** The snapshot's frames, in order: at least one part with revocations (maybe none), then the final one. */
export function* snapshotFrames(
  snapshot: FeedSnapshot,
  options: SnapshotFrameOptions,
): Generator<string> {
  const partSize = options.partSize ?? SNAPSHOT_PART_SIZE;
  const digest = createHash('sha256');
  const parts = Math.max(1, Math.ceil(snapshot.records.length / partSize));
  for (let part = 0; part < parts; part++) {
    const first = part === 0;
    const data: WireSnapshotPart = {
      part,
      final: false,
      ...(first
        ? {
            protocol: STREAM_PROTOCOL_VERSION,
            generations: {
              global: snapshot.globalGeneration,
              users: snapshot.userGenerations,
              clients: snapshot.clientGenerations,
            },
          }
        : {}),
      ...(first && options.limits !== undefined
        ? {
            clock_tolerance_seconds: options.limits.clockToleranceSeconds,
            access_ttl_seconds: options.limits.accessTtlSeconds,
          }
        : {}),
      revocations: snapshot.records.slice(part * partSize, (part + 1) * partSize).map(toWire),
    };
    const text = JSON.stringify(data);
    // Each part's data text, then a line feed: what a consumer hashes as the parts arrive.
    digest.update(text, 'utf8').update('\n');
    yield frameOf('snapshot', text);
  }
  const covered: SnapshotDigest = { parts, digest: digest.digest('hex') };
  const proof = options.sign({
    head: snapshot.cursor,
    chain: snapshot.chain,
    at: options.atMs,
    snapshot: covered,
  });
  const final: WireSnapshotPart = {
    part: parts,
    final: true,
    chain: snapshot.chain,
    ...(proof === undefined ? {} : { proof }),
    revocations: [],
  };
  yield frameOf('snapshot', JSON.stringify(final), snapshot.cursor);
}
