/**
 * The feed cursor of both backends: the last seq read, as a decimal string. That is enough to read
 * in commit order only because each hands out seqs in commit order — SQLite has one writer at a
 * time (IMMEDIATE transactions), PostgreSQL takes the feed lock first (postgres/feed-lock.ts).
 * Readers never look inside it (FeedCursor is opaque to them).
 */
import type { FeedCursor, FeedPage, FeedRecord, FeedSnapshot } from '../core/revocation/feed.js';
import { IP_BLOCK_CHANGE_SCOPES } from '../core/revocation/ip-block-change.js';
import type { RevocationRecord } from '../core/revocation/types.js';

const SEQ_CURSOR = /^(0|[1-9]\d{0,14})$/;

export function cursorOfSeq(seq: number): FeedCursor {
  return String(seq);
}

/** A cursor this store made (a decimal seq); anything else is a programming error. */
export function seqOfCursor(cursor: FeedCursor): number {
  if (!SEQ_CURSOR.test(cursor))
    throw new TypeError(`not a feed cursor of this store: ${JSON.stringify(cursor)}`);
  return Number(cursor);
}

/** A cursor handed back from outside (an SSE Last-Event-ID): this store's if it is one, else undefined. */
export function parseSeqCursor(text: string): FeedCursor | undefined {
  return SEQ_CURSOR.test(text) ? text : undefined;
}

/** The page for records read after `after`, in seq (= commit) order. */
export function seqFeedPage(after: FeedCursor, records: FeedRecord[]): FeedPage {
  const cursors = records.map((r) => cursorOfSeq(r.seq));
  return { records, cursors, cursor: cursors[cursors.length - 1] ?? after };
}

/** `('ip_block', 'ip_unblock')`: the feed rows a snapshot leaves out (they are not revocations). */
export const BLOCK_CHANGE_SCOPES_SQL = `(${IP_BLOCK_CHANGE_SCOPES.map((s) => `'${s}'`).join(', ')})`;

/** A generation counter row as both backends keep them (`generations` table). */
export interface GenerationRow {
  readonly scope: string;
  readonly target: string;
  readonly generation: number;
}

/**
 * A snapshot from what both backends read, all in one transaction: live records, every counter, the
 * highest seq handed out and the stored feed chain (feed-head.ts) — which is the chain at that seq,
 * since the head is advanced in the transaction of every revocation record it covers.
 */
export function seqFeedSnapshot(
  records: RevocationRecord[],
  generations: readonly GenerationRow[],
  lastSeq: number,
  chain: string,
): FeedSnapshot {
  return {
    records,
    globalGeneration: generations.find((g) => g.scope === 'global')?.generation ?? 0,
    userGenerations: generations
      .filter((g) => g.scope === 'user')
      .map((g) => [g.target, g.generation] as const),
    clientGenerations: generations
      .filter((g) => g.scope === 'client')
      .map((g) => [g.target, g.generation] as const),
    // Records pruned before the snapshot leave gaps; readers continue after the highest seq.
    cursor: cursorOfSeq(lastSeq),
    chain,
  };
}
