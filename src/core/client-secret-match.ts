/**
 * Which of a client's secrets a presented secret hash matches: its current one, or the one a
 * rotation with a grace period replaced, until that grace ends. The one rule for the secret check
 * at authentication and for the re-check a store makes when it commits what the secret obtained.
 */
import { digestsEqual } from './tokens/opaque.js';

/** `current`: the client's secret; `previous`: the replaced one, good until `endsAtMs`. */
export type SecretMatch =
  { readonly kind: 'current' } | { readonly kind: 'previous'; readonly endsAtMs: number };

/** The fields of a client (stores/types.ts ClientRecord) the match reads: core names no store. */
export interface ClientSecrets {
  readonly secretHash: string | null;
  readonly disabledAtMs: number | null;
  readonly previousSecretHash?: string | null;
  readonly previousSecretExpiresAtMs?: number | null;
}

/**
 * The match, or undefined when the hash is neither (or the client is disabled, or public). Both
 * digests are compared in constant time, whichever matches.
 */
export function matchClientSecret(
  client: ClientSecrets,
  presentedHash: string,
  nowMs: number,
): SecretMatch | undefined {
  if (client.secretHash === null || client.disabledAtMs !== null) return undefined;
  const current = digestsEqual(presentedHash, client.secretHash);
  const previousHash = client.previousSecretHash ?? null;
  const endsAtMs = client.previousSecretExpiresAtMs ?? null;
  const previous = previousHash !== null && digestsEqual(presentedHash, previousHash);
  if (current) return { kind: 'current' };
  if (previous && endsAtMs !== null && nowMs < endsAtMs) return { kind: 'previous', endsAtMs };
  return undefined;
}
