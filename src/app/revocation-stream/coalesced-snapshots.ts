/**
 * One snapshot read for every stream that asks while it is under way. After a restart or a
 * network blip, every consumer reconnects at once; with 10 M live entries, a store read and an
 * in-memory copy per connection would multiply both. A snapshot that started before a stream
 * asked is still a correct start for it: it is commit-consistent with its cursor, and the stream
 * catches up from that cursor like any other (stream-session.ts).
 */
import type { FeedSnapshot } from '../../core/revocation/feed.js';
import type { TimedSnapshot } from './stream-session.js';

/**
 * Each snapshot is stamped with the time its read began — the first asker's, for all who share it:
 * a proof must never claim a later time than the store was read at (stream-proof.ts).
 */
export function coalescedSnapshots(
  load: (nowMs: number) => Promise<FeedSnapshot>,
): (nowMs: number) => Promise<TimedSnapshot> {
  let inFlight: Promise<TimedSnapshot> | undefined;
  return (nowMs) => {
    inFlight ??= load(nowMs)
      .then((snapshot) => ({ ...snapshot, asOfMs: nowMs }))
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}
