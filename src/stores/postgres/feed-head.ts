/**
 * The stored feed chain on PostgreSQL (../feed-head.ts). Only transactions holding the feed lock
 * (feed-lock.ts) append revocation records, and they read the head under it in READ COMMITTED — so
 * each sees the head its predecessor committed, and the updates are serial across every instance.
 * The Transaction keeps the running value (one read, one write per transaction: sql-runner.ts).
 */
import { READ_FEED_HEAD_SQL, storedChain } from '../feed-head.js';
import type { SqlRunner } from './sql-runner.js';

export async function readFeedHead(sql: SqlRunner): Promise<string> {
  return storedChain((await sql.one<{ chain: string }>(READ_FEED_HEAD_SQL))?.chain);
}

export async function writeFeedHead(sql: SqlRunner, chain: string): Promise<void> {
  const changed = await sql.changes('UPDATE feed_head SET chain = $1 WHERE id = 1', [chain]);
  if (changed !== 1) throw new Error('feed_head has no row; the database is damaged');
}
