/**
 * An admin revokes everything a user holds — every session (with its refresh tokens), every access
 * token issued before now (user cutoff), every API token (each owner-emailed) — with a mandatory
 * reason, and gets a report of what it reached. The dry run computes the same report from the same
 * tests the revocation uses, and changes nothing: a preview of the blast radius.
 */
import { RevokdError } from '../../core/errors.js';
import type { Actor } from '../../stores/types.js';
import type { AppContext } from '../context.js';
import { revokeUserHoldings } from '../revoke-user-holdings.js';

export interface RevokeUserReport {
  readonly userId: string;
  readonly reason: string;
  readonly dryRun: boolean;
  readonly sessions: number;
  readonly refreshTokens: number;
  /** Access tokens issued before this instant are rejected (would be, for a dry run). */
  readonly accessTokensCutoffMs: number;
  readonly apiTokens: number;
}

export interface RevokeUserRequest {
  readonly reason: string;
  readonly actor: Actor;
  readonly ip?: string | undefined;
  readonly dryRun: boolean;
}

export async function revokeUserEverything(
  ctx: AppContext,
  userId: string,
  request: RevokeUserRequest,
): Promise<RevokeUserReport> {
  const user = await ctx.stores.records.findUserById(userId);
  if (user === undefined) throw new RevokdError('ERR_NOT_FOUND', 'no such user');
  const base = { userId: user.id, reason: request.reason, dryRun: request.dryRun };
  if (request.dryRun) {
    const nowMs = ctx.now();
    // The same selections the store's revocations make: live sessions (not revoked, not past their
    // end), their unconsumed unexpired refresh tokens, and every API token still active.
    const sessions = await ctx.stores.records.listLiveSessions(user.id, nowMs);
    const sessionIds = sessions.map((s) => s.id);
    const refreshTokens = await ctx.stores.records.countLiveRefreshTokens(sessionIds, nowMs);
    const tokens = await ctx.stores.records.listApiTokens(user.id);
    const apiTokens = tokens.filter((t) => t.isActive).length;
    return {
      ...base,
      sessions: sessions.length,
      refreshTokens,
      accessTokensCutoffMs: nowMs,
      apiTokens,
    };
  }
  const revokeRequest = {
    initiator: 'admin' as const,
    reason: 'admin' as const,
    note: request.reason,
    actor: request.actor,
    ip: request.ip,
  };
  const { revocation, apiTokens } = await revokeUserHoldings(ctx, user.id, revokeRequest);
  return {
    ...base,
    sessions: revocation.sessions,
    refreshTokens: revocation.refreshTokens,
    accessTokensCutoffMs: ctx.now(),
    apiTokens: apiTokens.length,
  };
}

export function presentRevokeUserReport(r: RevokeUserReport) {
  return {
    user_id: r.userId,
    reason: r.reason,
    dry_run: r.dryRun,
    revoked: {
      sessions: r.sessions,
      refresh_tokens: r.refreshTokens,
      access_tokens_cutoff: new Date(r.accessTokensCutoffMs).toISOString(),
      api_tokens: r.apiTokens,
    },
  };
}
