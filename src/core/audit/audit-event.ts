/**
 * Audit events: one shape for every issue, refresh, revocation and admin action. Entries form a
 * hash chain (each holds the previous entry's hash) so any edited, deleted or reordered row is
 * detectable. The chain is keyed: each hash is an HMAC under the audit chain key, which is not in the
 * database (see audit-keys.ts), so whoever can only write the database cannot re-chain an edit. Event types are named `<entity>.<past-verb>`; `docs/events.md` lists them.
 */
import { createHash, createHmac } from 'node:crypto';

export const AUDIT_EVENT_TYPES = [
  'user.created',
  'user.disabled',
  'user.enabled',
  'user.logged_in',
  'user.login_failed',
  'user.password_changed',
  'user.password_reset',
  'client.created',
  'client.disabled',
  'client.enabled',
  'client.secret_rotated',
  'key.created',
  'key.rotated',
  'key.revoked',
  'session.created',
  'session.revoked',
  'refresh_token.rotated',
  'refresh_token.replayed_in_grace',
  'refresh_token.reused',
  'access_token.issued',
  'token.revoked',
  'user.tokens_revoked',
  'client.tokens_revoked',
  'ip.tokens_revoked',
  'window.tokens_revoked',
  'global.tokens_revoked',
  'token.revoked_token_used',
  'api_token.created',
  'api_token.revoked',
  'api_token.all_revoked',
  'api_token.used_after_revoke',
  'ip.blocked',
  'ip.unblocked',
  'alert.raised',
  'alert.acknowledged',
  'deception.triggered',
  'user.marked_decoy',
  'audit.chain_keyed',
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

/**
 * The key an entry is chained under: the audit chain key, or LEGACY_UNKEYED for the plain SHA-256
 * chains written before the chain was keyed (read only to verify them once, before re-keying).
 */
export type ChainKey = Buffer | typeof LEGACY_UNKEYED;
export const LEGACY_UNKEYED = 'legacy-sha256' as const;

/** HMAC-SHA256 (or, legacy, SHA-256) over the previous hash and the canonical entry (everything but its own hash). */
export function chainHash(
  prevHash: string,
  entry: Omit<AuditEntry, 'hash' | 'prevHash'>,
  key: ChainKey,
): string {
  const body = canonicalJson({
    seq: entry.seq,
    atMs: entry.atMs,
    type: entry.type,
    actorType: entry.actorType,
    actorId: entry.actorId,
    initiator: entry.initiator ?? null,
    reason: entry.reason ?? null,
    targetType: entry.targetType,
    targetId: entry.targetId,
    ip: entry.ip,
    details: entry.details,
  });
  const mac = key === LEGACY_UNKEYED ? createHash('sha256') : createHmac('sha256', key);
  return mac.update(prevHash).update('\n').update(body).digest('hex');
}

export type ChainVerification =
  | { readonly ok: true; readonly entries: number }
  | {
      readonly ok: false;
      readonly entries: number;
      readonly firstBadSeq: number;
      readonly problem: string;
    };

/**
 * Checks a chain one entry at a time, so a log of any length can be verified page by page in
 * constant memory. Feed entries in seq order with {@link push}; once an entry breaks the chain the
 * verifier stops (later entries are ignored) and {@link result} names that entry.
 *
 * What each tampering looks like: an edited entry fails its own hash; a deleted entry leaves a gap,
 * reported at the entry after it; two entries swapped (or any entry moved) fail the `prev_hash`
 * link at the first moved position.
 */
export class ChainVerifier {
  private prevHash: string;
  private prevSeq: number;
  private count = 0;
  private failure: { readonly firstBadSeq: number; readonly problem: string } | undefined;

  /** `from`: continue after an already verified entry instead of from the genesis. */
  constructor(
    private readonly key: ChainKey,
    from: { readonly seq: number; readonly hash: string } = { seq: 0, hash: GENESIS_HASH },
  ) {
    this.prevSeq = from.seq;
    this.prevHash = from.hash;
  }

  /** True while the chain holds; false from the first entry that breaks it. */
  get ok(): boolean {
    return this.failure === undefined;
  }

  /** The last verified entry: seq 0 and the genesis hash before any. */
  get head(): { readonly seq: number; readonly hash: string } {
    return { seq: this.prevSeq, hash: this.prevHash };
  }

  /** Checks the next entry; returns whether the chain still holds. */
  push(entry: AuditEntry): boolean {
    if (this.failure !== undefined) return false;
    this.count++;
    if (entry.seq !== this.prevSeq + 1) {
      return this.fail(
        entry.seq,
        `expected entry ${this.prevSeq + 1}, found ${entry.seq} (deleted or reordered)`,
      );
    }
    if (entry.prevHash !== this.prevHash) return this.fail(entry.seq, 'previous-hash link broken');
    if (chainHash(this.prevHash, entry, this.key) !== entry.hash)
      return this.fail(entry.seq, 'content does not match its hash (edited)');
    this.prevHash = entry.hash;
    this.prevSeq = entry.seq;
    return true;
  }

  /** The outcome so far: entries counts every entry pushed up to and including the first bad one. */
  result(): ChainVerification {
    return this.failure === undefined
      ? { ok: true, entries: this.count }
      : {
          ok: false,
          entries: this.count,
          firstBadSeq: this.failure.firstBadSeq,
          problem: this.failure.problem,
        };
  }

  private fail(firstBadSeq: number, problem: string): false {
    this.failure = { firstBadSeq, problem };
    return false;
  }
}

/** Walks entries in seq order; reports the first entry whose link or hash does not hold. */
export function verifyChain(entries: Iterable<AuditEntry>, key: ChainKey): ChainVerification {
  const verifier = new ChainVerifier(key);
  for (const entry of entries) {
    if (!verifier.push(entry)) break;
  }
  return verifier.result();
}
