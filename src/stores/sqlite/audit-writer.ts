/** Appends audit entries to the hash chain. Call inside the transaction that does the audited write. */
import { type AuditEventInput, GENESIS_HASH, chainHash } from '../../core/audit/audit-event.js';
import type { SqliteDatabase } from './open-database.js';

/**
 * The chain key of each open database, bound once when the store opens it. Kept beside the handle
 * rather than threaded through every writer, so no audited write can forget it.
 */
const chainKeys = new WeakMap<SqliteDatabase, Buffer>();

export function bindAuditChainKey(db: SqliteDatabase, key: Buffer): void {
  if (key.length < 32) throw new Error('the audit chain key must be at least 32 bytes');
  chainKeys.set(db, key);
}

export function auditChainKeyOf(db: SqliteDatabase): Buffer {
  const key = chainKeys.get(db);
  if (key === undefined) throw new Error('no audit chain key bound to this database');
  return key;
}

export function appendAuditRows(db: SqliteDatabase, events: readonly AuditEventInput[], nowMs: number): void {
  if (events.length === 0) return;
  const key = auditChainKeyOf(db);
  const last = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
  let seq = last?.seq ?? 0;
  let prevHash = last?.hash ?? GENESIS_HASH;
  const insert = db.prepare(`INSERT INTO audit_log (seq, at, type, actor_type, actor_id, initiator, reason, target_type, target_id, ip, details, prev_hash, hash)
    VALUES (@seq, @at, @type, @actorType, @actorId, @initiator, @reason, @targetType, @targetId, @ip, @details, @prevHash, @hash)`);
  for (const event of events) {
    seq += 1;
    const entry = { ...event, initiator: event.initiator ?? null, reason: event.reason ?? null, seq, atMs: nowMs };
    const hash = chainHash(prevHash, entry, key);
    insert.run({
      seq, at: nowMs, type: entry.type, actorType: entry.actorType, actorId: entry.actorId, initiator: entry.initiator,
      reason: entry.reason, targetType: entry.targetType, targetId: entry.targetId, ip: entry.ip,
      details: JSON.stringify(entry.details), prevHash, hash,
    });
    prevHash = hash;
  }
}
