/** Appends one record to the change feed (revocations), inside a transaction holding the feed lock. */
import type { FeedEntry } from '../../core/revocation/revocation-plan.js';
import type { IpBlockChange } from '../../core/revocation/ip-block-change.js';
import type { RevocationRecord } from '../../core/revocation/types.js';
import type { RevocationContext } from '../types.js';
import { toFeedRecord, toRevocation } from '../sql/rows.js';
import type { Transaction } from './sql-runner.js';

export async function appendFeedRecord(tx: Transaction, input: FeedEntry, ctx: RevocationContext): Promise<RevocationRecord> {
  if (!tx.feedLocked) throw new Error('a feed record was appended without the feed lock (see feed-lock.ts)');
  const row = await tx.one(`INSERT INTO revocations (scope, target, issuer, generation, window_from, window_to, expires_at, initiator, reason, note, created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *`, [
    input.scope, input.target, input.issuer ?? null, input.generation ?? null, input.windowFrom ?? null, input.windowTo ?? null,
    input.expiresAtMs, ctx.initiator, ctx.reason, ctx.note ?? null, ctx.nowMs,
  ]);
  const record = toRevocation(row!);
  tx.noteFeedSeq(record.seq);
  // The RETURNING row through the mapper readFeed uses: the chain hashes exactly what readers get.
  await tx.chainFeedRecord(record);
  return record;
}

/**
 * Appends an IP block change (core/revocation/ip-block-change.ts) to the feed, inside the
 * transaction that creates or lifts the block: the block id goes in `target`, the range in `note`.
 * Its expiry is the block's, so prune drops it once the block has ended by itself. Not a
 * revocation, so not sent on the stream and not chained: the feed head is left as it is.
 */
export async function appendIpBlockChange(tx: Transaction, change: Omit<IpBlockChange, 'seq'>): Promise<IpBlockChange> {
  if (!tx.feedLocked) throw new Error('a feed record was appended without the feed lock (see feed-lock.ts)');
  const row = await tx.one(`INSERT INTO revocations (scope, target, expires_at, initiator, reason, note, created_at)
    VALUES ($1, $2, $3, 'admin', 'ip_block', $4, $5) RETURNING *`, [change.scope, change.target, change.expiresAtMs, change.cidr, change.createdAtMs]);
  const record = toFeedRecord(row!) as IpBlockChange;
  tx.noteFeedSeq(record.seq);
  return record;
}
