/**
 * A snapshot read as a stream (issue 21): the head first — counters, cursor, chain, and how many
 * jti entries may follow, so a receiver sizes its jti table once — then the live revocation
 * records in batches, in seq order. Neither end ever holds the records of a snapshot as one array:
 * at 10 M live revocations that array alone is gigabytes of objects.
 */
import type { FeedCursor, FeedPage, FeedSnapshot } from './feed.js';
import type { RevocationRecord } from './types.js';

/** Everything of a snapshot but its records, plus sizing hints. */
export interface SnapshotHead extends Omit<FeedSnapshot, 'records'> {
  /** At least the number of token-scope records that follow (an upper bound is fine). */
  readonly tokenEntries: number;
}

/**
 * A snapshot's head for reading it page by page, each page its own short read
 * (RevocationLogPort.readSnapshotHead: the push stream's, which a consumer paces).
 */
export interface PagedSnapshotHead extends Omit<FeedSnapshot, 'records'> {
  /** The instant it was read for: which entries are live, and the `at` its proof may claim. */
  readonly asOfMs: number;
  /** The store's position before the snapshot's first record: where its first page starts. */
  readonly start: FeedCursor;
}

/** One page of a paged snapshot: `cursors[i]` is the position just past `records[i]`. */
export interface SnapshotPage extends FeedPage {
  readonly records: readonly RevocationRecord[];
  /** Nothing follows this page: the snapshot is complete. */
  readonly done: boolean;
}

/**
 * Where a streamed snapshot goes. `begin` comes first and once per attempt: a store that retries
 * its read calls it again, and the receiver starts over.
 */
export interface SnapshotReceiver {
  begin(head: SnapshotHead): void;
  /** The next records, in seq order; the batch is the caller's, not to be kept. */
  records(batch: readonly RevocationRecord[]): void;
}

/** A receiver that collects a whole FeedSnapshot (small snapshots and tests only). */
export function snapshotCollector(): SnapshotReceiver & { snapshot(): FeedSnapshot } {
  let head: SnapshotHead | undefined;
  let records: RevocationRecord[] = [];
  return {
    begin(h) {
      head = h;
      records = [];
    },
    records(batch) {
      for (const record of batch) records.push(record);
    },
    snapshot() {
      if (head === undefined) throw new Error('the snapshot was never begun');
      const { tokenEntries: _sizing, ...rest } = head;
      return { ...rest, records };
    },
  };
}
