/**
 * What PostgreSQL does its own way (../sql/dialect.ts): writers run at once on several instances,
 * so the feed lock (feed-lock.ts), row locks and a per-key advisory lock keep what SQLite's single
 * writer keeps; NOTIFY wakes the other instances (feed-notify.ts).
 */
import type { Dialect } from '../sql/dialect.js';
import { type Proc, all, run } from '../sql/procedure.js';
import { takeFeedLock } from './feed-lock.js';
import { notifyFeed, writeFeedHeadAndNotify } from './feed-notify.js';

export const postgresDialect: Dialect = {
  forUpdate: ' FOR UPDATE',
  forShare: ' FOR SHARE',
  forUpdateSkipLocked: ' FOR UPDATE SKIP LOCKED',
  locksRows: true,
  takeFeedLock,
  *lockRateWindow(key: string): Proc<void> {
    yield* all(`SELECT pg_advisory_xact_lock(hashtext('revokd.rate_window:' || ?))`, [key]);
  },
  isTrue: (column) => column,
  isFalse: (column) => `NOT ${column}`,
  greatest: (a, b) => `GREATEST(${a}, ${b})`,
  ilike: 'ILIKE',
  // Through the unique index on lower(email) (migration 001).
  emailMatches: 'lower(email) = lower(?)',
  jsonString: (expression) => `COALESCE(to_json(${expression})::text, 'null')`,
  /**
   * Written once per transaction, just before COMMIT, by the only writer of the moment (the feed
   * lock; READ COMMITTED, so the head it read was its predecessor's): the updates are serial across
   * every instance. The seq is the last record the chain covers (migration 006 says why a snapshot needs it).
   */
  writeFeedHead: (chain, seq) =>
    run('UPDATE feed_head SET chain = ?, seq = GREATEST(seq, ?) WHERE id = 1', [chain, seq]),
  notifyFeed,
  writeFeedHeadAndNotify,
  lastSeqSql: `SELECT pg_sequence_last_value(pg_get_serial_sequence('revocations', 'seq')::regclass) AS last`,
  // The cursor is never below the last record the chain covers, pruned or not (migration 006).
  snapshotHeadSql:
    'SELECT GREATEST((SELECT COALESCE(MAX(seq), 0) FROM revocations), seq) AS last, chain FROM feed_head WHERE id = 1',
  arrayParams: true,
};
