/**
 * Access tokens: JWTs with `typ: at+jwt` (RFC 9068), issued and verified over jose with every check
 * that jose leaves to the application (REFERENCE.md, "What jose already rejects").
 */
import { SignJWT, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { RevokdError } from '../errors.js';
import type { TokenStamp } from '../revocation/types.js';
import { hasCanonicalBase64urlSegments } from './canonical-base64url.js';
import { KID_PATTERN, type SigningKey, type VerificationKey } from './key-ring.js';
import type { VerifiedTokenCache } from './verified-token-cache.js';

export const ACCESS_TOKEN_TYP = 'at+jwt';
/** Anything longer is not one of ours; rejected before parsing. */
export const MAX_JWT_LENGTH = 8192;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const JTI_PATTERN = /^[A-Za-z0-9_-]{8,128}$/;
const ID_PATTERN = /^[A-Za-z0-9_.:@-]{1,255}$/;

export interface AccessClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string;
  readonly exp: number;
  readonly nbf: number;
  readonly iat: number;
  readonly jti: string;
  readonly sid: string;
  readonly client_id: string;
  readonly scope: string;
  readonly gen: number;
  readonly ugen: number;
  readonly cgen: number;
  /**
   * Present (true) on tokens issued while the user's password was one they did not choose (the
   * generated first-run admin's): a hint that the bearer guard must read the user before letting
   * the token past the password change (src/http/password-change-gate.ts). Absent otherwise, so
   * every other token is decided without the database.
   */
  readonly password_change_required?: true;
}

export interface VerifiedAccessToken {
  readonly claims: AccessClaims;
  readonly kid: string;
  readonly stamp: TokenStamp;
  /** The key that verified the signature (the verified-token cache compares it on every hit). */
  readonly key: VerificationKey;
}

export interface VerifyOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly clockToleranceSeconds: number;
  /** The access-token TTL: no token of ours lives longer (`exp - iat`) than this plus the tolerance. */
  readonly maxLifetimeSeconds: number;
  readonly nowSec: number;
  readonly resolveKey: (kid: string) => VerificationKey | undefined | Promise<VerificationKey | undefined>;
}

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
 * Parsed protected headers by their encoded segment. Every token signed by one key has the same
 * header segment, so our own tokens skip the second base64url + JSON parse (jose parses it too).
 * Bounded: junk headers cannot grow it without limit.
 */
const headerCache = new Map<string, { kid: string; alg: unknown }>();
const HEADER_CACHE_MAX = 64;

function parseHeader(token: string): { kid: string; alg: unknown } {
  const segment = token.slice(0, token.indexOf('.'));
  const cached = headerCache.get(segment);
  if (cached !== undefined) return cached;
  let header;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw invalid('malformed access token header');
  }
  if (typeof header.kid !== 'string' || !KID_PATTERN.test(header.kid)) throw invalid('missing or malformed kid');
  const parsed = { kid: header.kid, alg: header.alg };
  if (headerCache.size >= HEADER_CACHE_MAX) headerCache.clear();
  headerCache.set(segment, parsed);
  return parsed;
}

/**
 * Verifies signature and claims, or answers from `cache` when this exact token string verified
 * before (see verified-token-cache.ts for what a hit still checks). Throws ERR_INVALID_TOKEN or
 * ERR_TOKEN_EXPIRED; never anything else.
 */
export async function verifyAccessToken(token: unknown, options: VerifyOptions, cache?: VerifiedTokenCache): Promise<VerifiedAccessToken> {
  // Before the cache: the 15 other spellings of a signature (unused bits of its last character set)
  // decode to the same bytes, and would each verify and take a cache entry of their own.
  if (typeof token === 'string' && token.length > 0 && token.length <= MAX_JWT_LENGTH && !hasCanonicalBase64urlSegments(token)) {
    throw invalid('malformed access token');
  }
  if (cache === undefined || typeof token !== 'string') return verifySignatureAndClaims(token, options);
  const hit = cache.get(token);
  if (hit !== undefined) {
    // The same comparison jose makes (`exp <= now - tolerance` is expired).
    if (hit.verified.claims.exp <= options.nowSec - options.clockToleranceSeconds) {
      cache.forget(token);
      throw new RevokdError('ERR_TOKEN_EXPIRED', 'access token expired');
    }
    const found = options.resolveKey(hit.verified.kid);
    const key = found instanceof Promise ? await found : found;
    if (key === hit.key) return hit.verified;
    // The key was rotated away, revoked or reloaded: the full path decides (and may refuse).
    cache.forget(token);
  }
  const verified = await verifySignatureAndClaims(token, options);
  cache.remember(token, verified, verified.key);
  return verified;
}

async function verifySignatureAndClaims(token: unknown, options: VerifyOptions): Promise<VerifiedAccessToken> {
  if (typeof token !== 'string' || token.length === 0) throw invalid('no access token');
  if (token.length > MAX_JWT_LENGTH || !JWT_SHAPE.test(token)) throw invalid('malformed access token');
  const { kid, alg } = parseHeader(token);
  // The key comes from our in-memory ring by kid — never from jku/x5u/jwk — and must be of the
  // header's algorithm; jose is then told to accept that one algorithm only.
  const found = options.resolveKey(kid);
  const key = found instanceof Promise ? await found : found;
  if (key === undefined) throw invalid('unknown signing key');
  if (alg !== key.alg) throw invalid('algorithm not allowed for this key');
  let payload;
  try {
    ({ payload } = await jwtVerify(token, key.key, {
      algorithms: [key.alg],
      issuer: options.issuer,
      audience: options.audience,
      typ: ACCESS_TOKEN_TYP,
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'sid', 'client_id'],
      clockTolerance: options.clockToleranceSeconds,
      currentDate: new Date(options.nowSec * 1000),
    }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw new RevokdError('ERR_TOKEN_EXPIRED', 'access token expired');
    throw invalid('access token signature or claims rejected');
  }
  checkTimes(payload, options);
  // jose accepts an `iat` in the future and a numeric `jti`; we do not.
  if (typeof payload.iat !== 'number' || payload.iat > options.nowSec + options.clockToleranceSeconds) throw invalid('iat is in the future');
  if (typeof payload.jti !== 'string' || !JTI_PATTERN.test(payload.jti)) throw invalid('jti must be a short string');
  const sid = payload.sid;
  const clientId = payload.client_id;
  if (typeof sid !== 'string' || !ID_PATTERN.test(sid)) throw invalid('sid must be a string');
  if (typeof clientId !== 'string' || !ID_PATTERN.test(clientId)) throw invalid('client_id must be a string');
  if (typeof payload.sub !== 'string' || !ID_PATTERN.test(payload.sub)) throw invalid('sub must be a string');
  const gen = payload.gen, ugen = payload.ugen, cgen = payload.cgen;
  if (!isCounter(gen) || !isCounter(ugen) || !isCounter(cgen)) throw invalid('generation claims missing');
  const passwordChange = payload.password_change_required;
  if (passwordChange !== undefined && passwordChange !== true) throw invalid('password_change_required must be true when present');
  const aud = Array.isArray(payload.aud) ? options.audience : (payload.aud as string);
  const claims: AccessClaims = {
    iss: payload.iss as string, sub: payload.sub, aud, exp: payload.exp as number, nbf: payload.nbf ?? payload.iat,
    iat: payload.iat, jti: payload.jti, sid, client_id: clientId,
    scope: typeof payload.scope === 'string' ? payload.scope : '', gen, ugen, cgen,
    ...(passwordChange === true ? { password_change_required: true as const } : {}),
  };
  return {
    claims,
    kid,
    key,
    stamp: { iss: claims.iss, jti: claims.jti, sid, sub: claims.sub, clientId, kid, iat: claims.iat, gen, ugen, cgen },
  };
}

/**
 * jose checks that `exp`/`nbf`/`iat` are numbers and compares them with the clock, nothing more:
 * it accepts 1.5, -1, and an `exp` of 10^30 (a token that never expires if the key ever leaked).
 * None of ours is like that, so such a token was not issued by this service as it is configured.
 */
function checkTimes(payload: Record<string, unknown>, options: VerifyOptions): void {
  for (const name of ['iat', 'exp', 'nbf'] as const) {
    const value = payload[name];
    if (value === undefined && name === 'nbf') continue;
    // Safe integers only, so the subtraction below is exact. A far-future `exp` fails the lifetime
    // check (jose refuses an `nbf` in the future, the check after this one an `iat`).
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw invalid(`${name} must be a whole number of seconds since 1970`);
    }
  }
  const lifetime = (payload.exp as number) - (payload.iat as number);
  if (lifetime > options.maxLifetimeSeconds + options.clockToleranceSeconds) {
    throw invalid('access token lifetime is longer than this service issues');
  }
}

function isCounter(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
