/**
 * The revocation log port: revoke by every scope, the change feed replicas follow, the snapshot
 * they start from, window entries, prune, and the generation counters revocations bump
 * (conformance: test/stores/conformance/revocation-log.ts).
 */
import type {
  PagedSnapshotHead,
  WireSnapshotPage,
  SnapshotReceiver,
} from '../../core/revocation/snapshot-stream.js';
import type { RevocationRecord } from '../../core/revocation/types.js';
import type { StoreLifecycle } from './lifecycle.js';
import type {
  FeedCursor,
  FeedPage,
  FeedSnapshot,
  Generations,
  RevocationContext,
  RevocationReport,
  RevocationTarget,
} from '../types.js';

export interface RevocationLogPort {
  /** The counters a token issued now must carry. Read from the system of record, never a cache. */
  readGenerations(sub: string, clientId: string): Promise<Generations>;
  /** Commits a revocation, its feed records and its audit entry together, then returns. */
  revoke(target: RevocationTarget, context: RevocationContext): Promise<RevocationReport>;
  /**
   * Up to `limit` feed records committed after the position `after` (a cursor this store returned:
   * from loadSnapshot or an earlier readFeed), in commit order, and the cursor just past them.
   * A record committed after one that was already read is never skipped by a later read, whatever
   * ids the backend assigned (ids are identities, not positions: see FeedCursor).
   */
  readFeed(after: FeedCursor, limit: number): Promise<FeedPage>;
  /**
   * A cursor handed back from outside (a push-stream client's Last-Event-ID): this store's cursor
   * if the text is one, else undefined. Pure (no I/O); never throws.
   */
  parseFeedCursor(text: string): FeedCursor | undefined;
  /**
   * Whether `cursor` (one parseFeedCursor accepted) is past every record this store has handed
   * out: a Last-Event-ID from a database later restored from an older backup, or from another
   * deployment. Nothing will ever follow it, so a stream resuming there starts from a snapshot.
   */
  cursorIsAhead(cursor: FeedCursor): Promise<boolean>;
  /** Window entries that can still cover a live token (not yet expired at `nowMs`), oldest first. */
  listWindowRevocations(nowMs: number): Promise<RevocationRecord[]>;
  /**
   * Every record that can still cover a live token, plus all generation counters, the cursor to
   * follow the feed from and the feed chain at that cursor (conformance: conformance/feed-chain.ts).
   */
  loadSnapshot(nowMs: number): Promise<FeedSnapshot>;
  /**
   * The same snapshot as a replica keeps it, streamed (core/revocation/snapshot-stream.ts): its head
   * (with a jti count to size tables once), then the live entries of its entry scopes in bounded
   * batches — tokens as SnapshotTokenEntry rows, the others as SnapshotEntry rows (the generation
   * scopes are the head's counters) — never all of them in one array, never a record per row.
   */
  streamSnapshot(nowMs: number, receiver: SnapshotReceiver): Promise<void>;
  /**
   * The head of the snapshot loadSnapshot would read at `nowMs` — counters, cursor and feed chain
   * from one consistent read — for reading its records with readSnapshotPage, each page its own
   * short read: the push stream's snapshots, which a consumer paces, so no transaction may stay
   * open for the whole of one.
   */
  readSnapshotHead(nowMs: number): Promise<PagedSnapshotHead>;
  /**
   * The next records of the snapshot `head` after `after` (head.start, or a cursor of a page read
   * before): at most one page of the records at or before the head's cursor that are live at
   * head.asOfMs, in order, each as its wire JSON text (the stream sends nothing else of them);
   * `done` when nothing follows. Feed records are never changed after their
   * commit, only pruned once expired, so a page read later holds what the head's instant held,
   * less entries that expired meanwhile (they cover no live token: a consumer may drop them too).
   */
  readSnapshotPage(head: PagedSnapshotHead, after: FeedCursor): Promise<WireSnapshotPage>;
  /** Deletes feed records and refresh rows that can no longer matter. */
  prune(nowMs: number): Promise<{ feedRecords: number; refreshTokens: number }>;
}

/** What a feed listener needs of a database connection (a pg.Client fits; structural, so nothing here imports a driver). */
export interface FeedListenerConnection {
  /** Runs one statement (LISTEN, UNLISTEN); rejects when the connection is broken. */
  query(sql: string): Promise<unknown>;
  /** Called for each notification, for an error on the connection, and once when it ends. */
  on(event: 'notification', listener: (message: { channel: string }) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  /** Closes the connection. */
  end(): Promise<void>;
}

/**
 * A backend that announces its own feed commits (PostgreSQL: `pg_notify` inside the transaction,
 * delivered on commit). Optional: a store implementing it declares the capability
 * `feedNotifications` (see {@link hasFeedNotifications}).
 */
export interface FeedNotifications {
  /** The LISTEN channel the store notifies on. */
  readonly feedNotifyChannel: string;
  /**
   * A new dedicated connection (not from a pool: LISTEN holds its session) to LISTEN on; the
   * caller ends it. Rejects when the database cannot be reached.
   */
  connectListener(): Promise<FeedListenerConnection>;
}

/**
 * Whether the store declares `feedNotifications` (and so implements FeedNotifications: the
 * declaration and the members are checked to agree in test/stores/store-capabilities.test.ts).
 */
export function hasFeedNotifications<S extends Pick<StoreLifecycle, 'capabilities'>>(
  store: S,
): store is S & FeedNotifications {
  return store.capabilities.feedNotifications;
}
