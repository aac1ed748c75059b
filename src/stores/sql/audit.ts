/**
 * Appends audit entries to the hash chain, inside the transaction that does the audited write:
 * seq = head seq + 1, prev_hash = head hash, each entry's hash keyed with the chain key
 * (OpenStoreOptions.auditChainKey, never stored in the database). The head is read under the feed
 * lock (postgres/feed-lock.ts; on SQLite, the IMMEDIATE transaction), which is what keeps it one
 * chain when several writers append at once; appending without it is refused as a programming error.
 */
import {
  type AuditEntry,
  type AuditEventInput,
  GENESIS_HASH,
  chainHash,
} from '../../core/audit/audit-event.js';
import type { AuditQuery } from '../types.js';
import {
  type Proc,
  type Unit,
  get,
  insertChunks,
  many,
  placeholderRow,
  rowsOf,
  run,
} from './procedure.js';
import { toAudit } from './rows.js';

/** One statement, and the audit entry when it changed a row; whether it did. */
export function* auditedChange(
  u: Unit,
  sql: string,
  params: readonly unknown[],
  audit: AuditEventInput,
  nowMs: number,
): Proc<boolean> {
  const changed = (yield* run(sql, params)) > 0;
  if (changed) yield* appendAudit(u, [audit], nowMs);
  return changed;
}

/** The last audit entry (the chain's head); no row when the log is empty. */
export const AUDIT_HEAD_SQL = 'SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1';

export function* appendAudit(
  u: Unit,
  events: readonly AuditEventInput[],
  nowMs: number,
): Proc<void> {
  yield* appendAuditAt(
    u,
    events.map((event) => ({ event, atMs: nowMs })),
  );
}

const AUDIT_COLUMNS =
  'seq, at, type, actor_type, actor_id, initiator, reason, target_type, target_id, ip, details, ' +
  'prev_hash, hash';
const AUDIT_ROW = placeholderRow(AUDIT_COLUMNS);

/**
 * Appends entries, each at its own time (a group commit's members each keep their request's time),
 * in the order given, as multi-row INSERTs (one round trip on PostgreSQL per ROWS_PER_INSERT).
 * The chain is computed here, entry by entry, before the statement: seq and prev_hash are exactly
 * what one INSERT per entry would write.
 */
export function* appendAuditAt(
  u: Unit,
  items: readonly { readonly event: AuditEventInput; readonly atMs: number }[],
): Proc<void> {
  if (items.length === 0) return;
  u.assertFeedLocked('audit entries appended');
  // Read once per unit: under the lock nobody else appends, so a batch's later members (group
  // commit, revoke-batch.ts) continue from what this unit wrote without another round trip.
  const last = u.auditHead ?? (yield* get<{ seq: number; hash: string }>(AUDIT_HEAD_SQL));
  let seq = Number(last?.seq ?? 0);
  let prevHash = last?.hash ?? GENESIS_HASH;
  const rows: unknown[][] = [];
  for (const { event, atMs } of items) {
    seq += 1;
    const entry = {
      ...event,
      initiator: event.initiator ?? null,
      reason: event.reason ?? null,
      seq,
      atMs,
    };
    const hash = chainHash(prevHash, entry, u.auditChainKey);
    rows.push([
      seq,
      atMs,
      entry.type,
      entry.actorType,
      entry.actorId,
      entry.initiator,
      entry.reason,
      entry.targetType,
      entry.targetId,
      entry.ip,
      JSON.stringify(entry.details),
      prevHash,
      hash,
    ]);
    prevHash = hash;
  }
  for (const chunk of insertChunks(rows))
    yield* run(
      `INSERT INTO audit_log (${AUDIT_COLUMNS}) VALUES ${rowsOf(AUDIT_ROW, chunk.length)}`,
      chunk.flat(),
    );
  u.auditHead = { seq, hash: prevHash };
}

/** Entries after `afterSeq` (of one type, if given), in seq order. */
export function listAudit(_u: Unit, query: AuditQuery): Proc<AuditEntry[]> {
  const after = query.afterSeq ?? 0;
  return query.type === undefined
    ? many(
        'SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?',
        [after, query.limit],
        toAudit,
      )
    : many(
        'SELECT * FROM audit_log WHERE seq > ? AND type = ? ORDER BY seq LIMIT ?',
        [after, query.type, query.limit],
        toAudit,
      );
}
