/** OAuth endpoints (SPEC §5.2): token (RFC 6749), revocation (RFC 7009), introspection (RFC 7662). Form-encoded. */
import type { FastifyInstance } from 'fastify';
import { authenticateClient } from '../../app/clients.js';
import { clientCredentialsGrant } from '../../app/client-credentials.js';
import type { AppContext } from '../../app/context.js';
import { introspect } from '../../app/introspect.js';
import { noticeRelayedCanary } from '../../app/security/deception.js';
import { refreshSession } from '../../app/refresh-session.js';
import { identifyToken, ownerOf, revokeIdentified } from '../../app/revoke-presented-token.js';
import { RevokdError, isRevokdError } from '../../core/errors.js';
import { clientCredentialsOf } from '../client-credentials.js';
import { hasValidApiTokenChecksum } from '../../core/tokens/api-token.js';
import { jsonBody } from '../body.js';

const MAX_TOKEN_PARAM = 16_384;

function tokenParam(body: Record<string, unknown>): string {
  const token = body.token;
  if (typeof token !== 'string' || token.length === 0) throw new RevokdError('ERR_BAD_REQUEST', 'token is required');
  if (token.length > MAX_TOKEN_PARAM) throw new RevokdError('ERR_BAD_REQUEST', 'token is too long');
  return token;
}

export function oauthRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post('/oauth/token', { config: { body: 'form' } }, async (request, reply) => {
    const body = jsonBody(request);
    const client = await authenticateClient(ctx, clientCredentialsOf(request, body));
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    switch (body.grant_type) {
      case 'refresh_token': {
        if (!client.grants.includes('refresh_token')) throw new RevokdError('ERR_UNAUTHORIZED_CLIENT', 'this client may not use refresh_token');
        try {
          return await refreshSession(ctx, { refreshToken: body.refresh_token, ip: request.clientIp, clientId: client.id });
        } catch (err) {
          // RFC 6749 §5.2: a bad refresh token at the token endpoint is 400 invalid_grant.
          if (isRevokdError(err) && (err.code === 'ERR_REFRESH_INVALID' || err.code === 'ERR_REFRESH_REUSED')) {
            throw new RevokdError('ERR_INVALID_GRANT', err.message);
          }
          throw err;
        }
      }
      case 'client_credentials':
        return clientCredentialsGrant(ctx, client, body.scope, request.clientIp);
      case undefined:
        throw new RevokdError('ERR_BAD_REQUEST', 'grant_type is required');
      default:
        throw new RevokdError('ERR_UNSUPPORTED_GRANT_TYPE', 'supported grant types: refresh_token, client_credentials');
    }
  });

  app.post('/oauth/revoke', { config: { body: 'form' } }, async (request, reply) => {
    const body = jsonBody(request);
    const client = await authenticateClient(ctx, clientCredentialsOf(request, body));
    const presented = tokenParam(body);
    // RFC 7009 §2.2.1: API tokens belong to users, not clients; they are revoked through /api/v1/tokens.
    if (hasValidApiTokenChecksum(presented)) {
      await noticeRelayedCanary(ctx, presented, client.id, request.clientIp);
      throw new RevokdError('ERR_UNSUPPORTED_TOKEN_TYPE', 'API tokens are revoked by their owner at /api/v1/tokens');
    }
    const token = await identifyToken(ctx, presented);
    // RFC 7009 §2.2: unknown, invalid, expired or already revoked tokens get 200 — nothing to reveal.
    if (token.kind === 'unknown') return reply.code(200).send();
    if (ownerOf(token).clientId !== client.id) {
      // A confidential client learns that it may not; a public one gets the silent 200 (no guessing).
      if (client.secretHash !== null) throw new RevokdError('ERR_UNAUTHORIZED_CLIENT', 'the token was issued to another client');
      return reply.code(200).send();
    }
    await revokeIdentified(ctx, token, { actor: { type: 'client', id: client.id }, ip: request.clientIp, initiator: 'user' });
    return reply.code(200).send();
  });

  app.post('/oauth/introspect', { config: { body: 'form' } }, async (request, reply) => {
    const body = jsonBody(request);
    const client = await authenticateClient(ctx, clientCredentialsOf(request, body));
    if (client.secretHash === null) throw new RevokdError('ERR_INVALID_CLIENT', 'introspection needs a confidential client');
    const result = await introspect(ctx, tokenParam(body), request.clientIp, client.id);
    return reply.header('cache-control', 'no-store').send(result);
  });
}
