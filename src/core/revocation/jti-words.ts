/**
 * Reading a jti as the 128 random bits it is. revokd's jtis are `randomBytes(16)` in base64url:
 * 22 characters, of which the last carries 2 bits and 4 zero bits. Decoded, they are four 32-bit
 * words that the revoked-jti table stores and hashes by (the bits are random: no hash is needed).
 *
 * Only the canonical spelling decodes: a 22-character string whose last character has any of its
 * low 4 bits set (`…B` instead of `…A`) is a DIFFERENT string that would decode to the same 16
 * bytes, so it is refused here and kept by its string elsewhere — two jtis are the same entry only
 * if they are the same string.
 */

/** Characters of a jti the table can hold. */
export const JTI_CHARS = 22;

/** base64url alphabet value of each ASCII code, -1 for anything else. */
const SEXTET = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) {
  SEXTET['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.charCodeAt(i)] = i;
}

/** Four characters starting at `at` as 24 bits, or -1 if any is not base64url. */
function quad(jti: string, at: number): number {
  const a = sextet(jti.charCodeAt(at));
  const b = sextet(jti.charCodeAt(at + 1));
  const c = sextet(jti.charCodeAt(at + 2));
  const d = sextet(jti.charCodeAt(at + 3));
  if ((a | b | c | d) < 0) return -1;
  return (a << 18) | (b << 12) | (c << 6) | d;
}

function sextet(code: number): number {
  // charCodeAt is < 65536; anything outside ASCII is not base64url.
  return code < 128 ? SEXTET[code]! : -1;
}

/**
 * Decodes a canonical 22-character base64url jti into `out[0..3]` (big-endian words, as signed
 * 32-bit integers). Returns false, leaving `out` unspecified, for anything else.
 */
export function decodeJti128(jti: string, out: Int32Array): boolean {
  if (jti.length !== JTI_CHARS) return false;
  const g0 = quad(jti, 0);
  const g1 = quad(jti, 4);
  const g2 = quad(jti, 8);
  const g3 = quad(jti, 12);
  const g4 = quad(jti, 16);
  const y = sextet(jti.charCodeAt(20));
  const z = sextet(jti.charCodeAt(21));
  if ((g0 | g1 | g2 | g3 | g4 | y | z) < 0) return false;
  // The 22nd character holds the last 2 bits of byte 15; its low 4 bits are padding and must be 0.
  if ((z & 0x0f) !== 0) return false;
  const lastByte = (y << 2) | (z >> 4);
  out[0] = (g0 << 8) | (g1 >>> 16);
  out[1] = ((g1 & 0xffff) << 16) | (g2 >>> 8);
  out[2] = ((g2 & 0xff) << 24) | g3;
  out[3] = (g4 << 8) | lastByte;
  return true;
}
