/**
 * A store snapshot as the stream sends it: parts of at most SNAPSHOT_PART_SIZE revocations, the
 * generation counters (and the service's announced limits) in part 0, the cursor on the final part only (wire-format.ts). Parts are
 * made one at a time, so the frames of a 10 M-entry snapshot never exist as one string.
 */
import type { FeedSnapshot } from '../../core/revocation/feed.js';
import type { WireServiceLimits } from '../../core/revocation/wire-format.js';
import { snapshotPartFrame } from './sse-frames.js';

export const SNAPSHOT_PART_SIZE = 2_000;

/** The snapshot's frames, in order (an empty snapshot is one final part). */
export function* snapshotFrames(snapshot: FeedSnapshot, limits?: WireServiceLimits, partSize = SNAPSHOT_PART_SIZE): Generator<string> {
  const generations = {
    global: snapshot.globalGeneration,
    users: snapshot.userGenerations,
    clients: snapshot.clientGenerations,
  };
  const parts = Math.max(1, Math.ceil(snapshot.records.length / partSize));
  for (let part = 0; part < parts; part++) {
    const records = snapshot.records.slice(part * partSize, (part + 1) * partSize);
    const final = part === parts - 1 ? { cursor: snapshot.cursor } : undefined;
    yield snapshotPartFrame(part, records, final, part === 0 ? generations : undefined, part === 0 ? limits : undefined);
  }
}
