/**
 * Server-Sent Events framing of the push stream's three events (the format is defined in
 * src/core/revocation/wire-format.ts). Every frame is built whole here, so a connection writes one
 * string per event and a consumer never sees half of one.
 */
import type { FeedCursor } from '../../core/revocation/feed.js';
import type { RevocationRecord } from '../../core/revocation/types.js';
import { type WireGenerations, type WireServiceLimits, type WireSnapshotPart, toWire } from '../../core/revocation/wire-format.js';

/** An SSE `id:` ends at a line break and a NUL makes EventSource ignore it: a cursor must hold neither. */
const SAFE_EVENT_ID = /^[^\r\n\0]{1,1024}$/;

function eventId(cursor: FeedCursor): string {
  if (!SAFE_EVENT_ID.test(cursor)) throw new TypeError('a feed cursor cannot be sent as an SSE event id');
  return cursor;
}

/** JSON never holds a raw line break (they are escaped inside strings), so `data:` is one line. */
function frame(event: string, data: unknown, id?: FeedCursor): string {
  const idLine = id === undefined ? '' : `id: ${eventId(id)}\n`;
  return `event: ${event}\n${idLine}data: ${JSON.stringify(data)}\n\n`;
}

/** One revocation; its id is the cursor just past it (resuming there continues with the next). */
export function revocationFrame(record: RevocationRecord, cursor: FeedCursor): string {
  return frame('revocation', toWire(record), cursor);
}

/**
 * One part of a snapshot. Only the final part carries the id (the snapshot's cursor): a consumer
 * that drops mid-snapshot resumes from its previous id (or none) and is sent a whole snapshot again.
 */
export function snapshotPartFrame(
  part: number,
  records: readonly RevocationRecord[],
  final: { readonly cursor: FeedCursor } | undefined,
  generations: WireGenerations | undefined,
  limits?: WireServiceLimits,
): string {
  const data: WireSnapshotPart = {
    part, final: final !== undefined, ...(generations === undefined ? {} : { generations }),
    ...(limits === undefined ? {} : { clock_tolerance_seconds: limits.clockToleranceSeconds, access_ttl_seconds: limits.accessTtlSeconds }),
    revocations: records.map(toWire),
  };
  return frame('snapshot', data, final?.cursor);
}

/**
 * "Nothing new, and this instance's view was current at `at`" (ms since the epoch). `at` is when
 * this instance last confirmed its view against the store, not when the frame was written, so a
 * consumer's staleness clock never runs ahead of what the instance actually knows.
 */
export function heartbeatFrame(atMs: number): string {
  return frame('heartbeat', { at: atMs });
}

/**
 * An SSE comment (a line starting with `:`, which consumers skip): sent while a stream is still
 * catching up, so the connection never looks dead (stream-session.ts). It is not a heartbeat: it
 * vouches for nothing.
 */
export function catchingUpComment(): string {
  return ': catching up\n\n';
}
