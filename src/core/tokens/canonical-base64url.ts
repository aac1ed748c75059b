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
    case 0: return true; // 3 whole bytes per 4 characters: every bit is used
    case 2: return (value & 0b1111) === 0; // one byte: 2 of the last 6 bits used
    case 3: return (value & 0b11) === 0; // two bytes: 4 of the last 6 bits used
    default: return false; // 1: six bits cannot make a byte
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
