/** What SQLite does its own way (../sql/dialect.ts). Writers are serial (IMMEDIATE transactions), so there are no row or advisory locks. */
import type { Dialect } from '../sql/dialect.js';
import { type Proc, run } from '../sql/procedure.js';

function* nothing(): Proc<void> {
  /* no statement */
}

// No seq column: the snapshot cursor is the highest seq handed out (sqlite_sequence), pruned or not.
function writeFeedHead(chain: string): Proc<number> {
  return run('UPDATE feed_head SET chain = ? WHERE id = 1', [chain]);
}

export const sqliteDialect: Dialect = {
  forUpdate: '',
  forShare: '',
  forUpdateSkipLocked: '',
  locksRows: false,
  takeFeedLock: nothing,
  lockRateWindow: nothing,
  isTrue: (column) => `${column} = 1`,
  isFalse: (column) => `${column} = 0`,
  greatest: (a, b) => `MAX(${a}, ${b})`,
  ilike: 'LIKE',
  // users.email is COLLATE NOCASE (migration 001): its unique index answers this.
  emailMatches: 'email = ?',
  jsonString: (expression) => `json_quote(${expression})`,
  writeFeedHead,
  notifyFeed: nothing,
  // Nothing to notify: the head write alone.
  writeFeedHeadAndNotify: (chain) => writeFeedHead(chain),
  lastSeqSql: `SELECT seq AS last FROM sqlite_sequence WHERE name = 'revocations'`,
  snapshotHeadSql: `SELECT (SELECT seq FROM sqlite_sequence WHERE name = 'revocations') AS last, chain FROM feed_head WHERE id = 1`,
  arrayParams: false,
};
