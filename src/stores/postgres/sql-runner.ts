/**
 * One unit of work of the PostgreSQL store: a transaction on one pooled client (BEGIN … COMMIT,
 * ROLLBACK on error, the client always released), with what the store's writers need to know about
 * it — whether the feed lock is held, the audit chain key, the highest feed seq appended (for the
 * NOTIFY sent just before COMMIT), the feed chain after its revocation records (written to
 * feed_head just before COMMIT).
 */
import type pg from 'pg';
import { chainAfter } from '../../core/revocation/feed-chain.js';
import type { RevocationRecord } from '../../core/revocation/types.js';
import { readFeedHead, writeFeedHead } from './feed-head.js';
import { takeFeedLock } from './feed-lock.js';
import { notifyFeed } from './feed-notify.js';
import { isRetryableConflict, translatePgError } from './translate-error.js';

export type Row = Record<string, unknown>;

/** What the store's SQL helpers run statements through. */
export interface SqlRunner {
  rows<R = Row>(text: string, values?: readonly unknown[]): Promise<R[]>;
  /** The first row, or undefined. */
  one<R = Row>(text: string, values?: readonly unknown[]): Promise<R | undefined>;
  /** The number of rows a statement changed. */
  changes(text: string, values?: readonly unknown[]): Promise<number>;
}

/** What runs a query: a checked-out client (a transaction) or the pool itself (one autocommit statement). */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
}

/** Statements on a client (or, for single statements, the pool), one at a time. */
export class ClientRunner implements SqlRunner {
  constructor(protected readonly client: Queryable) {}

  async rows<R = Row>(text: string, values: readonly unknown[] = []): Promise<R[]> {
    return (await this.client.query(text, values as unknown[])).rows as R[];
  }

  async one<R = Row>(text: string, values: readonly unknown[] = []): Promise<R | undefined> {
    return (await this.rows<R>(text, values))[0];
  }

  async changes(text: string, values: readonly unknown[] = []): Promise<number> {
    return (await this.client.query(text, values as unknown[])).rowCount ?? 0;
  }
}

/** A transaction in progress. */
export class Transaction extends ClientRunner {
  private highestFeedSeq: number | null = null;
  /** The feed chain after this transaction's revocation records so far; null until it appends one. */
  private feedChain: string | null = null;
  /** The seq of the last record chained in this transaction (written with the chain). */
  private chainedSeq = 0;

  constructor(client: pg.ClientBase, readonly auditChainKey: Buffer, readonly feedLocked: boolean) {
    super(client);
  }

  /** Called by every feed insert: the transaction notifies listeners of the highest one on commit. */
  noteFeedSeq(seq: number): void {
    if (!this.feedLocked) throw new Error('a feed record was appended without the feed lock (see feed-lock.ts)');
    if (this.highestFeedSeq === null || seq > this.highestFeedSeq) this.highestFeedSeq = seq;
  }

  /**
   * Called by every revocation record appended, in seq order: advances the feed chain over it. The
   * head is read once, at the first (under the feed lock, so it is the last committed one), and
   * written once, before COMMIT — a transaction that rolls back never writes it.
   */
  async chainFeedRecord(record: RevocationRecord): Promise<void> {
    if (!this.feedLocked) throw new Error('a feed record was appended without the feed lock (see feed-lock.ts)');
    this.feedChain = chainAfter(this.feedChain ?? await readFeedHead(this), record);
    this.chainedSeq = record.seq;
  }

  /** Last statements before COMMIT: the feed head, then NOTIFY (delivered only if, and when, the transaction commits). */
  async beforeCommit(): Promise<void> {
    if (this.feedChain !== null) await writeFeedHead(this, this.feedChain, this.chainedSeq);
    if (this.highestFeedSeq !== null) await notifyFeed(this, this.highestFeedSeq);
  }
}

export interface TransactionOptions {
  /** Appends feed records or audit entries: take the feed lock first (feed-lock.ts). */
  readonly feed: boolean;
  /** A consistent read of several statements (loadSnapshot): REPEATABLE READ, READ ONLY. */
  readonly snapshot?: boolean;
}

/** Serialization failures and deadlocks are retried this many times in all before giving up (503). */
const ATTEMPTS = 3;

/**
 * Runs `work` in one transaction. READ COMMITTED (each statement sees everything committed before
 * it starts, which is what the feed lock relies on) unless a snapshot read is asked for.
 */
export async function runTransaction<T>(
  pool: pg.Pool,
  auditChainKey: Buffer,
  options: TransactionOptions,
  work: (tx: Transaction) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await attemptTransaction(pool, auditChainKey, options, work);
    } catch (err) {
      if (!isRetryableConflict(err) || attempt >= ATTEMPTS) throw translatePgError(err);
    }
  }
}

async function attemptTransaction<T>(pool: pg.Pool, auditChainKey: Buffer, options: TransactionOptions, work: (tx: Transaction) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A client whose connection failed (or whose query timed out mid-flight) is destroyed, not reused.
  let discard = false;
  try {
    await client.query(options.snapshot === true ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
    const tx = new Transaction(client, auditChainKey, options.feed);
    try {
      if (options.feed) await takeFeedLock(tx);
      const result = await work(tx);
      await tx.beforeCommit();
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => { discard = true; });
      throw err;
    }
  } catch (err) {
    if (isUnavailable(translatePgError(err))) discard = true;
    throw err;
  } finally {
    client.release(discard);
  }
}

function isUnavailable(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'ERR_STORE_UNAVAILABLE';
}
