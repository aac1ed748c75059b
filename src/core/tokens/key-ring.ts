/**
 * The keys a process signs and verifies with. Verification keys are KeyObjects looked up by `kid`
 * in this map only — never fetched from `jku`/`x5u`, never taken from an embedded `jwk`, never raw
 * bytes (raw bytes would let an HS256 token HMAC'd with a public key through; see REFERENCE.md).
 */
import type { KeyObject } from 'node:crypto';

/** The signing algorithms revokd issues with (`REVOKD_JWT_ALG`). */
export type JwtAlg = 'EdDSA' | 'ES256' | 'HS256';

export interface VerificationKey {
  readonly kid: string;
  readonly alg: JwtAlg;
  readonly key: KeyObject;
  /** Published in the JWKS (asymmetric keys only). */
  readonly publicJwk: Record<string, unknown> | null;
}

export interface SigningKey extends VerificationKey {
  readonly privateKey: KeyObject;
}

export interface KeyRing {
  /** Absent when the only configured signing key has been revoked (HS256): issuing must refuse. */
  readonly signing: SigningKey | undefined;
  readonly verification: ReadonlyMap<string, VerificationKey>;
}

export const KID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
