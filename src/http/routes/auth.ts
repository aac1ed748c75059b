/** First-party auth (SPEC §5.1), JSON in and out; names and shapes kept from the seeds. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { login } from '../../app/login.js';
import { refreshSession } from '../../app/refresh-session.js';
import { revoke, tokenEntryExpiryMs } from '../../app/revoke.js';
import { identifyToken, notYours, ownerOf, revokeIdentified } from '../../app/revoke-presented-token.js';
import { RevokdError } from '../../core/errors.js';
import { bearerGuard, bearerOrApiTokenGuard, bearerSubject, requireUser } from '../bearer-guard.js';
import { revokeAllApiTokensOfUser } from '../../app/api-tokens/revoke-api-tokens.js';
import { jsonBody, optionalString } from '../body.js';

export function authRoutes(app: FastifyInstance, ctx: AppContext): void {
  const bearer = bearerGuard(ctx);
  const userBearer = bearerGuard(ctx, { userOnly: true });
  const bearerOrApiToken = bearerOrApiTokenGuard(ctx);
  const userActor = (sub: string) => ({ type: 'user' as const, id: sub });

  app.post('/api/v1/auth/login', { config: { body: 'json' } }, async (request, reply) => {
    const body = jsonBody(request);
    const result = await login(ctx, {
      email: body.email, password: body.password, ip: request.clientIp, userAgent: String(request.headers['user-agent'] ?? ''),
    });
    const { user_id: _user, ...response } = result;
    return reply.header('cache-control', 'no-store').send(response);
  });

  app.post('/api/v1/auth/refresh', { config: { body: 'json' } }, async (request, reply) => {
    const body = jsonBody(request);
    const result = await refreshSession(ctx, { refreshToken: body.refresh_token, ip: request.clientIp });
    return reply.header('cache-control', 'no-store').send(result);
  });

  app.post('/api/v1/auth/logout', { preHandler: bearer, config: { body: 'none' } }, async (request, reply) => {
    const { claims } = request.auth!.token;
    // The session entry outlives every access token minted in it, this one included.
    await revoke(ctx, { scope: 'session', sessionId: claims.sid }, { initiator: 'user', reason: 'logout', actor: userActor(claims.sub), ip: request.clientIp });
    return reply.code(204).send();
  });

  const logoutAll = async (request: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply) => {
    const sub = bearerSubject(request);
    await revoke(ctx, { scope: 'user', userId: sub }, { initiator: 'user', reason: 'logout_all', actor: userActor(sub), ip: request.clientIp });
    return reply.code(204).send();
  };
  app.post('/api/v1/auth/logout-all', { preHandler: userBearer, config: { body: 'none' } }, logoutAll);
  app.post('/api/v1/auth/logout-all-devices', { preHandler: userBearer, config: { body: 'none' } }, logoutAll);

  app.post('/api/v1/auth/revoke', { preHandler: bearer, config: { body: 'json' } }, async (request) => {
    const body = jsonBody(request, { allowEmpty: true });
    const given = optionalString(body, 'token', 16_384);
    const { claims } = request.auth!.token;
    if (given === undefined) {
      await revoke(ctx, { scope: 'token', issuer: claims.iss, jti: claims.jti, expiresAtMs: tokenEntryExpiryMs(ctx, claims.exp) },
        { initiator: 'user', reason: 'user_request', actor: userActor(claims.sub), ip: request.clientIp });
      return { message: 'Token revoked successfully', jti: claims.jti };
    }
    const token = await identifyToken(ctx, given);
    // Another user's token gets the same answer as a token that does not exist.
    if (token.kind === 'unknown' || ownerOf(token).sub !== claims.sub) throw notYours();
    const jti = await revokeIdentified(ctx, token, { actor: userActor(claims.sub), ip: request.clientIp, initiator: 'user' });
    return { message: 'Token revoked successfully', jti };
  });

  app.post('/api/v1/auth/revoke-all', { preHandler: userBearer, config: { body: 'json' } }, async (request) => {
    const body = jsonBody(request, { allowEmpty: true });
    if (body.include_api_tokens !== undefined && typeof body.include_api_tokens !== 'boolean') {
      throw new RevokdError('ERR_VALIDATION', 'include_api_tokens must be a boolean');
    }
    const sub = bearerSubject(request);
    const request_ = { initiator: 'user' as const, reason: 'logout_all' as const, actor: userActor(sub), ip: request.clientIp };
    const report = await revoke(ctx, { scope: 'user', userId: sub }, request_);
    // API tokens are long-lived credentials: only revoked here when asked for explicitly.
    const apiTokens = body.include_api_tokens === true ? (await revokeAllApiTokensOfUser(ctx, sub, request_)).length : 0;
    return {
      message: 'All tokens revoked successfully', user_id: sub,
      revoked: { sessions: report.sessions, access_tokens_cutoff: new Date(ctx.now()).toISOString(), generation: report.generation, api_tokens: apiTokens },
    };
  });

  app.get('/api/v1/auth/me', { preHandler: bearerOrApiToken }, async (request) => {
    if (request.apiAuth !== null) {
      const { user, token } = request.apiAuth;
      return { id: user.id, email: user.email, role: user.role, api_token: { id: token.id, name: token.name, scopes: token.scopes } };
    }
    const user = requireUser(request);
    return { id: user.id, email: user.email, role: user.role, session_id: request.auth!.token.claims.sid };
  });

  app.get('/api/v1/auth/token/validate', { preHandler: bearer }, async (request) => {
    const { claims } = request.auth!.token;
    return { valid: true, sub: claims.sub, jti: claims.jti, sid: claims.sid, iat: claims.iat, exp: claims.exp };
  });
}
