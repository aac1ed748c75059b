/**
 * The audit keys, derived from the service secret with HKDF-SHA256. Each use has its own purpose
 * label, so the chain key, the checkpoint key and the signing-key seal never share a key:
 * a checkpoint signature can never pass for a chain hash, nor the other way round.
 */
import { hkdfSync } from 'node:crypto';

export interface AuditKeys {
  /** Keys each entry's hash (HMAC-SHA256 over the previous hash and the entry). */
  readonly chain: Buffer;
  /** Signs checkpoints of the chain head. */
  readonly checkpoint: Buffer;
}

const SALT = 'revokd';

/**
 * A 32-byte key for one purpose. Labels in use: `revokd audit chain v1`, `revokd audit checkpoint
 * v1` (below) and `revokd signing key seal v1` (keys/sealed-private-key.ts); a new use takes a new label.
 */
export function deriveKey(secret: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, SALT, purpose, 32));
}

export function deriveAuditKeys(secret: Buffer): AuditKeys {
  return {
    chain: deriveKey(secret, 'revokd audit chain v1'),
    checkpoint: deriveKey(secret, 'revokd audit checkpoint v1'),
  };
}
