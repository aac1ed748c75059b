/**
 * Server-Sent Events framing of the push stream's three events (docs/stream-protocol.md; the data
 * shapes are src/core/revocation/wire-format.ts). Every frame is built whole here, so a connection
 * writes one string per event and a consumer never sees half of one.
 */
import type { FeedCursor } from '../../core/revocation/feed.js';
import { revocationData } from '../../core/revocation/feed-chain.js';
import type { RevocationRecord } from '../../core/revocation/types.js';
import type { WireHeartbeat } from '../../core/revocation/wire-format.js';

/** An SSE `id:` ends at a line break and a NUL makes EventSource ignore it: a cursor must hold neither. */
const SAFE_EVENT_ID = /^[^\r\n\0]{1,1024}$/;

function eventId(cursor: FeedCursor): string {
  if (!SAFE_EVENT_ID.test(cursor))
    throw new TypeError('a feed cursor cannot be sent as an SSE event id');
  return cursor;
}

/**
 * `data` is JSON text, which never holds a raw line break (they are escaped inside strings), so it
 * is one `data:` line — and a consumer hashes exactly these bytes (the feed chain, snapshot digests).
 */
export function frameOf(event: string, data: string, id?: FeedCursor): string {
  const idLine = id === undefined ? '' : `id: ${eventId(id)}\n`;
  return `event: ${event}\n${idLine}data: ${data}\n\n`;
}

/** One revocation; its id is the cursor just past it (resuming there continues with the next). */
export function revocationFrame(record: RevocationRecord, cursor: FeedCursor): string {
  return frameOf('revocation', revocationData(record), cursor);
}

/**
 * "Nothing is missing, and this instance's view was current at `at`": the head of the feed, the
 * chain there, and the proof of both (a JWS; absent when this process has no key to sign with, and
 * then the heartbeat proves nothing: it only keeps the connection from looking dead).
 */
export function heartbeatFrame(
  fields: Omit<WireHeartbeat, 'proof'>,
  proof: string | undefined,
): string {
  return frameOf('heartbeat', JSON.stringify(proof === undefined ? fields : { ...fields, proof }));
}

/**
 * The reconnection delay a consumer should use after losing this stream (SSE `retry:`, in ms). Sent
 * once, first, so it is known before anything can go wrong on the stream.
 */
export function retryFrame(ms: number): string {
  return `retry: ${Math.max(0, Math.floor(ms))}\n\n`;
}

/**
 * An SSE comment (a line starting with `:`, which consumers skip): sent while a stream is still
 * catching up, so the connection never looks dead (stream-session.ts). It is not a heartbeat: it
 * vouches for nothing.
 */
export function catchingUpComment(): string {
  return ': catching up\n\n';
}
