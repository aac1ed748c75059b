/**
 * Authenticating an API token, for HTTP and for anything else (a TCP server, a job runner): the
 * checksum is checked first (no database work for a mistyped or invented token), then the hash is
 * looked up and compared in constant time, then the token's standing: active, not expired, owner
 * not disabled.
 */
import { timingSafeEqual } from 'node:crypto';
import { RevokdError } from '../../core/errors.js';
import { hasValidApiTokenChecksum } from '../../core/tokens/api-token.js';
import { sha256Hex } from '../../core/tokens/opaque.js';
import type { ApiTokenRecord, UserRecord } from '../../stores/types.js';
import type { AppContext, UsesStores } from '../context.js';
import { type CheckOutcome, DIRECT, type Presentation } from '../../core/events.js';

export interface VerifiedApiToken {
  readonly token: ApiTokenRecord;
  readonly user: UserRecord;
}

/** What API-token verification needs (no signing keys): the server's context, or the library's. */
export type ApiTokenContext = Pick<
  AppContext,
  'replica' | 'now' | 'apiTokenUsage' | 'log' | 'events'
> &
  UsesStores<'records'>;

const rejected = (message: string): RevokdError => new RevokdError('ERR_INVALID_TOKEN', message);

/** `via`: relayed when a client passes on a token it was handed (introspection), so a canary does not block the client. */
export async function verifyApiToken(
  ctx: ApiTokenContext,
  presented: unknown,
  ip: string | null,
  via: Presentation = DIRECT,
): Promise<VerifiedApiToken> {
  return countedCheck(ctx, () => verifyOrThrow(ctx, presented, ip, via));
}

/** Runs an API-token verification and emits its `check` event: valid, or the error's outcome. */
export async function countedCheck<T>(
  ctx: Pick<ApiTokenContext, 'events'>,
  verify: () => Promise<T>,
): Promise<T> {
  try {
    const verified = await verify();
    ctx.events.emit('check', { kind: 'api_token', outcome: 'valid' });
    return verified;
  } catch (err) {
    ctx.events.emit('check', { kind: 'api_token', outcome: outcomeOf(err) });
    throw err;
  }
}

/** The check outcome an error stands for (metrics and detectors share this vocabulary). */
export function outcomeOf(err: unknown): CheckOutcome {
  if (!(err instanceof RevokdError)) return 'invalid';
  if (err.code === 'ERR_TOKEN_REVOKED') return 'revoked';
  if (err.code === 'ERR_TOKEN_EXPIRED') return 'expired';
  if (err.code === 'ERR_STORE_UNAVAILABLE') return 'unavailable';
  return 'invalid';
}

async function verifyOrThrow(
  ctx: ApiTokenContext,
  presented: unknown,
  ip: string | null,
  via: Presentation,
): Promise<VerifiedApiToken> {
  const hash = apiTokenHashOf(presented);
  const token = await ctx.stores.records.findApiTokenByHash(hash);
  assertFoundAndNoCanary(ctx, token, hash, ip, via);
  let user: UserRecord;
  try {
    user = await checkApiTokenStanding(ctx, token);
  } catch (err) {
    recordIfRevokedUse(ctx, token, ip, err);
    throw err;
  }
  ctx.apiTokenUsage.record(token.id, ctx.now(), ip ?? 'unknown');
  return { token, user };
}

/** The hash an API token is looked up by; a wrong checksum is rejected before any lookup. */
export function apiTokenHashOf(presented: unknown): string {
  if (!hasValidApiTokenChecksum(presented)) throw rejected('malformed API token');
  return sha256Hex(presented);
}

/**
 * The record looked up by `hash` is that token (compared in constant time) and no canary. A canary
 * never authenticates: whoever holds it took it from where only an attacker would look; its hit is
 * told (deception_hit) every time it is presented.
 */
export function assertFoundAndNoCanary(
  ctx: Pick<ApiTokenContext, 'events'>,
  token: ApiTokenRecord | undefined,
  hash: string,
  ip: string | null,
  via: Presentation,
): asserts token is ApiTokenRecord {
  if (token === undefined || !timingSafeEqual(Buffer.from(token.tokenHash), Buffer.from(hash)))
    throw rejected('unknown API token');
  if (token.isCanary) {
    ctx.events.emit('deception_hit', {
      kind: 'canary',
      ip: ip ?? 'unknown',
      detail: `canary token ${token.tokenPrefix}`,
      via,
    });
    throw rejected('unknown API token');
  }
}

/** A revoked token came back (the standing check threw `err` for it): audited. */
export function recordIfRevokedUse(
  ctx: Pick<ApiTokenContext, 'events'>,
  token: ApiTokenRecord,
  ip: string | null,
  err: unknown,
): void {
  if (err instanceof RevokdError && err.code === 'ERR_TOKEN_REVOKED' && !token.isActive)
    recordRevokedUse(ctx, token, ip);
}

/**
 * Is this (already identified) token still good? Throws ERR_TOKEN_REVOKED / ERR_TOKEN_EXPIRED;
 * returns the owner. No side effects: long-lived connections re-check with this.
 */
export async function checkApiTokenStanding(
  ctx: Pick<ApiTokenContext, 'stores' | 'replica' | 'now'>,
  token: ApiTokenRecord,
): Promise<UserRecord> {
  assertApiTokenLive(ctx, token);
  const user = await ctx.stores.records.findUserById(token.userId);
  assertOwnerEnabled(user);
  return user;
}

/** Active, not revoked by a record this replica holds, not expired (no I/O). */
export function assertApiTokenLive(
  ctx: Pick<ApiTokenContext, 'replica' | 'now'>,
  token: ApiTokenRecord,
): void {
  if (!token.isActive || ctx.replica.state.isApiTokenRevoked(token.id))
    throw new RevokdError('ERR_TOKEN_REVOKED', 'API token has been revoked');
  if (token.expiresAtMs !== null && token.expiresAtMs <= ctx.now())
    throw new RevokdError('ERR_TOKEN_EXPIRED', 'API token has expired');
}

/** A token of a missing or disabled owner counts as revoked. */
export function assertOwnerEnabled<U extends Pick<UserRecord, 'disabledAtMs'>>(
  owner: U | undefined,
): asserts owner is U {
  if (owner === undefined || owner.disabledAtMs !== null)
    throw new RevokdError('ERR_TOKEN_REVOKED', 'the owner of this API token is disabled');
}

/** A revoked token came back: worth an audit entry (and, with the monitoring work, an alert). */
function recordRevokedUse(
  ctx: Pick<ApiTokenContext, 'events'>,
  token: ApiTokenRecord,
  ip: string | null,
): void {
  // The listener writes the entry, at most one per token per window (app/security/replay-audit.ts).
  ctx.events.emit('revoked_token_used', {
    kind: 'api_token',
    subject: token.userId,
    tokenId: token.id,
    ip,
    audit: {
      type: 'api_token.used_after_revoke',
      actorType: 'anonymous',
      actorId: null,
      targetType: 'api_token',
      targetId: token.id,
      ip,
      details: {
        owner: token.userId,
        prefix: token.tokenPrefix,
        revoke_reason: token.revokeReason,
      },
    },
  });
}
