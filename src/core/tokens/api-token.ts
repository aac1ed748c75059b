/**
 * API token format (SPEC §2, the GitHub model): `rvk_` + 30 base62 characters of entropy + 6
 * base62 characters of CRC32 checksum. The checksum lets anything — the service, a secret scanner
 * — reject a mistyped or made-up token without a database lookup. It is not a MAC: security
 * comes from the 178 bits of entropy and the hash lookup, not from the checksum.
 */
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const API_TOKEN_PREFIX = 'rvk_';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ENTROPY_LENGTH = 30;
const CHECKSUM_LENGTH = 6;
export const API_TOKEN_LENGTH = API_TOKEN_PREFIX.length + ENTROPY_LENGTH + CHECKSUM_LENGTH;
/** How much of a token is kept for display (SPEC §2: the first 8 characters). */
export const DISPLAY_PREFIX_LENGTH = 8;
const SHAPE = /^rvk_[0-9A-Za-z]{36}$/;

function base62Fixed(value: number, width: number): string {
  let out = '';
  let n = value;
  for (let i = 0; i < width; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

function checksumOf(body: string): string {
  return base62Fixed(crc32(body) >>> 0, CHECKSUM_LENGTH);
}

/** Uniform base62 characters by rejection sampling (bytes ≥ 248 are discarded, so no bias). */
function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

export function generateApiToken(): string {
  const body = API_TOKEN_PREFIX + randomBase62(ENTROPY_LENGTH);
  return body + checksumOf(body);
}

/** Format and checksum only; true means "worth a database lookup", not "valid". */
export function hasValidApiTokenChecksum(value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== API_TOKEN_LENGTH || !SHAPE.test(value))
    return false;
  const body = value.slice(0, API_TOKEN_PREFIX.length + ENTROPY_LENGTH);
  return checksumOf(body) === value.slice(-CHECKSUM_LENGTH);
}

export function displayPrefix(token: string): string {
  return token.slice(0, DISPLAY_PREFIX_LENGTH);
}
