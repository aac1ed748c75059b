/** API tokens (SPEC §5.3): create (secret shown once), list, get, revoke, revoke all (once an hour). */
import type { FastifyInstance } from 'fastify';
import { createApiToken, presentApiToken } from '../../app/api-tokens/create-api-token.js';
import { revokeAllApiTokensOfOwner, revokeApiToken, validateTokenId } from '../../app/api-tokens/revoke-api-tokens.js';
import type { AppContext } from '../../app/context.js';
import { RevokdError } from '../../core/errors.js';
import { bearerGuard, bearerSubject } from '../bearer-guard.js';
import { jsonBody } from '../body.js';

export function apiTokenRoutes(app: FastifyInstance, ctx: AppContext): void {
  const bearer = bearerGuard(ctx, { userOnly: true });
  const notFound = (): RevokdError => new RevokdError('ERR_NOT_FOUND', 'no such token');

  app.post('/api/v1/tokens', { preHandler: bearer, config: { body: 'json' } }, async (request, reply) => {
    const body = jsonBody(request);
    const { record, token } = await createApiToken(ctx, {
      userId: bearerSubject(request), name: body.name, scopes: body.scopes ?? undefined, expiresInDays: body.expires_in_days, ip: request.clientIp,
    });
    const view = presentApiToken(record);
    return reply.code(201).header('cache-control', 'no-store').send({
      id: view.id, name: view.name, token, token_prefix: view.token_prefix, scopes: view.scopes, created_at: view.created_at, expires_at: view.expires_at,
    });
  });

  app.get('/api/v1/tokens', { preHandler: bearer }, async (request) => {
    return (await ctx.store.listApiTokens(bearerSubject(request))).filter((t) => !t.isCanary).map(presentApiToken);
  });

  app.get<{ Params: { id: string } }>('/api/v1/tokens/:id', { preHandler: bearer }, async (request) => {
    const token = await ctx.store.findApiTokenById(validateTokenId(request.params.id));
    // Another user's token answers exactly like one that does not exist.
    if (token === undefined || token.userId !== bearerSubject(request)) throw notFound();
    return presentApiToken(token);
  });

  app.delete<{ Params: { id: string } }>('/api/v1/tokens/:id', { preHandler: bearer }, async (request) => {
    const sub = bearerSubject(request);
    const revoked = await revokeApiToken(ctx, request.params.id, sub, {
      actor: { type: 'user', id: sub }, initiator: 'user', reason: 'user_request', ip: request.clientIp,
    });
    return { message: 'Token revoked successfully', token_id: revoked.id, revoked_at: new Date(revoked.revokedAtMs!).toISOString() };
  });

  app.post('/api/v1/tokens/revoke-all', { preHandler: bearer, config: { body: 'json' } }, async (request) => {
    jsonBody(request, { allowEmpty: true });
    const sub = bearerSubject(request);
    const revoked = await revokeAllApiTokensOfOwner(ctx, sub, { actor: { type: 'user', id: sub }, initiator: 'user', reason: 'logout_all', ip: request.clientIp });
    return { message: `Revoked ${revoked.length} tokens`, revoked_count: revoked.length };
  });
}
