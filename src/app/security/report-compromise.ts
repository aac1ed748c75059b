/**
 * "This wasn't me": a signed-in user reports activity that was not theirs. Everything the user holds
 * is revoked — every session (this one included) and access token, every API token (owners are
 * emailed as for any revocation) — and a HIGH `user_reported_compromise` alert tells the security
 * team, with what was reached and which session reported it.
 */
import type { UserRecord } from '../../stores/types.js';
import type { AppContext } from '../context.js';
import { revokeUserHoldings } from '../revoke-user-holdings.js';
import { raiseAlert } from './alerts.js';

export interface CompromiseReport {
  readonly sessions: number;
  readonly apiTokens: number;
}

export async function reportCompromise(
  ctx: AppContext,
  user: UserRecord,
  reportedFromSessionId: string,
  ip: string,
): Promise<CompromiseReport> {
  const request = {
    initiator: 'user' as const,
    reason: 'compromised' as const,
    actor: { type: 'user' as const, id: user.id },
    ip,
  };
  const { revocation: revoked, apiTokens } = await revokeUserHoldings(ctx, user.id, request);
  await raiseAlert(ctx, {
    severity: 'HIGH',
    type: 'user_reported_compromise',
    subject: user.id,
    ip,
    details: {
      email: user.email,
      sessions_revoked: revoked.sessions,
      api_tokens_revoked: apiTokens.length,
      reported_from_session: reportedFromSessionId,
    },
  });
  return { sessions: revoked.sessions, apiTokens: apiTokens.length };
}
