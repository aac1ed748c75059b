/**
 * The feed + audit lock: why the change feed can be read in commit order on PostgreSQL, and why the
 * audit log stays one chain when several instances write at once.
 *
 * The problem. `revocations.seq` comes from a sequence, and a sequence hands out values when a row
 * is inserted, not when its transaction commits. Two transactions A (seq 7) and B (seq 8) can commit
 * B first; a reader that reads after B's commit and before A's gets 8, moves its cursor to 8, and
 * never sees 7. The audit log has the same shape: an entry's seq and prev_hash are the head's seq + 1
 * and hash, and two transactions that read the same head would fork the chain (or one would fail on
 * the primary key).
 *
 * The mechanism. Every transaction that appends feed records or audit entries takes ONE
 * transaction-scoped advisory lock, `pg_advisory_xact_lock(FEED_LOCK_KEY)`, as its FIRST statement,
 * before it takes any seq or reads the audit head. So at most one such transaction is between
 * "takes a seq" and "commits" at any moment, and:
 *  - PostgreSQL releases a transaction-level lock only after the commit is recorded and visible to
 *    other sessions (locks are released at the very end of CommitTransaction, after the ProcArray
 *    says the transaction committed). The next holder therefore takes its seqs only after every lower
 *    seq is visible: seq order = commit order. A reader whose snapshot sees seq N also sees every
 *    committed seq below N, so the cursor can simply be the last seq read (a decimal string, opaque
 *    to readers: FeedCursor). A lower seq that is never seen belonged to a transaction that rolled back.
 *  - The audit head (seq, hash) is read under the lock in READ COMMITTED, where each statement takes
 *    a fresh snapshot: it sees the previous holder's entries, so seq = head + 1 and prev_hash =
 *    head hash make one chain.
 *  - Taking it first, before any row lock, gives every writer the same lock order: a transaction never
 *    holds a row another is waiting for while itself waiting for this lock, so it adds no deadlocks.
 *
 * Cost: such writes (revocations, logins, refreshes, anything audited) commit one at a time across all
 * instances, as they do on SQLite; checks never touch the database, so this is off the hot path.
 * Rules that must hold across instances (the last admin, the live API-token cap, rate windows) are
 * also serialized by it; they take their own row or key locks as well, so they stay correct even for
 * a write that some day appends no audit entry.
 */
import { type Proc, run } from '../sql/procedure.js';

/** The advisory lock key of the feed and the audit chain ('revokd' + 1; any constant unique to revokd). */
export const FEED_LOCK_KEY = 0x7265766b64_01;

/**
 * Takes the feed + audit lock for the rest of the transaction; must be the transaction's first
 * statement (../sql/feed.ts unitOfWork runs it first in every 'audited' unit: dialect.ts).
 */
export function takeFeedLock(): Proc<void> {
  return advisoryXactLock(FEED_LOCK_KEY);
}

/** A transaction-scoped advisory lock on `key`, waited for. */
export function* advisoryXactLock(key: number): Proc<void> {
  yield* run('SELECT pg_advisory_xact_lock(CAST(? AS BIGINT))', [key]);
}
