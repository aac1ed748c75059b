/** Appends one record to the change feed (revocations), inside a transaction holding the feed lock. */
import type { FeedEntry } from '../../core/revocation/revocation-plan.js';
import type { RevocationRecord } from '../../core/revocation/types.js';
import type { RevocationContext } from '../types.js';
import { toRevocation } from './rows.js';
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
  return record;
}
