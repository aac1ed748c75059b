/**
 * The web UI's cookie session is an ordinary revokd session: the sign-in form calls the same
 * login() as the API (session id, IP and user agent recorded, listed in /api/v1/sessions, revocable
 * by every scope), and the cookie holds that session's refresh token.
 *
 * Each page request looks the refresh row up by hash and accepts it only while it is unconsumed and
 * unexpired, its session is live, and the revocation model (the same replica check the refresh
 * grant makes, on the same stamp) does not cover it. The token is never rotated by a page view, so
 * two tabs, or a request racing a navigation, can never trip refresh-reuse detection; the cookie
 * session therefore lasts as long as the refresh token (REVOKD_REFRESH_TTL_SECONDS).
 */
import { createHmac } from 'node:crypto';
import {
  REFRESH_PREFIX,
  digestsEqual,
  looksLikeOpaqueToken,
  sha256Hex,
} from '../core/tokens/opaque.js';
import type { RefreshTokenRecord, SessionRecord, UserRecord } from '../stores/types.js';
import { FIRST_PARTY_CLIENT_ID } from './clients.js';
import type { AppContext } from './context.js';
import { stampOf } from './refresh-session.js';

export interface WebSession {
  readonly user: UserRecord;
  readonly session: SessionRecord;
  readonly refresh: RefreshTokenRecord;
  /** The anti-CSRF token every form of this session carries. */
  readonly csrfToken: string;
}

const CSRF_LABEL = 'revokd.web.csrf.v1';

/**
 * The anti-CSRF token of a cookie session: an HMAC keyed by the session's refresh token (the
 * cookie value, which only this browser and nobody reading the database has). It is bound to the
 * session — another session's token never matches — and needs no storage.
 */
export function csrfTokenFor(refreshToken: string): string {
  return createHmac('sha256', refreshToken).update(CSRF_LABEL).digest('base64url');
}

/** Constant-time comparison of a submitted anti-CSRF token with the session's. */
export function csrfTokenMatches(session: WebSession, submitted: unknown): boolean {
  return (
    typeof submitted === 'string' &&
    submitted.length <= 128 &&
    digestsEqual(submitted, session.csrfToken)
  );
}

/**
 * The live session behind a cookie value, or undefined (malformed, unknown, consumed, expired,
 * revoked by any scope, or its user disabled). Throws ERR_STORE_UNAVAILABLE when the revocation
 * state is too stale to decide (fail closed, like every other check).
 */
export async function findWebSession(
  ctx: AppContext,
  cookieValue: unknown,
): Promise<WebSession | undefined> {
  if (!looksLikeOpaqueToken(cookieValue, REFRESH_PREFIX)) return undefined;
  const nowMs = ctx.now();
  const refresh = await ctx.stores.records.findRefreshByHash(sha256Hex(cookieValue));
  if (refresh === undefined || refresh.consumedAtMs !== null || refresh.expiresAtMs <= nowMs)
    return undefined;
  const session = await ctx.stores.records.findSession(refresh.sessionId);
  if (
    session === undefined ||
    session.userId === null ||
    session.clientId !== FIRST_PARTY_CLIENT_ID
  )
    return undefined;
  if (session.revokedAtMs !== null || session.expiresAtMs <= nowMs) return undefined;
  if (ctx.replica.check(stampOf(ctx, refresh, session)).revoked) return undefined;
  const user = await ctx.stores.records.findUserById(session.userId);
  if (user === undefined || user.disabledAtMs !== null || user.isDecoy === true) return undefined;
  return { user, session, refresh, csrfToken: csrfTokenFor(cookieValue) };
}
