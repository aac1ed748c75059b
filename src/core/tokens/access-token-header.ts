/**
 * The protected header of an access token, read strictly: what jose's `jwtVerify` refuses
 * (REFERENCE.md, "What jose already rejects") and more, since only our own tokens need to pass.
 *
 *   - strict UTF-8 (jose decodes with `fatal: true`), JSON, a plain object;
 *   - `kid` a key id (looked up in the in-memory ring only: never `jku`, `x5u` or `jwk`, which are
 *     ignored as jose ignores them);
 *   - `alg` a non-empty string (the caller compares it with the key's own algorithm);
 *   - `typ` `at+jwt` as jose compares it (RFC 9068 §4: case-insensitive, `application/` optional);
 *   - no `crit` and no `b64` at all (jose accepts `crit: ["b64"], b64: true`; we issue neither, and
 *     the Python verifier refuses both too).
 *
 * Every token signed by one key has the same header segment, so valid headers are remembered by
 * their text and recognised by a prefix comparison: no slice, no hash, no allocation per token.
 */
import { isUtf8 } from 'node:buffer';
import { RevokdError } from '../errors.js';
import { decodeBase64urlInto } from './canonical-base64url.js';
import { KID_PATTERN } from './key-ring.js';

export interface AccessTokenHeader {
  /** The encoded segment (the token's text up to its first `.`). */
  readonly segment: string;
  readonly kid: string;
  readonly alg: string;
}

/** A header longer than this is not one of ours (ours are about 100 characters). */
const MAX_HEADER_SEGMENT = 1_024;
/** Enough for every key in a ring across rotations; junk never gets in (only valid headers do). */
const KNOWN_MAX = 16;
const known: AccessTokenHeader[] = [];
let nextSlot = 0;
const scratch = Buffer.alloc(MAX_HEADER_SEGMENT);

const invalid = (message: string): RevokdError => new RevokdError('ERR_INVALID_TOKEN', message);

/** The header of `token`, whose first `.` is at `dot`; throws ERR_INVALID_TOKEN. */
export function readAccessTokenHeader(token: string, dot: number): AccessTokenHeader {
  for (let i = 0; i < known.length; i++) {
    const h = known[i]!;
    if (h.segment.length === dot && token.startsWith(h.segment)) return h;
  }
  const parsed = parseHeader(token, dot);
  known[nextSlot] = parsed;
  nextSlot = (nextSlot + 1) % KNOWN_MAX;
  return parsed;
}

function parseHeader(token: string, dot: number): AccessTokenHeader {
  if (dot > MAX_HEADER_SEGMENT) throw invalid('malformed access token header');
  const length = decodeBase64urlInto(token, 0, dot, scratch, 0);
  if (length < 0) throw invalid('malformed access token');
  const bytes = scratch.subarray(0, length);
  let header: unknown;
  try {
    if (!isUtf8(bytes)) throw new Error('not UTF-8');
    header = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid('malformed access token header');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw invalid('malformed access token header');
  }
  const h = header as Record<string, unknown>;
  if (typeof h.kid !== 'string' || !KID_PATTERN.test(h.kid))
    throw invalid('missing or malformed kid');
  if (typeof h.alg !== 'string' || h.alg === '') throw invalid('missing or malformed alg');
  if (typeof h.typ !== 'string' || !isAccessTokenTyp(h.typ))
    throw invalid('not an access token (typ)');
  if (Object.hasOwn(h, 'crit') || Object.hasOwn(h, 'b64'))
    throw invalid('crit and b64 are not accepted');
  return { segment: token.slice(0, dot), kid: h.kid, alg: h.alg };
}

/** jose's comparison (normalizeTyp): media types are case-insensitive, `application/` implied. */
function isAccessTokenTyp(typ: string): boolean {
  const lower = typ.toLowerCase();
  return lower === 'at+jwt' || lower === 'application/at+jwt';
}
