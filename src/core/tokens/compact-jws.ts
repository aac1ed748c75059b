/**
 * A compact JWS (RFC 7515) signed and checked synchronously with node:crypto, for the stream's
 * proofs (core/revocation/stream-proof.ts): they are made on a timer tick and checked inside the
 * consumer's event loop, where jose's async API would reorder them with the events around them.
 *
 * Deliberately narrow: the protected header is exactly `{alg, kid, typ}` with `typ` the caller's;
 * `alg` must be the key's own (never taken from the header: no `none`, no HS256-with-a-public-key);
 * segments must be canonical base64url; nothing else (no `crit`, `jku`, `jwk`, `x5u`) is accepted.
 */
import { createHmac, sign, timingSafeEqual, verify } from 'node:crypto';
import { hasCanonicalBase64urlSegments } from './canonical-base64url.js';
import type { JwtAlg, SigningKey, VerificationKey } from './key-ring.js';
import { KID_PATTERN } from './key-ring.js';

/** A JWS longer than this is not one of ours (a proof is a few hundred bytes). */
const MAX_JWS_LENGTH = 8_192;

function b64(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

function signature(alg: JwtAlg, input: Buffer, key: SigningKey): Buffer {
  switch (alg) {
    case 'EdDSA':
      return sign(null, input, key.privateKey);
    case 'ES256':
      return sign('sha256', input, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
    case 'HS256':
      return createHmac('sha256', key.privateKey).update(input).digest();
  }
}

/**
 * True when `sig` is `key`'s signature over `input` under `alg` (the key's own, decided by the
 * caller). Synchronous node:crypto on the cached KeyObject; also the access-token check's.
 */
export function signatureHolds(
  alg: JwtAlg,
  input: Uint8Array,
  sig: Uint8Array,
  key: VerificationKey,
): boolean {
  switch (alg) {
    case 'EdDSA':
      return sig.length === 64 && verify(null, input, key.key, sig);
    case 'ES256':
      return (
        sig.length === 64 &&
        verify('sha256', input, { key: key.key, dsaEncoding: 'ieee-p1363' }, sig)
      );
    case 'HS256': {
      const expected = createHmac('sha256', key.key).update(input).digest();
      return sig.length === expected.length && timingSafeEqual(sig, expected);
    }
  }
}

/** Signs `payload` (JSON-encoded here) with the header `{alg, kid, typ}`. */
export function signCompactJws(payload: unknown, typ: string, key: SigningKey): string {
  const head = `${b64(JSON.stringify({ alg: key.alg, kid: key.kid, typ }))}.${b64(JSON.stringify(payload))}`;
  return `${head}.${b64(signature(key.alg, Buffer.from(head), key))}`;
}

/** Why a JWS was refused (a message for logs and status, never shown with the JWS itself). */
export class CompactJwsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CompactJwsError';
  }
}

/** A JWS whose shape and header were checked, not yet its signature. */
export interface ParsedJws {
  readonly kid: string;
  readonly alg: string;
  verifyWith(key: VerificationKey): unknown;
}

/**
 * Reads the shape and header of `jws` (typ must be `typ`). `verifyWith(key)` then checks the
 * signature with the key the caller looked up by `kid` and returns the decoded JSON payload;
 * it throws CompactJwsError for anything wrong.
 */
export function parseCompactJws(jws: unknown, typ: string): ParsedJws {
  if (
    typeof jws !== 'string' ||
    jws.length > MAX_JWS_LENGTH ||
    !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(jws) ||
    !hasCanonicalBase64urlSegments(jws)
  ) {
    throw new CompactJwsError('not a compact JWS');
  }
  const [headText, payloadText, sigText] = jws.split('.') as [string, string, string];
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(headText, 'base64url').toString('utf8'));
  } catch {
    throw new CompactJwsError('the JWS header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw new CompactJwsError('the JWS header is not an object');
  const h = header as Record<string, unknown>;
  const keys = Object.keys(h).sort().join(',');
  if (keys !== 'alg,kid,typ')
    throw new CompactJwsError(
      `the JWS header must hold exactly alg, kid and typ (it holds ${keys || 'nothing'})`,
    );
  if (h.typ !== typ) throw new CompactJwsError(`the JWS typ is not ${typ}`);
  if (typeof h.kid !== 'string' || !KID_PATTERN.test(h.kid))
    throw new CompactJwsError('the JWS kid is not a key id');
  if (typeof h.alg !== 'string') throw new CompactJwsError('the JWS alg is not a string');
  const kid = h.kid;
  const alg = h.alg;
  return {
    kid,
    alg,
    verifyWith(key: VerificationKey): unknown {
      if (key.kid !== kid) throw new CompactJwsError('the key is not the one the JWS names');
      // The key decides the algorithm; a header that disagrees is refused, never followed.
      if (alg !== key.alg)
        throw new CompactJwsError(`the JWS alg ${alg} is not its key's (${key.alg})`);
      const input = Buffer.from(`${headText}.${payloadText}`);
      if (!signatureHolds(key.alg, input, Buffer.from(sigText, 'base64url'), key))
        throw new CompactJwsError('the JWS signature does not verify');
      try {
        return JSON.parse(Buffer.from(payloadText, 'base64url').toString('utf8'));
      } catch {
        throw new CompactJwsError('the JWS payload is not JSON');
      }
    },
  };
}
