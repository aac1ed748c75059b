/**
 * The other spellings of a JWT: a base64url segment whose length leaves unused bits in its last
 * character (length % 4 of 2 or 3) decodes to the same bytes, leniently, whatever those bits are.
 * An Ed25519 signature (64 bytes, 86 characters) has 4 unused bits: 15 non-canonical spellings.
 */
import assert from 'node:assert/strict';

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Every other spelling of `segment`'s last character (same decoded bytes), canonical one left out. */
function otherSpellings(segment: string): string[] {
  const unusedBits = segment.length % 4 === 2 ? 4 : segment.length % 4 === 3 ? 2 : 0;
  const value = B64URL.indexOf(segment.at(-1) as string);
  assert.ok(value >= 0, 'the segment ends in a base64url character');
  const spellings: string[] = [];
  for (let low = 1; low < 1 << unusedBits; low++)
    spellings.push(segment.slice(0, -1) + B64URL[value ^ low]);
  return spellings;
}

/**
 * The non-canonical spellings of `token`'s segment `index` (0 header, 1 payload, 2 signature):
 * the same header, claims and signature bytes as `token`, a different string.
 */
export function nonCanonicalSpellings(token: string, index: 0 | 1 | 2): string[] {
  const parts = token.split('.');
  assert.equal(parts.length, 3, 'a compact JWS');
  return otherSpellings(parts[index] as string).map((segment) =>
    parts.map((p, i) => (i === index ? segment : p)).join('.'),
  );
}
