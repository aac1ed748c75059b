/**
 * The check every bearer route, introspection and the UI share: verify the JWT, then ask the
 * in-process replica whether any revocation covers it. No database round trip on this path.
 */
import { RevokdError } from '../core/errors.js';
import type { VerifiedAccessToken } from '../core/tokens/access-token.js';
import { truncateId } from '../core/audit/audit-event.js';
import type { AppContext } from './context.js';
import { verifyPresentedAccessToken } from './verify-presented-access-token.js';
import { outcomeOf } from './api-tokens/verify-api-token.js';

export async function authenticateAccessToken(
  ctx: AppContext,
  token: unknown,
  ip: string | null,
): Promise<VerifiedAccessToken> {
  try {
    const verified = await check(ctx, token, ip);
    ctx.events.emit('check', { kind: 'access_token', outcome: 'valid' });
    return verified;
  } catch (err) {
    ctx.events.emit('check', { kind: 'access_token', outcome: outcomeOf(err) });
    throw err;
  }
}

async function check(
  ctx: AppContext,
  token: unknown,
  ip: string | null,
): Promise<VerifiedAccessToken> {
  const verified = await verifyPresentedAccessToken(ctx, token);
  const outcome = ctx.replica.check(verified.stamp);
  if (outcome.revoked) {
    // A revoked token presented again is worth recording (replay of a stolen token); the listener
    // writes the entry, at most one per token per window (app/security/replay-audit.ts).
    ctx.events.emit('revoked_token_used', {
      kind: 'access_token',
      subject: verified.claims.sub,
      tokenId: verified.claims.jti,
      ip,
      audit: {
        type: 'token.revoked_token_used',
        actorType: 'anonymous',
        actorId: null,
        targetType: 'token',
        targetId: truncateId(verified.claims.jti),
        ip,
        details: { sub: verified.claims.sub, sid: verified.claims.sid, scope: outcome.scope },
      },
    });
    throw new RevokdError('ERR_TOKEN_REVOKED', 'access token has been revoked');
  }
  return verified;
}
