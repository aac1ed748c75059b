/**
 * The stored feed chain on SQLite (../feed-head.ts). Writers run in IMMEDIATE transactions, one at
 * a time, so reading the head and writing it back inside the transaction is serial.
 */
import type { RevocationRecord } from '../../core/revocation/types.js';
import { READ_FEED_HEAD_SQL, chainOver, storedChain } from '../feed-head.js';
import type { SqliteDatabase } from './open-database.js';

export function readFeedHead(db: SqliteDatabase): string {
  return storedChain(db.prepare(READ_FEED_HEAD_SQL).pluck().get());
}

/**
 * Advances the head over `records`: call it inside the transaction (or savepoint) that appended
 * them, once, after the last of them, with every revocation record appended since the head was
 * last advanced, in seq order — the caller's own records, when no other writer it calls appends in
 * between. In the same transaction, so a rollback takes the advance back with the records.
 */
export function advanceFeedHead(db: SqliteDatabase, records: readonly RevocationRecord[]): void {
  if (records.length === 0) return;
  db.prepare('UPDATE feed_head SET chain = ? WHERE id = 1').run(chainOver(readFeedHead(db), records));
}
