/**
 * Propagation between instances: every transaction that appends feed records sends
 * `NOTIFY revokd_feed, '<highest seq>'` as its last statement before COMMIT. PostgreSQL delivers a
 * notification only when (and if) its transaction commits, in commit order, so there is no window in
 * which a revocation is committed but its wake-up could be lost by a crash between "commit" and
 * "publish", and a rolled-back transaction wakes nobody. Listeners (PostgresStore.connectListener)
 * treat it as a wake-up only and read the feed from their cursor: a missed message is caught up by
 * the next one or by the poll.
 */
import { type Proc, all, count } from '../sql/procedure.js';

/** The LISTEN/NOTIFY channel of the change feed. */
export const FEED_NOTIFY_CHANNEL = 'revokd_feed';

/** The last statement before COMMIT of a unit that appended feed records (../sql/feed.ts unitOfWork). */
export function* notifyFeed(highestSeq: number): Proc<void> {
  yield* all('SELECT pg_notify(?, ?)', [FEED_NOTIFY_CHANNEL, String(highestSeq)]);
}

/**
 * The feed head write (dialect.ts writeFeedHead) and the NOTIFY in one statement, still the last
 * before COMMIT: a data-modifying CTE always runs to completion, and the notification is delivered
 * only if the transaction commits — which it does not when the head had no row (the caller throws).
 */
export function* writeFeedHeadAndNotify(
  chain: string,
  seq: number,
  highestSeq: number,
): Proc<number> {
  return yield* count(
    `WITH head AS (UPDATE feed_head SET chain = ?, seq = GREATEST(seq, ?) WHERE id = 1 RETURNING 1)
    SELECT (SELECT COUNT(*) FROM head) AS n, pg_notify(?, ?)`,
    [chain, seq, FEED_NOTIFY_CHANNEL, String(highestSeq)],
  );
}
