/**
 * The audit log port: appending, listing (by seq, type and user) and counting by type; the chain
 * is the backend's to keep (conformance: test/stores/conformance/audit-log.ts).
 */
import type { AuditEntry, AuditEventInput, AuditEventType } from '../../core/audit/audit-event.js';
import type { AuditQuery } from '../types.js';

export interface AuditLogPort {
  /**
   * Appends the entries, in order, each chained to the one before (under the audit chain key), all
   * in one commit; `nowMs` is their time. Seqs are assigned by the store, increasing.
   */
  appendAudit(events: readonly AuditEventInput[], nowMs: number): Promise<void>;
  /** Up to `limit` entries with seq above `afterSeq` (0 when absent), of `type` if given, in seq order. */
  listAudit(query: AuditQuery): Promise<AuditEntry[]>;
  /** The entry with the highest seq (the log's head, whether or not the chain up to it verifies); undefined when empty. */
  lastAuditEntry(): Promise<AuditEntry | undefined>;
  /** Entries per type written at or after `sinceMs` (all entries when null). */
  countAuditByType(sinceMs: number | null): Promise<Partial<Record<AuditEventType, number>>>;
  /** Audit entries where the user is the actor or the target, newest first. */
  listAuditForUser(userId: string, limit: number): Promise<AuditEntry[]>;
}
