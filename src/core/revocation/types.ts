/**
 * The shapes of the revocation model (SPEC §3). Every path — bearer routes, introspection, the
 * refresh grant, the verifier library, the UI — describes a token as a {@link TokenStamp} and asks
 * the same {@link RevocationState} whether any revocation covers it.
 */

export const REVOCATION_SCOPES = [
  'token',
  'session',
  'user',
  'client',
  'key',
  'window',
  'global',
  'api_token',
] as const;
export type RevocationScope = (typeof REVOCATION_SCOPES)[number];

/**
 * The scopes that bump a counter (the store's `generations` table, the system of record) instead of
 * keeping entries: a snapshot's head carries their counters, so a replica's start never reads
 * their records. Every other scope keeps entries ({@link EntryScope}).
 */
export const GENERATION_SCOPES = [
  'global',
  'user',
  'client',
] as const satisfies readonly RevocationScope[];
export type GenerationScope = (typeof GENERATION_SCOPES)[number];
export type EntryScope = Exclude<RevocationScope, GenerationScope>;

export const INITIATORS = ['user', 'admin', 'policy', 'system'] as const;
export type Initiator = (typeof INITIATORS)[number];

export const REASON_CODES = [
  'logout',
  'logout_all',
  'password_change',
  'password_reset',
  'admin',
  'compromised',
  'refresh_reuse',
  'ip_block',
  'key_revoked',
  'user_disabled',
  'client_disabled',
  'user_request',
  'policy',
  'unused',
  'expired_policy',
  // The owner's "revoke all my API tokens" (not a logout: sessions are untouched).
  'revoke_all_api_tokens',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/** What the revocation model needs to know about a token, whatever its kind. */
export interface TokenStamp {
  readonly iss: string;
  readonly jti: string;
  readonly sid: string;
  readonly sub: string;
  readonly clientId: string;
  /** Signing key id (access tokens only). */
  readonly kid?: string | undefined;
  /** Issued-at, seconds since the epoch. */
  readonly iat: number;
  /** Generation counters read from the store when the token was issued. */
  readonly gen: number;
  readonly ugen: number;
  readonly cgen: number;
}

/**
 * One entry of the change feed: an append-only log, ordered by `seq`, that every in-process view
 * (server instances, resource-server verifiers) applies to stay current.
 */
export interface RevocationRecord {
  readonly seq: number;
  readonly scope: RevocationScope;
  /**
   * token: the jti (with `issuer`); session: the sid; user: the user id; client: the client id;
   * key: the kid; window and global: '*'; api_token: the API token id.
   */
  readonly target: string;
  readonly issuer: string | null;
  /** For user, client and global: the new generation; tokens stamped below it are revoked. */
  readonly generation: number | null;
  /** For window: issued-at bounds in seconds, `from <= iat < to`. */
  readonly windowFrom: number | null;
  readonly windowTo: number | null;
  /** When the entry can no longer cover a live token (ms since epoch); null for counters and keys. */
  readonly expiresAtMs: number | null;
  readonly initiator: Initiator;
  readonly reason: ReasonCode;
  readonly note: string | null;
  readonly createdAtMs: number;
}

export type CheckOutcome =
  | { readonly revoked: false }
  | { readonly revoked: true; readonly scope: Exclude<RevocationScope, 'api_token'> };
