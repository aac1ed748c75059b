/**
 * Revoking API tokens: by the owner (one, or all once an hour), by an admin, or by policy. Every
 * path queues an email to the owner in the same commit and publishes to the change feed.
 */
import { RevokdError } from '../../core/errors.js';
import type { Initiator, ReasonCode } from '../../core/revocation/types.js';
import { apiTokenRevokedMessage } from '../../mail/api-token-revoked-message.js';
import type { Actor, ApiTokenRecord } from '../../stores/types.js';
import { type AppContext, accessCoverMs } from '../context.js';
import { UUID_PATTERN } from '../../core/ids.js';

export const BULK_REVOKE_WINDOW_MS = 3_600_000;

export function validateTokenId(id: string): string {
  if (!UUID_PATTERN.test(id)) throw new RevokdError('ERR_VALIDATION', 'token id must be a UUID');
  return id.toLowerCase();
}

export interface ApiTokenRevokeRequest {
  readonly actor: Actor;
  readonly initiator: Initiator;
  readonly reason: ReasonCode;
  readonly note?: string | undefined;
  readonly ip?: string | undefined;
}

async function apply(
  ctx: AppContext,
  selection: Parameters<AppContext['stores']['records']['revokeApiTokens']>[0]['selection'],
  request: ApiTokenRevokeRequest,
  rateWindow?: { key: string; windowMs: number },
) {
  const revoked = await ctx.stores.records.revokeApiTokens({
    selection,
    context: { ...request, nowMs: ctx.now(), accessCoverMs: accessCoverMs(ctx.config) },
    revokedBy: request.actor.id,
    ...(rateWindow === undefined ? {} : { rateWindow }),
    notify: (token, owner) => apiTokenRevokedMessage(token, owner, request.note),
  });
  apiTokensRevoked(ctx, revoked, request);
  return revoked;
}

/** After any commit that revoked API tokens (this file's, a user's disable, revoke-user-holdings.ts). */
export function apiTokensRevoked(
  ctx: Pick<AppContext, 'introspectionView' | 'events'>,
  revoked: readonly ApiTokenRecord[],
  request: Pick<ApiTokenRevokeRequest, 'reason' | 'initiator'>,
): void {
  // This instance answers for them at once; others when the feed brings their records.
  ctx.introspectionView.forgetApiTokens(revoked);
  // Counted like every other revocation (revokd_revocations_total), once per token revoked.
  if (revoked.length > 0) {
    ctx.events.emit('revoked', {
      scope: 'api_token',
      reason: request.reason,
      initiator: request.initiator,
      count: revoked.length,
    });
  }
}

/**
 * Revokes one token. `ownerId` limits it to that user's token (404 otherwise — the same answer as
 * for a token that does not exist); an already revoked token is 409.
 */
export async function revokeApiToken(
  ctx: AppContext,
  tokenId: string,
  ownerId: string | null,
  request: ApiTokenRevokeRequest,
): Promise<ApiTokenRecord> {
  const id = validateTokenId(tokenId);
  const existing = await ctx.stores.records.findApiTokenById(id);
  if (existing === undefined || (ownerId !== null && existing.userId !== ownerId))
    throw new RevokdError('ERR_NOT_FOUND', 'no such token');
  if (!existing.isActive) throw new RevokdError('ERR_CONFLICT', 'token is already revoked');
  const [revoked] = await apply(
    ctx,
    { kind: 'ids', ids: [id], ...(ownerId === null ? {} : { userId: ownerId }) },
    request,
  );
  // Lost a race with another revocation of the same token.
  if (revoked === undefined) throw new RevokdError('ERR_CONFLICT', 'token is already revoked');
  return revoked;
}

const ownerRevokeAllWindow = (userId: string) => ({
  key: `api_token.revoke_all:${userId}`,
  windowMs: BULK_REVOKE_WINDOW_MS,
});

/** The owner's "revoke all", limited to once per hour (kept in the store: holds across restarts). */
export async function revokeAllApiTokensOfOwner(
  ctx: AppContext,
  userId: string,
  request: ApiTokenRevokeRequest,
): Promise<ApiTokenRecord[]> {
  return apply(ctx, { kind: 'all_of_user', userId }, request, ownerRevokeAllWindow(userId));
}

/** When the owner's "revoke all" may be used again, or undefined when it may be used now. */
export async function ownerRevokeAllAvailableAt(
  ctx: AppContext,
  userId: string,
): Promise<number | undefined> {
  const window = ownerRevokeAllWindow(userId);
  const last = await ctx.stores.rateWindows.findRateWindowLastUse(window.key);
  const at = last === undefined ? undefined : last + window.windowMs;
  return at !== undefined && at > ctx.now() ? at : undefined;
}
