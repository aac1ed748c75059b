/**
 * Admin API (admin role): users (create, list, disable — disabling revokes everything), clients,
 * and revocation by any scope of the model.
 */
import type { FastifyInstance } from 'fastify';
import { presentApiToken } from '../../app/api-tokens/create-api-token.js';
import { revokeApiToken } from '../../app/api-tokens/revoke-api-tokens.js';
import { disableClient, enableClient, rotateClientSecret } from '../../app/client-lifecycle.js';
import { createClient, parseScopes } from '../../app/clients.js';
import type { AppContext } from '../../app/context.js';
import { revokeByScope } from '../../app/revoke-by-scope.js';
import { listLiveWindows } from '../../app/list-windows.js';
import { createUser, disableUser } from '../../app/users.js';
import { RevokdError } from '../../core/errors.js';
import type { UserRecord } from '../../stores/types.js';
import { bearerGuard, requireUser } from '../bearer-guard.js';
import { jsonBody, optionalString, requiredString } from '../body.js';
import { UUID_PATTERN } from '../../core/ids.js';


export function publicUser(u: UserRecord) {
  return {
    id: u.id, email: u.email, role: u.role, created_at: new Date(u.createdAtMs).toISOString(),
    disabled_at: u.disabledAtMs === null ? null : new Date(u.disabledAtMs).toISOString(),
  };
}

export function adminRoutes(app: FastifyInstance, ctx: AppContext): void {
  const admin = bearerGuard(ctx, { role: 'admin' });
  const actorOf = (request: import('fastify').FastifyRequest) => ({ type: 'admin' as const, id: requireUser(request).id });

  app.post('/api/v1/admin/users', { preHandler: admin, config: { body: 'json' } }, async (request, reply) => {
    const body = jsonBody(request);
    const role = body.role === undefined ? 'user' : body.role;
    if (role !== 'user' && role !== 'admin') throw new RevokdError('ERR_VALIDATION', 'role must be user or admin');
    const user = await createUser(ctx, { email: body.email, password: body.password, role }, actorOf(request));
    return reply.code(201).send(publicUser(user));
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/v1/admin/users', { preHandler: admin }, async (request) => {
    const limit = boundedInt(request.query.limit, 50, 1, 500, 'limit');
    const offset = boundedInt(request.query.offset, 0, 0, 1_000_000, 'offset');
    const search: unknown = request.query.search;
    if (search !== undefined && typeof search !== 'string') throw new RevokdError('ERR_VALIDATION', 'search must be given once');
    if (search !== undefined && search.length > 254) throw new RevokdError('ERR_VALIDATION', 'search is too long');
    const users = await ctx.store.listUsers({ limit, offset, ...(search === undefined || search === '' ? {} : { search }) });
    return { users: users.map(publicUser), limit, offset };
  });

  app.post<{ Params: { id: string } }>('/api/v1/admin/users/:id/disable', { preHandler: admin, config: { body: 'none' } }, async (request) => {
    if (!UUID_PATTERN.test(request.params.id)) throw new RevokdError('ERR_VALIDATION', 'user id must be a UUID');
    const result = await disableUser(ctx, request.params.id, actorOf(request), request.clientIp);
    return { user_id: request.params.id, disabled: true, revoked: { sessions: result.sessions, api_tokens: result.apiTokens } };
  });

  app.get<{ Params: { id: string } }>('/api/v1/admin/users/:id/api-tokens', { preHandler: admin }, async (request) => {
    if (!UUID_PATTERN.test(request.params.id)) throw new RevokdError('ERR_VALIDATION', 'user id must be a UUID');
    if ((await ctx.store.findUserById(request.params.id)) === undefined) throw new RevokdError('ERR_NOT_FOUND', 'no such user');
    return (await ctx.store.listApiTokens(request.params.id)).map((t) => ({ ...presentApiToken(t), canary: t.isCanary }));
  });

  app.post<{ Params: { id: string } }>('/api/v1/admin/api-tokens/:id/revoke', { preHandler: admin, config: { body: 'json' } }, async (request) => {
    const body = jsonBody(request);
    const reason = requiredString(body, 'reason', 500);
    const revoked = await revokeApiToken(ctx, request.params.id, null, {
      actor: actorOf(request), initiator: 'admin', reason: 'admin', note: reason, ip: request.clientIp,
    });
    return { message: 'Token revoked successfully', token_id: revoked.id, revoked_at: new Date(revoked.revokedAtMs!).toISOString(), owner: revoked.userId };
  });

  app.post('/api/v1/admin/clients', { preHandler: admin, config: { body: 'json' } }, async (request, reply) => {
    const body = jsonBody(request);
    const name = requiredString(body, 'name', 100);
    const scopes = parseScopes(body.scopes !== undefined ? body.scopes : body.scope);
    if (body.public !== undefined && typeof body.public !== 'boolean') throw new RevokdError('ERR_VALIDATION', 'public must be a boolean');
    const { client, secret } = await createClient(ctx, { name, scopes, public: body.public === true }, actorOf(request));
    return reply.code(201).send({ client_id: client.id, client_secret: secret, name: client.name, scopes: client.scopes, grants: client.grants });
  });

  app.get('/api/v1/admin/clients', { preHandler: admin }, async () => {
    const clients = await ctx.store.listClients();
    return clients.map((c) => ({ client_id: c.id, name: c.name, public: c.secretHash === null, grants: c.grants, scopes: c.scopes }));
  });

  app.post<{ Params: { id: string } }>('/api/v1/admin/clients/:id/disable', { preHandler: admin, config: { body: 'none' } }, async (request) => {
    const { changed, revoked } = await disableClient(ctx, request.params.id, actorOf(request), request.clientIp);
    return { client_id: request.params.id, disabled: true, changed, revoked: { sessions: revoked.sessions, refresh_tokens: revoked.refreshTokens } };
  });

  app.post<{ Params: { id: string } }>('/api/v1/admin/clients/:id/enable', { preHandler: admin, config: { body: 'none' } }, async (request) => {
    const { changed } = await enableClient(ctx, request.params.id, actorOf(request), request.clientIp);
    return { client_id: request.params.id, disabled: false, changed };
  });

  app.post<{ Params: { id: string } }>('/api/v1/admin/clients/:id/rotate-secret', { preHandler: admin, config: { body: 'none' } }, async (request, reply) => {
    const { clientId, secret } = await rotateClientSecret(ctx, request.params.id, actorOf(request), request.clientIp);
    reply.header('cache-control', 'no-store');
    return { client_id: clientId, client_secret: secret };
  });

  app.post('/api/v1/admin/revocations', { preHandler: admin, config: { body: 'json' } }, async (request) => {
    const body = jsonBody(request);
    const scope = requiredString(body, 'scope', 16);
    const value = optionalString(body, 'value', 256) ?? '';
    const reason = optionalString(body, 'reason', 32) ?? 'admin';
    const note = optionalString(body, 'note', 500);
    const report = await revokeByScope(ctx, scope, value, { reason, note, actor: actorOf(request), initiator: 'admin', ip: request.clientIp });
    return { scope, value, revoked: { sessions: report.sessions, refresh_tokens: report.refreshTokens, generation: report.generation, changed: report.changed } };
  });

  app.get('/api/v1/admin/revocations/windows', { preHandler: admin }, async () => ({ windows: await listLiveWindows(ctx) }));
}

function boundedInt(raw: string | undefined, fallback: number, min: number, max: number, name: string): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d{1,9}$/.test(raw)) throw new RevokdError('ERR_VALIDATION', `${name} must be a whole number`);
  const n = Number(raw);
  if (n < min || n > max) throw new RevokdError('ERR_VALIDATION', `${name} must be between ${min} and ${max}`);
  return n;
}
