/**
 * Appends audit entries to the hash chain, inside the transaction that does the audited write.
 * Carried over from sqlite/audit-writer.ts: seq = head seq + 1, prev_hash = head hash, each entry's
 * hash keyed with the chain key (OpenStoreOptions.auditChainKey, never stored in the database). The
 * head is read under the feed lock (feed-lock.ts), which is what keeps it one chain when several
 * instances append at once; appending without the lock is refused as a programming error.
 */
import { type AuditEventInput, GENESIS_HASH, chainHash } from '../../core/audit/audit-event.js';
import type { Transaction } from './sql-runner.js';

export async function appendAuditRows(tx: Transaction, events: readonly AuditEventInput[], nowMs: number): Promise<void> {
  if (events.length === 0) return;
  if (!tx.feedLocked) throw new Error('audit entries appended without the feed lock (see feed-lock.ts)');
  const last = await tx.one<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  let seq = last?.seq ?? 0;
  let prevHash = last?.hash ?? GENESIS_HASH;
  for (const event of events) {
    seq += 1;
    const entry = { ...event, initiator: event.initiator ?? null, reason: event.reason ?? null, seq, atMs: nowMs };
    const hash = chainHash(prevHash, entry, tx.auditChainKey);
    await tx.rows(`INSERT INTO audit_log (seq, at, type, actor_type, actor_id, initiator, reason, target_type, target_id, ip, details, prev_hash, hash)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, [
      seq, nowMs, entry.type, entry.actorType, entry.actorId, entry.initiator, entry.reason, entry.targetType, entry.targetId, entry.ip,
      JSON.stringify(entry.details), prevHash, hash,
    ]);
    prevHash = hash;
  }
}
