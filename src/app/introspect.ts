/**
 * RFC 7662 introspection. Anything not active — unknown, malformed, expired, revoked — is exactly
 * `{"active":false}` with no reason (§2.2), and so is a token of a disabled user. A check that
 * cannot be decided is a 503, not inactive.
 */
import { isRevokdError } from '../core/errors.js';
import { REFRESH_PREFIX, looksLikeOpaqueToken, sha256Hex } from '../core/tokens/opaque.js';
import { API_TOKEN_PREFIX } from '../core/tokens/api-token.js';
import { verifyApiTokenFromView } from './api-tokens/verify-api-token-from-view.js';
import type { AppContext } from './context.js';
import { authenticateAccessToken } from './authenticate-access-token.js';
import { stampOf } from './refresh-session.js';

export type Introspection = { active: false } | ({ active: true } & Record<string, unknown>);

const INACTIVE: Introspection = Object.freeze({ active: false });

/** `clientId`: the authenticated client asking. It relays what it was handed, so a canary alerts on it but never blocks its address. */
export async function introspect(
  ctx: AppContext,
  token: unknown,
  ip: string | null,
  clientId: string,
): Promise<Introspection> {
  if (typeof token !== 'string' || token.length === 0) return INACTIVE;
  // §2.1: token_type_hint is only a hint; the token's own shape decides where to look.
  if (token.startsWith(REFRESH_PREFIX)) return introspectRefresh(ctx, token);
  if (token.startsWith(API_TOKEN_PREFIX)) return introspectApiToken(ctx, token, ip, clientId);
  try {
    const { claims } = await authenticateAccessToken(ctx, token, ip);
    if (await isDisabledUser(ctx, claims.sub)) return INACTIVE;
    return {
      active: true,
      token_type: 'access_token',
      iss: claims.iss,
      sub: claims.sub,
      aud: claims.aud,
      client_id: claims.client_id,
      scope: claims.scope,
      exp: claims.exp,
      iat: claims.iat,
      nbf: claims.nbf,
      jti: claims.jti,
      sid: claims.sid,
    };
  } catch (err) {
    if (isRevokdError(err) && err.code === 'ERR_STORE_UNAVAILABLE') throw err;
    if (isRevokdError(err)) return INACTIVE;
    throw err;
  }
}

async function introspectRefresh(ctx: AppContext, token: string): Promise<Introspection> {
  if (!looksLikeOpaqueToken(token, REFRESH_PREFIX)) return INACTIVE;
  const row = await ctx.stores.records.findRefreshByHash(sha256Hex(token));
  if (row === undefined) return INACTIVE;
  const nowMs = ctx.now();
  const session = await ctx.stores.records.findSession(row.sessionId);
  if (
    session === undefined ||
    row.consumedAtMs !== null ||
    row.expiresAtMs <= nowMs ||
    session.revokedAtMs !== null ||
    session.expiresAtMs <= nowMs
  ) {
    return INACTIVE;
  }
  if (ctx.replica.check(stampOf(ctx, row, session)).revoked) return INACTIVE;
  if (session.userId !== null && (await isDisabledUser(ctx, session.userId))) return INACTIVE;
  return {
    active: true,
    token_type: 'refresh_token',
    iss: ctx.config.issuer,
    sub: session.userId ?? session.clientId,
    client_id: session.clientId,
    scope: session.scope,
    exp: Math.floor(row.expiresAtMs / 1000),
    iat: Math.floor(row.createdAtMs / 1000),
    sid: session.id,
  };
}

/** The owner is named by id only: an email is personal data the asking client has no need of. */
async function introspectApiToken(
  ctx: AppContext,
  token: string,
  ip: string | null,
  clientId: string,
): Promise<Introspection> {
  try {
    const t = await verifyApiTokenFromView(ctx, token, ip, {
      kind: 'relayed_by_client',
      clientId,
    });
    return {
      active: true,
      token_type: 'api_token',
      iss: ctx.config.issuer,
      sub: t.userId,
      scope: t.scopes.join(' '),
      iat: Math.floor(t.createdAtMs / 1000),
      ...(t.expiresAtMs === null ? {} : { exp: Math.floor(t.expiresAtMs / 1000) }),
      token_id: t.id,
    };
  } catch (err) {
    await ctx.security.monitor.settled(); // a canary's alert lands before we answer
    if (isRevokdError(err) && err.code !== 'ERR_STORE_UNAVAILABLE') return INACTIVE;
    throw err;
  }
}

/**
 * Defence in depth: a disabled user's tokens are inactive even before the disable's revocation has
 * reached this instance's replica (the disable and its revocation are one commit,
 * disableUserAndRevoke, but the feed brings it a moment later). A client's
 * subject is not a user id, so it is never found here. Best effort: with the store unreachable the
 * replica's verdict stands (it decides access tokens without the store, and the revocation that
 * follows every disable reaches it through the feed), so an outage does not turn this into a 503.
 */
async function isDisabledUser(ctx: AppContext, sub: string): Promise<boolean> {
  try {
    const user = await ctx.stores.records.findUserById(sub);
    return user !== undefined && user.disabledAtMs !== null;
  } catch (err) {
    if (isRevokdError(err) && err.code === 'ERR_STORE_UNAVAILABLE') return false;
    throw err;
  }
}
