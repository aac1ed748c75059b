/**
 * The shapes of a verified access token and of the options that verify one: their own module so
 * that the verifying code (access-token.ts), the claim check and the cache of verified tokens share
 * them without importing each other.
 */
import type { VerificationKey } from './key-ring.js';
import type { TokenStamp } from '../revocation/types.js';

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
  readonly resolveKey: (
    kid: string,
  ) => VerificationKey | undefined | Promise<VerificationKey | undefined>;
}
