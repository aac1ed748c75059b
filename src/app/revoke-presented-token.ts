/**
 * Revoking a token someone presents (RFC 7009 /oauth/revoke, and POST /api/v1/auth/revoke with a
 * `token`). Revoking a refresh token revokes its session, access tokens included (the cascade
 * Hydra and Okta apply); revoking an access token revokes that token only (by iss+jti, never by
 * its string: signatures are malleable).
 */
import { RevokdError, isRevokdError } from '../core/errors.js';
import type { VerifiedAccessToken } from '../core/tokens/access-token.js';
import { REFRESH_PREFIX, looksLikeOpaqueToken, sha256Hex } from '../core/tokens/opaque.js';
import type { Actor } from '../stores/types.js';
import type { AppContext } from './context.js';
import { verifyPresentedAccessToken } from './verify-presented-access-token.js';
import { accessTokenTarget, revoke } from './revoke.js';

export type PresentedToken =
  | {
      readonly kind: 'refresh';
      readonly sessionId: string;
      readonly ownerUserId: string | null;
      readonly clientId: string;
      readonly id: string;
    }
  | { readonly kind: 'access'; readonly verified: VerifiedAccessToken }
  | { readonly kind: 'unknown' };

/** Finds what a token string is, without revoking anything. Signature-invalid or expired ⇒ unknown. */
export async function identifyToken(ctx: AppContext, token: unknown): Promise<PresentedToken> {
  if (typeof token !== 'string' || token.length === 0) return { kind: 'unknown' };
  if (token.startsWith(REFRESH_PREFIX)) {
    if (!looksLikeOpaqueToken(token, REFRESH_PREFIX)) return { kind: 'unknown' };
    const row = await ctx.stores.records.findRefreshByHash(sha256Hex(token));
    if (row === undefined) return { kind: 'unknown' };
    const session = await ctx.stores.records.findSession(row.sessionId);
    if (session === undefined) return { kind: 'unknown' };
    return {
      kind: 'refresh',
      sessionId: session.id,
      ownerUserId: session.userId,
      clientId: session.clientId,
      id: row.id,
    };
  }
  try {
    const verified = await verifyPresentedAccessToken(ctx, token);
    return { kind: 'access', verified };
  } catch (err) {
    if (isRevokdError(err)) return { kind: 'unknown' };
    throw err;
  }
}

/** Revokes an identified token. Returns the id that was revoked (jti or refresh id). */
export async function revokeIdentified(
  ctx: AppContext,
  token: Exclude<PresentedToken, { kind: 'unknown' }>,
  request: { actor: Actor; ip: string; initiator: 'user' | 'admin' },
): Promise<string> {
  const common = {
    initiator: request.initiator,
    reason: 'user_request' as const,
    actor: request.actor,
    ip: request.ip,
  };
  if (token.kind === 'refresh') {
    await revoke(ctx, { scope: 'session', sessionId: token.sessionId }, common);
    return token.id;
  }
  const { claims } = token.verified;
  await revoke(ctx, accessTokenTarget(ctx, claims), common);
  return claims.jti;
}

export function ownerOf(token: Exclude<PresentedToken, { kind: 'unknown' }>): {
  sub: string | null;
  clientId: string;
} {
  if (token.kind === 'refresh') return { sub: token.ownerUserId, clientId: token.clientId };
  return { sub: token.verified.claims.sub, clientId: token.verified.claims.client_id };
}

export function notYours(): RevokdError {
  return new RevokdError('ERR_NOT_FOUND', 'no such token');
}
