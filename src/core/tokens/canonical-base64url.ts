/**
 * Canonical base64url (RFC 4648 §3.5, no padding): the one spelling that `Buffer.toString('base64url')`
 * produces for some bytes. A segment whose length leaves 2 or 4 bits over in its last character
 * also decodes, leniently, when those unused bits are set — so one Ed25519 signature has 16
 * spellings that all verify. Each would be a different string to the verified-token cache (and a
 * different "token" to anything keyed by the text), so only the canonical spelling is accepted.
 *
 * Cheap on purpose (the verify path is benchmarked): the alphabet is checked elsewhere (the JWT
 * shape regex), so this looks at one character per segment.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** 6-bit value of each base64url character by char code; -1 for anything else. */
const VALUE_OF = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE_OF[ALPHABET.charCodeAt(i)] = i;

/**
 * True when `text.slice(start, end)` is base64url that re-encodes to itself: a length that is not
 * 1 more than a multiple of 4 (no 6-bit remainder can hold a byte), and a last character whose
 * unused low bits are zero. Characters other than the last are not checked here.
 */
export function isCanonicalBase64urlSegment(text: string, start: number, end: number): boolean {
  const length = end - start;
  if (length <= 0) return false;
  const code = text.charCodeAt(end - 1);
  const value = code < 128 ? VALUE_OF[code]! : -1;
  if (value < 0) return false;
  switch (length % 4) {
    case 0:
      return true; // 3 whole bytes per 4 characters: every bit is used
    case 2:
      return (value & 0b1111) === 0; // one byte: 2 of the last 6 bits used
    case 3:
      return (value & 0b11) === 0; // two bytes: 4 of the last 6 bits used
    default:
      return false; // 1: six bits cannot make a byte
  }
}

/** True when every `.`-separated segment of `compact` (a JWS, say) is canonical base64url. */
export function hasCanonicalBase64urlSegments(compact: string): boolean {
  let start = 0;
  for (;;) {
    const dot = compact.indexOf('.', start);
    const end = dot === -1 ? compact.length : dot;
    if (!isCanonicalBase64urlSegment(compact, start, end)) return false;
    if (dot === -1) return true;
    start = dot + 1;
  }
}

/**
 * Decodes the base64url in `text.slice(start, end)` into `out` from `at`, without allocating (the
 * first-seen token check decodes its signature and payload into reused scratch memory). Returns
 * the bytes written, or -1 when a character is outside the alphabet (`=`, `.`, whitespace…) or
 * the segment is not canonical (see isCanonicalBase64urlSegment). `out` must have room:
 * `(end - start) * 3 / 4` bytes.
 */
export function decodeBase64urlInto(
  text: string,
  start: number,
  end: number,
  out: Uint8Array,
  at: number,
): number {
  if (!isCanonicalBase64urlSegment(text, start, end)) return -1;
  let o = at;
  let i = start;
  const whole = end - ((end - start) & 3);
  for (; i < whole; i += 4) {
    const n =
      (sextetAt(text, i) << 18) |
      (sextetAt(text, i + 1) << 12) |
      (sextetAt(text, i + 2) << 6) |
      sextetAt(text, i + 3);
    if (n < 0) return -1;
    out[o++] = n >>> 16;
    out[o++] = (n >>> 8) & 0xff;
    out[o++] = n & 0xff;
  }
  const rest = end - i;
  if (rest >= 2) {
    const a = sextetAt(text, i);
    const b = sextetAt(text, i + 1);
    if ((a | b) < 0) return -1;
    out[o++] = (a << 2) | (b >> 4);
    if (rest === 3) {
      const c = sextetAt(text, i + 2);
      if (c < 0) return -1;
      out[o++] = ((b & 0xf) << 4) | (c >> 2);
    }
  }
  return o - at;
}

/** The 6-bit value of the character at `i`; any bad character makes the whole word negative. */
function sextetAt(text: string, i: number): number {
  const code = text.charCodeAt(i);
  // -1 << 18 stays negative whatever it is OR'd with: one bad character poisons the word.
  return code < 128 ? VALUE_OF[code]! : -1;
}
