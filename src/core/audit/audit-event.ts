/**
 * Audit events: one shape for every issue, refresh, revocation and admin action. Entries form a
 * hash chain (each holds the previous entry's hash) so any edited, deleted or reordered row is
 * detectable. Event types are named `<entity>.<past-verb>`; `docs/events.md` lists them.
 */
import { createHash } from 'node:crypto';

export const AUDIT_EVENT_TYPES = [
  'user.created', 'user.disabled', 'user.logged_in', 'user.login_failed',
  'client.created', 'key.created', 'key.rotated', 'key.revoked',
  'session.created', 'session.revoked', 'refresh_token.rotated', 'refresh_token.replayed_in_grace',
  'refresh_token.reused', 'access_token.issued', 'token.revoked', 'user.tokens_revoked',
  'client.tokens_revoked', 'ip.tokens_revoked', 'window.tokens_revoked', 'global.tokens_revoked',
  'token.revoked_token_used', 'api_token.created', 'api_token.revoked', 'api_token.all_revoked', 'api_token.used_after_revoke',
  'ip.blocked', 'ip.unblocked', 'alert.raised', 'alert.acknowledged', 'deception.triggered', 'user.marked_decoy',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export interface AuditEventInput {
  readonly type: AuditEventType;
  readonly actorType: 'user' | 'admin' | 'client' | 'system' | 'cli' | 'anonymous';
  readonly actorId: string | null;
  readonly initiator?: string | null;
  readonly reason?: string | null;
  readonly targetType: string | null;
  readonly targetId: string | null;
  readonly ip: string | null;
  /** Never secrets; token ids are truncated with {@link truncateId}. */
  readonly details: Readonly<Record<string, unknown>>;
}

export interface AuditEntry extends AuditEventInput {
  readonly seq: number;
  readonly atMs: number;
  readonly prevHash: string;
  readonly hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/** Token identifiers are shortened in the audit log: enough to correlate, not to replay. */
export function truncateId(id: string): string {
  return id.length <= 12 ? id : `${id.slice(0, 12)}…`;
}

/** Deterministic JSON: object keys sorted at every depth. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** SHA-256 over the previous hash and the canonical entry (everything but its own hash). */
export function chainHash(prevHash: string, entry: Omit<AuditEntry, 'hash' | 'prevHash'>): string {
  const body = canonicalJson({
    seq: entry.seq, atMs: entry.atMs, type: entry.type, actorType: entry.actorType, actorId: entry.actorId,
    initiator: entry.initiator ?? null, reason: entry.reason ?? null, targetType: entry.targetType,
    targetId: entry.targetId, ip: entry.ip, details: entry.details,
  });
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}

export type ChainVerification =
  | { readonly ok: true; readonly entries: number }
  | { readonly ok: false; readonly entries: number; readonly firstBadSeq: number; readonly problem: string };

/** Walks entries in seq order; reports the first entry whose link or hash does not hold. */
export function verifyChain(entries: Iterable<AuditEntry>): ChainVerification {
  let prevHash = GENESIS_HASH;
  let prevSeq = 0;
  let count = 0;
  for (const entry of entries) {
    count++;
    if (entry.seq !== prevSeq + 1) {
      return { ok: false, entries: count, firstBadSeq: entry.seq, problem: `expected entry ${prevSeq + 1}, found ${entry.seq} (deleted or reordered)` };
    }
    if (entry.prevHash !== prevHash) {
      return { ok: false, entries: count, firstBadSeq: entry.seq, problem: 'previous-hash link broken' };
    }
    if (chainHash(prevHash, entry) !== entry.hash) {
      return { ok: false, entries: count, firstBadSeq: entry.seq, problem: 'content does not match its hash (edited)' };
    }
    prevHash = entry.hash;
    prevSeq = entry.seq;
  }
  return { ok: true, entries: count };
}
