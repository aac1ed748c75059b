/**
 * The PostgreSQL feed cursor: the last seq read, as a decimal string. That is enough to read in
 * commit order only because seqs are handed out under the feed lock (feed-lock.ts); readers never
 * look inside it (FeedCursor is opaque to them).
 */
import type { FeedCursor } from '../types.js';

export function cursorOfSeq(seq: number): FeedCursor {
  return String(seq);
}

/** A cursor this store made (a decimal seq); anything else is a programming error. */
export function seqOfCursor(cursor: FeedCursor): number {
  if (!/^\d{1,15}$/.test(cursor)) throw new TypeError(`not a PostgreSQL feed cursor: ${JSON.stringify(cursor)}`);
  return Number(cursor);
}
