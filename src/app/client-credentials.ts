/**
 * The client_credentials grant (RFC 6749 §4.4): the client is the subject. Each grant opens a
 * session (no refresh token) so the token carries a `sid` like every other and can be revoked by
 * session, client, key or globally.
 */
import { RevokdError } from '../core/errors.js';
import { newId } from '../core/tokens/opaque.js';
import type { ClientRecord } from '../stores/types.js';
import { parseScopes } from './clients.js';
import type { AppContext } from './context.js';
import { issueAccessToken } from './issue-access-token.js';
import type { TokenResponse } from './token-response.js';

export async function clientCredentialsGrant(ctx: AppContext, client: ClientRecord, requestedScope: unknown, ip: string): Promise<TokenResponse> {
  if (client.secretHash === null || !client.grants.includes('client_credentials')) {
    throw new RevokdError('ERR_UNAUTHORIZED_CLIENT', 'this client may not use client_credentials');
  }
  const requested = parseScopes(requestedScope);
  const scopes = requested.length === 0 ? [...client.scopes] : requested;
  const notAllowed = scopes.filter((s) => !client.scopes.includes(s));
  if (notAllowed.length > 0) throw new RevokdError('ERR_INVALID_SCOPE', `scope not allowed for this client: ${notAllowed.join(' ')}`);
  const scope = scopes.join(' ');
  const nowMs = ctx.now();
  const sessionId = newId();
  const generations = await ctx.store.createSession({
    session: {
      id: sessionId, userId: null, clientId: client.id, createdAtMs: nowMs,
      expiresAtMs: nowMs + ctx.config.accessTtlSeconds * 1000, ip, userAgent: '', scope,
    },
    refresh: null,
    audit: { type: 'access_token.issued', actorType: 'client', actorId: client.id, targetType: 'session', targetId: sessionId, ip, details: { scope } },
  });
  const access = await issueAccessToken(ctx, { sub: client.id, sid: sessionId, clientId: client.id, scope, generations });
  ctx.events.emit('token_issued', { subject: client.id, kind: 'client_credentials', ip });
  return { access_token: access.token, token_type: 'Bearer', expires_in: ctx.config.accessTtlSeconds, session_id: sessionId, ...(scope === '' ? {} : { scope }) };
}
