/**
 * The bytes an access token's check needs — the signing input, the signature, the payload text —
 * decoded into scratch memory reused by every call, so that a first-seen token allocates nothing
 * but its decoded claims. Safe because node:crypto's `verify` is synchronous: nothing else runs
 * between the writes here and the signature check that reads them.
 */
import { isUtf8 } from 'node:buffer';
import { signatureHolds } from './compact-jws.js';
import { decodeBase64urlInto } from './canonical-base64url.js';
import type { VerificationKey } from './key-ring.js';

/** Longest token accepted (checked before anything else). */
export const MAX_JWT_LENGTH = 8192;

const input = Buffer.alloc(MAX_JWT_LENGTH);
const payload = Buffer.alloc(MAX_JWT_LENGTH);
const signature = Buffer.alloc(64);
/** Views of `input` by length, made once per length seen (verify wants an exact-length view). */
const inputViews: Array<Buffer | undefined> = [];
const SIGNATURE_64 = signature.subarray(0, 64);
const SIGNATURE_32 = signature.subarray(0, 32);

/**
 * True when the token's third segment (from `secondDot + 1`) is `key`'s signature over its first
 * two. False for a signature of the wrong length or spelling (non-canonical base64url included).
 */
export function tokenSignatureHolds(
  token: string,
  secondDot: number,
  key: VerificationKey,
): boolean {
  const start = secondDot + 1;
  const sigBytes = key.alg === 'HS256' ? 32 : 64;
  // 64 bytes are 86 characters, 32 are 43 (unpadded): anything else cannot be the signature.
  if (token.length - start !== Math.ceil((sigBytes * 4) / 3)) return false;
  if (decodeBase64urlInto(token, start, token.length, signature, 0) !== sigBytes) return false;
  // latin1 writes one byte per character: the first `secondDot` characters are the signing input.
  // Only because the caller decoded both segments first (base64url, so ASCII) is that exact: a
  // character above U+00FF would be truncated to a byte and let another text share the signature.
  input.write(token, 0, secondDot, 'latin1');
  const view = (inputViews[secondDot] ??= input.subarray(0, secondDot));
  return signatureHolds(key.alg, view, sigBytes === 64 ? SIGNATURE_64 : SIGNATURE_32, key);
}

/**
 * The payload segment (between the dots) decoded to text, or undefined when it is not canonical
 * base64url or not well-formed UTF-8 (jose decodes with `fatal: true`; so do we).
 */
export function decodeTokenPayload(
  token: string,
  firstDot: number,
  secondDot: number,
): string | undefined {
  const length = decodeBase64urlInto(token, firstDot + 1, secondDot, payload, 0);
  if (length < 0) return undefined;
  const text = payload.toString('utf8', 0, length);
  // Malformed UTF-8 decodes to U+FFFD; only then is the strict check (and its view) needed.
  if (text.includes('\uFFFD') && !isUtf8(payload.subarray(0, length))) return undefined;
  return text;
}
