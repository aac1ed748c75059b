/**
 * The verifier's decision on one token, given its replica: the service's own signature and claim
 * checks (verifyAccessToken), then the replica's revocation check. Used by createVerifier and by
 * the stream conformance runner, so the vectors pin exactly what a resource server is answered.
 */
import { RevokdError } from '#core/errors.js';
import { type AccessClaims, type VerifyOptions, verifyAccessToken } from '#core/tokens/access-token.js';
import type { VerifiedTokenCache } from '#core/tokens/verified-token-cache.js';
import type { RevocationReplica } from '#replica/revocation-replica.js';

export interface Decision {
  readonly claims: AccessClaims;
  /** Accepted while stale, in fail mode open (to be counted). */
  readonly failOpen: boolean;
}

/**
 * The claims, or throws RevokdError: ERR_INVALID_TOKEN / ERR_TOKEN_EXPIRED / ERR_TOKEN_REVOKED
 * (401), ERR_STORE_UNAVAILABLE (503) when the replica cannot decide.
 */
export async function decide(token: unknown, replica: RevocationReplica, options: VerifyOptions, cache?: VerifiedTokenCache): Promise<Decision> {
  const resolveKey: VerifyOptions['resolveKey'] = (kid) => {
    // A revoked key's tokens are revoked (not merely unknown), and never worth a JWKS refetch.
    if (replica.state.isKeyRevoked(kid)) throw new RevokdError('ERR_TOKEN_REVOKED', 'access token revoked (key)');
    return options.resolveKey(kid);
  };
  const verified = await verifyAccessToken(token, { ...options, resolveKey }, cache);
  const stale = replica.isStale();
  // Throws ERR_STORE_UNAVAILABLE when stale and closed (or open past the token lifetime).
  const outcome = replica.check(verified.stamp);
  if (outcome.revoked) throw new RevokdError('ERR_TOKEN_REVOKED', `access token revoked (${outcome.scope})`);
  return { claims: verified.claims, failOpen: stale };
}
