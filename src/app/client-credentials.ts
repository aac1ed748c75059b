/**
 * The client_credentials grant (RFC 6749 §4.4): the client is the subject. Each grant opens a
 * session (no refresh token) so the token carries a `sid` like every other and can be revoked by
 * session, client, key or globally.
 *
 * The session is written only if the secret that authenticated the client still does at commit
 * (NewSession.clientSecret): a rotation or a disable committed after the secret check must not
 * leave a token it would not cover. A token obtained with a replaced secret during a rotation's
 * grace expires when the grace does.
 */
import { RevokdError } from '../core/errors.js';
import { newId } from '../core/tokens/opaque.js';
import { type AuthenticatedClient, parseScopes } from './clients.js';
import type { AppContext } from './context.js';
import { issueAccessToken } from './issue-access-token.js';
import type { TokenResponse } from './token-response.js';

export async function clientCredentialsGrant(
  ctx: AppContext,
  client: AuthenticatedClient,
  requestedScope: unknown,
  ip: string,
): Promise<TokenResponse> {
  if (
    client.secretHash === null ||
    client.presentedSecretHash === null ||
    !client.grants.includes('client_credentials')
  ) {
    throw new RevokdError('ERR_UNAUTHORIZED_CLIENT', 'this client may not use client_credentials');
  }
  const requested = parseScopes(requestedScope);
  const scopes = requested.length === 0 ? [...client.scopes] : requested;
  const notAllowed = scopes.filter((s) => !client.scopes.includes(s));
  if (notAllowed.length > 0)
    throw new RevokdError(
      'ERR_INVALID_SCOPE',
      `scope not allowed for this client: ${notAllowed.join(' ')}`,
    );
  const scope = scopes.join(' ');
  const nowMs = ctx.now();
  const sessionId = newId();
  const endsAtMs = Math.min(
    nowMs + ctx.config.accessTtlSeconds * 1000,
    client.secretEndsAtMs ?? Number.POSITIVE_INFINITY,
  );
  // The grace of the secret used ended since it was checked.
  if (endsAtMs <= nowMs)
    throw new RevokdError('ERR_INVALID_CLIENT', 'client authentication failed');
  const generations = await ctx.stores.records.createSession({
    session: {
      id: sessionId,
      userId: null,
      clientId: client.id,
      createdAtMs: nowMs,
      expiresAtMs: endsAtMs,
      ip,
      userAgent: '',
      scope,
    },
    refresh: null,
    clientSecret: { hash: client.presentedSecretHash, nowMs },
    audit: {
      type: 'access_token.issued',
      actorType: 'client',
      actorId: client.id,
      targetType: 'session',
      targetId: sessionId,
      ip,
      details: { scope },
    },
  });
  const access = await issueAccessToken(
    ctx,
    { sub: client.id, sid: sessionId, clientId: client.id, scope, generations },
    client.secretEndsAtMs === null ? undefined : Math.floor(client.secretEndsAtMs / 1000),
  );
  ctx.events.emit('token_issued', { subject: client.id, kind: 'client_credentials', ip });
  return {
    access_token: access.token,
    token_type: 'Bearer',
    expires_in: access.exp - access.iat,
    session_id: sessionId,
    ...(scope === '' ? {} : { scope }),
  };
}
