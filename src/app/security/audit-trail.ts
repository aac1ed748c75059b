/**
 * This process's view of the audit log: the keys (derived from the service secret, never in the
 * database), the last head it verified, and signed checkpoints of that head.
 *
 * Incremental verification: the audit pages and `/audit/summary` call {@link verifyForward}, which
 * re-checks the verified head's own hash and then verifies only the entries after it, so a page
 * view costs the entries written since the last one, not the whole log. An edit *before* the
 * verified head (other than of the head itself) is the job of the full verification
 * (`/audit/verify`, `revokd audit verify`) and of checkpoints.
 *
 * Checkpoints are HMAC-signed under their own derived key rather than with Ed25519: everything
 * that verifies one (this server, `revokd audit verify --checkpoint`) holds the service secret
 * anyway, and an HMAC needs no key pair to store, rotate or publish. The cost: a third party cannot
 * verify a checkpoint without the secret — a signature scheme is the upgrade if that is ever needed.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalJson, GENESIS_HASH } from '../../core/audit/audit-event.js';
import type { AuditKeys } from '../../core/audit/audit-keys.js';
import type { RevokdStore } from '../../stores/types.js';
import {
  type AuditVerification,
  type ChainHead,
  type VerifyOptions,
  verifyAuditLog,
} from './audit-verify.js';

export interface AuditCheckpoint {
  readonly seq: number;
  readonly hash: string;
  /** HMAC-SHA256 (hex) under the checkpoint key over the canonical {seq, hash, signed_at}. */
  readonly signature: string;
  /** ISO 8601. */
  readonly signed_at: string;
}

export class AuditTrail {
  private verified: ChainHead = { seq: 0, hash: GENESIS_HASH };

  constructor(readonly keys: AuditKeys) {}

  /** The whole chain from its first entry (and, when given, that it still holds `expectHead`). */
  async verifyAll(
    store: Pick<RevokdStore, 'listAudit'>,
    options: Omit<VerifyOptions, 'from'> = {},
  ): Promise<AuditVerification> {
    const v = await verifyAuditLog(store, this.keys.chain, options);
    if (v.result.ok) this.advance(v.head);
    return v;
  }

  /** Only what was appended since the last verified head (see the module comment). */
  async verifyForward(store: Pick<RevokdStore, 'listAudit'>): Promise<AuditVerification> {
    const v = await verifyAuditLog(store, this.keys.chain, { from: this.verified });
    if (v.result.ok) this.advance(v.head);
    return v;
  }

  /** A signed checkpoint of the head, after verifying up to it; undefined when the chain does not verify. */
  async checkpoint(
    store: Pick<RevokdStore, 'listAudit'>,
    nowMs: number,
  ): Promise<AuditCheckpoint | undefined> {
    const v = await this.verifyForward(store);
    if (!v.result.ok) return undefined;
    return this.sign(v.head, new Date(nowMs).toISOString());
  }

  sign(head: ChainHead, signedAt: string): AuditCheckpoint {
    return {
      seq: head.seq,
      hash: head.hash,
      signature: this.signatureOf(head.seq, head.hash, signedAt),
      signed_at: signedAt,
    };
  }

  /** Whether the checkpoint was signed with this service's checkpoint key. */
  signatureHolds(cp: AuditCheckpoint): boolean {
    const expected = Buffer.from(this.signatureOf(cp.seq, cp.hash, cp.signed_at), 'hex');
    const given = Buffer.from(cp.signature, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private signatureOf(seq: number, hash: string, signedAt: string): string {
    return createHmac('sha256', this.keys.checkpoint)
      .update(canonicalJson({ seq, hash, signed_at: signedAt }))
      .digest('hex');
  }

  private advance(head: ChainHead): void {
    // Never move backwards: a concurrent full verification may finish after a forward one.
    if (head.seq >= this.verified.seq) this.verified = head;
  }
}

/** A SHA-256 / HMAC-SHA256 digest as the chain and checkpoints write it. */
export const HEX_64 = /^[0-9a-f]{64}$/;

/** Parses a checkpoint as served (saved as JSON); a message for the operator when it is not one. */
export function parseCheckpoint(value: unknown): AuditCheckpoint | string {
  if (value === null || typeof value !== 'object')
    return 'a checkpoint must be a JSON object with seq, hash, signature and signed_at';
  const v = value as Record<string, unknown>;
  if (typeof v.seq !== 'number' || !Number.isSafeInteger(v.seq) || v.seq < 0)
    return 'the checkpoint seq must be a whole number ≥ 0';
  if (typeof v.hash !== 'string' || !HEX_64.test(v.hash))
    return 'the checkpoint hash must be 64 lowercase hex characters';
  if (typeof v.signature !== 'string' || !HEX_64.test(v.signature))
    return 'the checkpoint signature must be 64 lowercase hex characters';
  if (typeof v.signed_at !== 'string' || Number.isNaN(Date.parse(v.signed_at)))
    return 'the checkpoint signed_at must be an ISO 8601 time';
  return { seq: v.seq, hash: v.hash, signature: v.signature, signed_at: v.signed_at };
}
