/**
 * Everything a user holds, revoked in one commit: the user-scope revocation (every session and
 * refresh token, every access token issued before it) and every live API token, each owner
 * emailed. One commit (the store's revokeUserHoldings), so a crash cannot fall between the two
 * halves and leave long-lived API tokens working after the sessions died. Used by an admin's
 * "revoke everything", a user's "this wasn't me" and logout-all with API tokens; a disable does
 * the same inside its own commit (users.ts disableUser).
 */
import type { UserHoldingsReport, UserHoldingsRevocation } from '../stores/types.js';
import { apiTokenRevokedMessage } from '../mail/api-token-revoked-message.js';
import { type ApiTokenRevokeRequest, apiTokensRevoked } from './api-tokens/revoke-api-tokens.js';
import type { AppContext } from './context.js';
import { revocationCommitted, revocationContext } from './revoke.js';

export async function revokeUserHoldings(
  ctx: AppContext,
  userId: string,
  request: ApiTokenRevokeRequest,
): Promise<UserHoldingsReport> {
  const report = await ctx.stores.records.revokeUserHoldings(
    userId,
    holdingsRevocation(ctx, request, ctx.now()),
  );
  holdingsRevoked(ctx, request, report);
  return report;
}

/** What the store's commit needs to revoke a user's holdings (here, and inside a disable's). */
export function holdingsRevocation(
  ctx: AppContext,
  request: ApiTokenRevokeRequest,
  nowMs: number,
): UserHoldingsRevocation {
  return {
    context: revocationContext(ctx, request, nowMs),
    revokedBy: request.actor.id,
    notify: (token, owner) => apiTokenRevokedMessage(token, owner, request.note),
  };
}

/** After the commit: this replica and the introspection view learn of it; it is counted. */
export function holdingsRevoked(
  ctx: AppContext,
  request: ApiTokenRevokeRequest,
  report: UserHoldingsReport,
): void {
  revocationCommitted(ctx, 'user', request, report.revocation);
  apiTokensRevoked(ctx, report.apiTokens, request);
}
