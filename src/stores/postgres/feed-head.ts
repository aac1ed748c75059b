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

/** The chain and the seq of the last record it covers (migration 006 says why a snapshot needs both). */
export async function readFeedHeadAndSeq(sql: SqlRunner): Promise<{ chain: string; seq: number }> {
  const row = await sql.one<{ chain: string; seq: string | number }>('SELECT chain, seq FROM feed_head WHERE id = 1');
  return { chain: storedChain(row?.chain), seq: Number(row?.seq ?? 0) };
}

export async function writeFeedHead(sql: SqlRunner, chain: string, seq: number): Promise<void> {
  const changed = await sql.changes('UPDATE feed_head SET chain = $1, seq = GREATEST(seq, $2) WHERE id = 1', [chain, seq]);
  if (changed !== 1) throw new Error('feed_head has no row; the database is damaged');
}
