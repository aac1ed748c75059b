/**
 * Opaque tokens (refresh tokens, client secrets): random strings with a type prefix, stored only as
 * their SHA-256 hash and compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const REFRESH_PREFIX = 'rt_';
const OPAQUE_PATTERN = /^[A-Za-z0-9_-]+$/;

/** A new token: prefix + 256 bits of entropy, base64url. */
export function newOpaqueToken(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Constant-time equality of two hex digests (false for different lengths). */
export function digestsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Cheap shape check before any lookup: prefix, length, alphabet. */
export function looksLikeOpaqueToken(value: unknown, prefix: string): value is string {
  return (
    typeof value === 'string' &&
    value.length >= prefix.length + 40 &&
    value.length <= 128 &&
    value.startsWith(prefix) &&
    OPAQUE_PATTERN.test(value.slice(prefix.length))
  );
}

/** A short random identifier (session ids, jtis, row ids): 128 bits, base64url. */
export function newId(): string {
  return randomBytes(16).toString('base64url');
}
