/**
 * The verifier's decision on one token, given its replica: the service's own signature and claim
 * checks (checkAccessToken), then the replica's revocation check. Used by createVerifier and by
 * the stream conformance runner, so the vectors pin exactly what a resource server is answered.
 */
import { RevokdError } from '#core/errors.js';
import {
  type AccessClaims,
  type VerifiedAccessToken,
  type VerifyOptions,
  checkAccessToken,
} from '#core/tokens/access-token.js';
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
export async function decide(
  token: unknown,
  replica: RevocationReplica,
  options: VerifyOptions,
  cache?: VerifiedTokenCache,
): Promise<Decision> {
  const checked = checkAccessToken(
    token,
    { ...options, resolveKey: revokedKeysRefused(replica, options.resolveKey) },
    cache,
  );
  const verified = checked instanceof Promise ? await checked : checked;
  const stale = replica.isStale();
  return { claims: revocationChecked(verified, replica), failOpen: stale };
}

/**
 * decide() for the hot path: the claims themselves (the cached object on a repeat token), a
 * promise only when a key had to be fetched. `options.resolveKey` must come from
 * {@link revokedKeysRefused} (built once, not per call: a repeat token then allocates nothing).
 */
export function decideClaims(
  token: unknown,
  replica: RevocationReplica,
  options: VerifyOptions,
  cache?: VerifiedTokenCache,
): AccessClaims | Promise<AccessClaims> {
  const checked = checkAccessToken(token, options, cache);
  if (checked instanceof Promise)
    return checked.then((verified) => revocationChecked(verified, replica));
  return revocationChecked(checked, replica);
}

/** `resolveKey` refusing the keys the replica knows revoked. */
export function revokedKeysRefused(
  replica: RevocationReplica,
  resolveKey: VerifyOptions['resolveKey'],
): VerifyOptions['resolveKey'] {
  return (kid) => {
    // A revoked key's tokens are revoked (not merely unknown), and never worth a JWKS refetch.
    if (replica.state.isKeyRevoked(kid))
      throw new RevokdError('ERR_TOKEN_REVOKED', 'access token revoked (key)');
    return resolveKey(kid);
  };
}

/** Throws ERR_STORE_UNAVAILABLE when stale and closed (or open past the token lifetime). */
function revocationChecked(
  verified: VerifiedAccessToken,
  replica: RevocationReplica,
): AccessClaims {
  const outcome = replica.check(verified.stamp);
  if (outcome.revoked)
    throw new RevokdError('ERR_TOKEN_REVOKED', `access token revoked (${outcome.scope})`);
  return verified.claims;
}
