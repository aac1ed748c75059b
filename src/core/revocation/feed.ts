/**
 * The change feed as its readers see it (a replica in the service, the verifier's stream driver):
 * a snapshot to start from, then pages of records in commit order, each position an opaque cursor.
 * Stores produce these (src/stores/ports/revocation-log.ts); nothing here touches a store.
 */
import type { IpBlockChange } from './ip-block-change.js';
import type { RevocationRecord } from './types.js';

/**
 * A position in the change feed, made by the store and handed back to it unchanged. Readers never
 * compare, parse or do arithmetic on it: on SQLite and PostgreSQL it is the last seq read (both
 * hand out seqs in commit order: one writer at a time, or the feed lock), but a backend may need
 * more than a number to read in commit order, and the push stream sends it as the SSE event id.
 */
export type FeedCursor = string;

export interface FeedSnapshot {
  readonly records: readonly RevocationRecord[];
  readonly globalGeneration: number;
  readonly userGenerations: ReadonlyArray<readonly [string, number]>;
  readonly clientGenerations: ReadonlyArray<readonly [string, number]>;
  /** Where a reader of the feed continues from to see everything committed after this snapshot. */
  readonly cursor: FeedCursor;
  /**
   * The feed chain at `cursor` (feed-chain.ts): folding chainAfter over the revocation records read
   * from `cursor` on continues it. Read in the same transaction as the records and cursor.
   */
  readonly chain: string;
}

/**
 * What the feed holds: revocations, and IP block changes (ip-block-change.ts) that only the
 * service's own instances act on.
 */
export type FeedRecord = RevocationRecord | IpBlockChange;

/** One read of the feed: the records in commit order and the cursor just past the last of them. */
export interface FeedPage {
  readonly records: readonly FeedRecord[];
  /** `cursors[i]` is the position just past `records[i]` (resuming there continues with `records[i + 1]`). */
  readonly cursors: readonly FeedCursor[];
  /** Just past the last record (the `after` it was read from when there are none). */
  readonly cursor: FeedCursor;
}
