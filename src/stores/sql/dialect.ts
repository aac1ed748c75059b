/**
 * What truly differs between the SQL databases revokd runs on. Everything else — every
 * transaction, every statement that reads the same on both — is written once in this folder.
 * Each backend folder has one `dialect.ts` implementing this (sqlite/dialect.ts, postgres/dialect.ts).
 */
import type { Proc } from './procedure.js';

export interface Dialect {
  // Locking. SQLite writes in IMMEDIATE transactions (one writer at a time), so it takes no row locks.
  /** Row locking clauses appended to a SELECT: ' FOR UPDATE' / ' FOR SHARE', or '' where writers are serial. */
  readonly forUpdate: string;
  readonly forShare: string;
  /** ' FOR UPDATE SKIP LOCKED' for claim queries, or ''. */
  readonly forUpdateSkipLocked: string;
  /** Whether row locks exist at all: a statement that only takes a lock is skipped where they do not. */
  readonly locksRows: boolean;
  /** The first statement of every transaction that appends feed records or audit entries (postgres/feed-lock.ts); nothing on SQLite. */
  takeFeedLock(): Proc<void>;
  /** Serializes the check-and-record of one rate window (api-tokens.ts); nothing on SQLite. */
  lockRateWindow(key: string): Proc<void>;

  // Syntax.
  /**
   * A true / false test of a flag column (INTEGER 0/1 on SQLite, BOOLEAN on PostgreSQL). Flags are
   * written as 0/1 parameters on both: PostgreSQL reads '0' / '1' as a boolean.
   */
  isTrue(column: string): string;
  isFalse(column: string): string;
  /** The larger of two values (MAX(a, b) / GREATEST(a, b)). */
  greatest(a: string, b: string): string;
  /** Case-insensitive LIKE (SQLite's LIKE already is, for ASCII). */
  readonly ilike: string;
  /** Finds a user by email, case-insensitively, through the dialect's unique index. */
  readonly emailMatches: string;
  /**
   * A text expression as a JSON string literal (`null` for NULL), byte for byte what
   * JSON.stringify writes for the same string (wire-json.ts; pinned by the revocation-log conformance).
   */
  jsonString(expression: string): string;

  // The feed head and the feed's highest seq.
  /** Writes the feed chain (and, on PostgreSQL, the seq it covers) just before commit (feed.ts); the rows changed. */
  writeFeedHead(chain: string, seq: number): Proc<number>;
  /** Wakes other instances on commit (postgres/feed-notify.ts); nothing on SQLite. */
  notifyFeed(highestSeq: number): Proc<void>;
  /**
   * writeFeedHead then notifyFeed, as one statement where the database allows (one round trip
   * fewer on PostgreSQL for every unit that appends revocation records); the rows changed.
   */
  writeFeedHeadAndNotify(chain: string, seq: number, highestSeq: number): Proc<number>;
  /** `SELECT … AS last`: the highest seq ever handed out (not MAX(seq): the newest may be pruned). */
  readonly lastSeqSql: string;
  /** `SELECT … AS last, chain`: a snapshot's cursor and feed chain, read in its transaction. */
  readonly snapshotHeadSql: string;

  /** Whether an array can be bound as one parameter (`= ANY(CAST(? AS TEXT[]))`); else one statement per element. */
  readonly arrayParams: boolean;
}
