/**
 * Grace-window replay without a plaintext token at rest. When a refresh token is rotated, its
 * successor is sealed (AES-256-GCM) under a key derived from the *presented* token. Only someone
 * holding the predecessor can open it, and that is exactly who a grace replay (SPEC §4) serves:
 * the same successor is returned, never a second live chain. The server keeps no key that opens it.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const INFO = Buffer.from('revokd refresh successor v1');

function deriveKey(predecessor: string, salt: string): Buffer {
  return Buffer.from(
    hkdfSync('sha256', Buffer.from(predecessor, 'utf8'), Buffer.from(salt, 'utf8'), INFO, 32),
  );
}

/** Seals `successor` under `predecessor`; `salt` binds it to one row (the predecessor's id). */
export function sealSuccessor(predecessor: string, salt: string, successor: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(predecessor, salt), iv);
  const body = Buffer.concat([cipher.update(successor, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
}

/** Opens a sealed successor; undefined if the predecessor or salt does not match. */
export function openSuccessor(
  predecessor: string,
  salt: string,
  sealed: string,
): string | undefined {
  const parts = sealed.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const [iv, tag, body] = parts.map((p) => Buffer.from(p, 'base64url')) as [
      Buffer,
      Buffer,
      Buffer,
    ];
    const decipher = createDecipheriv('aes-256-gcm', deriveKey(predecessor, salt), iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
