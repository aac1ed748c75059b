/**
 * Access tokens: JWTs with `typ: at+jwt` (RFC 9068), issued with jose and verified without it:
 * node:crypto's synchronous `verify` on the ring's cached KeyObjects, a strict header reader
 * (access-token-header.ts) and a strict claim check (access-token-claims.ts) that refuse
 * everything jose's `jwtVerify` refused, plus every check jose leaves to the application
 * (REFERENCE.md, "What jose already rejects"). Why not jose: its WebCrypto verify is a thread-pool
 * round trip and a pile of promises per token; this path is the hot one (issue 21).
 */
import { SignJWT } from 'jose';
import { RevokdError } from '../errors.js';
import { checkAccessClaims } from './access-token-claims.js';
import { MAX_JWT_LENGTH, decodeTokenPayload, tokenSignatureHolds } from './access-token-bytes.js';
import { type AccessTokenHeader, readAccessTokenHeader } from './access-token-header.js';
import type { AccessClaims, VerifiedAccessToken, VerifyOptions } from './access-token-types.js';
import type { SigningKey, VerificationKey } from './key-ring.js';
import type { VerifiedTokenCache } from './verified-token-cache.js';

export { MAX_JWT_LENGTH } from './access-token-bytes.js';
export const ACCESS_TOKEN_TYP = 'at+jwt';

export type { AccessClaims, VerifiedAccessToken, VerifyOptions } from './access-token-types.js';

export async function signAccessToken(
  claims: Omit<AccessClaims, 'nbf'>,
  key: SigningKey,
): Promise<string> {
  const { iss, sub, aud, exp, iat, jti, ...rest } = claims;
  return new SignJWT({ ...rest })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: ACCESS_TOKEN_TYP })
    .setIssuer(iss)
    .setSubject(sub)
    .setAudience(aud)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(exp)
    .setJti(jti)
    .sign(key.privateKey);
}

const invalid = (message: string): RevokdError => new RevokdError('ERR_INVALID_TOKEN', message);

/**
 * Verifies signature and claims, or answers from `cache` when this exact token string verified
 * before (see verified-token-cache.ts for what a hit still checks). Rejects with ERR_INVALID_TOKEN
 * or ERR_TOKEN_EXPIRED; never anything else (but what `resolveKey` throws).
 */
export async function verifyAccessToken(
  token: unknown,
  options: VerifyOptions,
  cache?: VerifiedTokenCache,
): Promise<VerifiedAccessToken> {
  return checkAccessToken(token, options, cache);
}

/**
 * verifyAccessToken without the promise: the verified token itself when `resolveKey` answered
 * synchronously (always, for a key already in the ring), a promise only when it had to wait.
 * Throws (synchronously) what verifyAccessToken rejects with. A cache hit allocates nothing: it
 * returns the cached object (callers must not change it — it is frozen in spirit, not in fact,
 * because Object.freeze would slow every read of it).
 */
export function checkAccessToken(
  token: unknown,
  options: VerifyOptions,
  cache?: VerifiedTokenCache,
): VerifiedAccessToken | Promise<VerifiedAccessToken> {
  if (typeof token !== 'string' || token.length === 0) throw invalid('no access token');
  if (token.length > MAX_JWT_LENGTH) throw invalid('malformed access token');
  if (cache === undefined) return verifyFresh(token, options, undefined);
  const hit = cache.get(token);
  if (hit === undefined) return verifyFresh(token, options, cache);
  // The same comparison jose made (`exp <= now - tolerance` is expired).
  if (hit.claims.exp <= options.nowSec - options.clockToleranceSeconds) {
    cache.forget(token);
    throw new RevokdError('ERR_TOKEN_EXPIRED', 'access token expired');
  }
  const found = options.resolveKey(hit.kid);
  if (found === hit.key) return hit;
  if (found instanceof Promise) {
    return found.then((key) => (key === hit.key ? hit : reverify(token, options, cache)));
  }
  return reverify(token, options, cache);
}

/** The key was rotated away, revoked or reloaded since the hit was cached: the full check. */
function reverify(
  token: string,
  options: VerifyOptions,
  cache: VerifiedTokenCache,
): VerifiedAccessToken | Promise<VerifiedAccessToken> {
  cache.forget(token);
  return verifyFresh(token, options, cache);
}

/**
 * The full check of a token not in the cache. Only its canonical spelling is accepted (see
 * canonical-base64url.ts: the 15 other spellings of a signature would each verify and each take a
 * cache entry), which the segment decoders check as they go.
 */
function verifyFresh(
  token: string,
  options: VerifyOptions,
  cache: VerifiedTokenCache | undefined,
): VerifiedAccessToken | Promise<VerifiedAccessToken> {
  const firstDot = token.indexOf('.');
  const secondDot = firstDot <= 0 ? -1 : token.indexOf('.', firstDot + 1);
  const extraDot = token.indexOf('.', secondDot + 1) !== -1;
  if (secondDot <= firstDot + 1 || secondDot === token.length - 1 || extraDot) {
    throw invalid('malformed access token');
  }
  const header = readAccessTokenHeader(token, firstDot);
  // The key comes from our in-memory ring by kid — never from jku/x5u/jwk.
  const found = options.resolveKey(header.kid);
  if (found instanceof Promise) {
    return found.then((k) => verifyWithKey(token, firstDot, secondDot, header, k, options, cache));
  }
  return verifyWithKey(token, firstDot, secondDot, header, found, options, cache);
}

function verifyWithKey(
  token: string,
  firstDot: number,
  secondDot: number,
  header: AccessTokenHeader,
  key: VerificationKey | undefined,
  options: VerifyOptions,
  cache: VerifiedTokenCache | undefined,
): VerifiedAccessToken {
  if (key === undefined) throw invalid('unknown signing key');
  // The key decides the algorithm (no `none`, no HS256 keyed with a public key); a header that
  // disagrees is refused, never followed.
  if (header.alg !== key.alg) throw invalid('algorithm not allowed for this key');
  // Decoded before the signature check: it also proves the segment is base64url (ASCII), which the
  // signing input relies on (access-token-bytes.ts).
  const text = decodeTokenPayload(token, firstDot, secondDot);
  if (text === undefined) throw invalid('malformed access token');
  if (!tokenSignatureHolds(token, secondDot, key)) {
    throw invalid('access token signature or claims rejected');
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    throw invalid('access token claims are not JSON');
  }
  const verified = checkAccessClaims(payload, header.kid, key, options);
  cache?.remember(token, verified);
  return verified;
}
