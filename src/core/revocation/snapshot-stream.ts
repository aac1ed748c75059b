/**
 * A snapshot read as a stream (issue 21): the head first — counters, cursor, chain, and how many
 * jti entries may follow, so a receiver sizes its jti table once — then the live entries in
 * batches, in seq order. Neither end ever holds the records of a snapshot as one array: at 10 M
 * live revocations that array alone is gigabytes of objects.
 */
import type { FeedCursor, FeedPage, FeedSnapshot } from './feed.js';
import type { EntryScope, RevocationRecord } from './types.js';

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

/**
 * One page of a paged snapshot as the stream sends it: `revocations[i]` is a revocation's wire
 * JSON — exactly `JSON.stringify(toWire(record))` (wire-format.ts), written by the store's query
 * (stores/sql/wire-json.ts) so no record object is built for it — and `cursors[i]` the position
 * just past it.
 */
export interface WireSnapshotPage {
  readonly revocations: readonly string[];
  readonly cursors: readonly FeedCursor[];
  /** Where the next page starts. */
  readonly cursor: FeedCursor;
  /** Nothing follows this page: the snapshot is complete. */
  readonly done: boolean;
}

/** One page of a paged snapshot: `cursors[i]` is the position just past `records[i]`. */
export interface SnapshotPage extends FeedPage {
  readonly records: readonly RevocationRecord[];
  /** Nothing follows this page: the snapshot is complete. */
  readonly done: boolean;
}

/**
 * What a replica keeps of a live revocation of an entry scope — the five columns of its row, in
 * this order, exactly as the store reads them (an array per row, no record object). Generation
 * scopes never come as entries: the head's counters carry them; tokens come as SnapshotTokenEntry.
 */
export type SnapshotEntry = readonly [
  scope: Exclude<EntryScope, 'token'>,
  target: string,
  windowFrom: number | null,
  windowTo: number | null,
  expiresAtMs: number | null,
];

/** A revoked token as the store reads it — the millions of a snapshot, in two columns. */
export type SnapshotTokenEntry = readonly [jti: string, expiresAtMs: number | null];

/**
 * Where a streamed snapshot goes. `begin` comes first and once per attempt: a store that retries
 * its read calls it again, and the receiver starts over. Then token entries and other entries, as
 * the store reads them: each kind in seq order, the two kinds interleaved by page (the replica's
 * state keeps each scope apart, so only the order within a scope matters). Batches and their rows
 * are the caller's, not to be kept.
 */
export interface SnapshotReceiver {
  begin(head: SnapshotHead): void;
  /** The next token entries. */
  tokens(batch: readonly SnapshotTokenEntry[]): void;
  /** The next entries of the other entry scopes. */
  entries(batch: readonly SnapshotEntry[]): void;
}
