/**
 * The private half of a signing key as the store keeps it: sealed with AES-256-GCM under a key
 * derived from the service secret (HKDF-SHA256, its own purpose label), so every instance that
 * shares the database and the secret can sign with it, while a copy of the database alone (a
 * backup, a replica, a dump) holds nothing that can sign.
 *
 * Format: `v1.<iv>.<tag>.<ciphertext>`, each part base64url; the plaintext is the private JWK as
 * JSON. The kid is bound as additional authenticated data: a blob copied into another key's row
 * does not open, so no row can be made to sign with a key that is not its own.
 */
import {
  type KeyObject,
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  randomBytes,
} from 'node:crypto';
import { deriveKey } from '../core/audit/audit-keys.js';
import { RevokdError } from '../core/errors.js';

/** The HKDF purpose label: no other use of the service secret derives this key. */
export const SIGNING_KEY_SEAL_PURPOSE = 'revokd signing key seal v1';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Seals and opens private signing keys under one service secret. */
export class PrivateKeySealer {
  private readonly key: Buffer;

  constructor(serviceSecret: Buffer) {
    this.key = deriveKey(serviceSecret, SIGNING_KEY_SEAL_PURPOSE);
  }

  /** The private key as a sealed string for `SigningKeyRecord.privateKeySealed` (a fresh IV each time). */
  seal(kid: string, privateKey: KeyObject): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(kid));
    const plaintext = Buffer.from(JSON.stringify(privateKey.export({ format: 'jwk' })), 'utf8');
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    plaintext.fill(0);
    return [
      VERSION,
      ...[iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url')),
    ].join('.');
  }

  /**
   * The private key sealed for `kid`. Throws a RevokdError naming REVOKD_SECRET when it does not
   * open: AES-GCM cannot tell a wrong secret from an altered blob, so the message names both, and
   * never the raw crypto error (which would tell an operator nothing).
   */
  open(kid: string, sealed: string): KeyObject {
    const parts = sealed.split('.');
    const [iv, tag, ciphertext] = parts.slice(1).map(decodePart);
    if (
      parts.length !== 4 ||
      parts[0] !== VERSION ||
      iv?.length !== IV_BYTES ||
      tag?.length !== TAG_BYTES ||
      ciphertext === undefined
    ) {
      throw new RevokdError(
        'ERR_INTERNAL',
        `the stored private half of signing key ${kid} is not a ${VERSION} sealed key: the database row was altered or written by a newer revokd`,
      );
    }
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(additionalData(kid));
      decipher.setAuthTag(tag);
      plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      throw new RevokdError(
        'ERR_INTERNAL',
        `the private half of signing key ${kid} does not open with this service secret: ` +
          'every instance on one database must run with the same REVOKD_SECRET (on SQLite without it, the one in <REVOKD_DATA_DIR>/audit-secret); ' +
          'if the secret is right, the stored key was altered',
      );
    }
    try {
      return createPrivateKey({
        key: JSON.parse(plaintext.toString('utf8')) as never,
        format: 'jwk',
      });
    } catch {
      // Authenticated, so written by a revokd holding this secret: not an attack, a format revokd cannot read.
      throw new RevokdError(
        'ERR_INTERNAL',
        `the private half of signing key ${kid} opened but is not a private JWK this revokd can read`,
      );
    } finally {
      plaintext.fill(0);
    }
  }
}

/** Binds the format version and the kid: what the blob may be opened as. */
function additionalData(kid: string): Buffer {
  return Buffer.from(`revokd signing key ${VERSION} ${kid}`, 'utf8');
}

/** base64url in its one canonical form (Node decodes leniently: stray characters, padding, extra bits). */
function decodePart(part: string): Buffer | undefined {
  const bytes = Buffer.from(part, 'base64url');
  return bytes.length > 0 && bytes.toString('base64url') === part ? bytes : undefined;
}
