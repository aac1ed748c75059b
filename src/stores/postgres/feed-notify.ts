/**
 * Propagation between instances: every transaction that appends feed records sends
 * `NOTIFY revokd_feed, '<highest seq>'` as its last statement before COMMIT. PostgreSQL delivers a
 * notification only when (and if) its transaction commits, in commit order, so there is no window in
 * which a revocation is committed but its wake-up could be lost by a crash between "commit" and
 * "publish", and a rolled-back transaction wakes nobody. Listeners (PostgresStore.connectListener)
 * treat it as a wake-up only and read the feed from their cursor: a missed message is caught up by
 * the next one or by the poll.
 */
import type { SqlRunner } from './sql-runner.js';

/** The LISTEN/NOTIFY channel of the change feed. */
export const FEED_NOTIFY_CHANNEL = 'revokd_feed';

export async function notifyFeed(sql: SqlRunner, highestSeq: number): Promise<void> {
  await sql.rows('SELECT pg_notify($1, $2)', [FEED_NOTIFY_CHANNEL, String(highestSeq)]);
}
