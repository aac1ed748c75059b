/**
 * One snapshot read for every stream that asks while it is under way. After a restart or a
 * network blip, every consumer reconnects at once; with 10 M live entries, a store read and an
 * in-memory copy per connection would multiply both. A snapshot that started before a stream
 * asked is still a correct start for it: it is commit-consistent with its cursor, and the stream
 * catches up from that cursor like any other (stream-session.ts).
 */
import type { FeedSnapshot } from '../../core/revocation/feed.js';

export function coalescedSnapshots(load: (nowMs: number) => Promise<FeedSnapshot>): (nowMs: number) => Promise<FeedSnapshot> {
  let inFlight: Promise<FeedSnapshot> | undefined;
  return (nowMs) => {
    inFlight ??= load(nowMs).finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}
