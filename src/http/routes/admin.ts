/**
 * Admin API (admin role): users (create, list, disable — disabling revokes everything), clients,
 * and revocation by any scope of the model.
 */
import type { FastifyInstance } from 'fastify';
import { presentApiToken } from '../../app/api-tokens/create-api-token.js';
import { revokeApiToken } from '../../app/api-tokens/revoke-api-tokens.js';
import {
  MAX_SECRET_GRACE_SECONDS,
  disableClient,
  enableClient,
  rotateClientSecret,
} from '../../app/client-lifecycle.js';
import { createClient, parseScopes } from '../../app/clients.js';
import type { AppContext } from '../../app/context.js';
import { revokeByScope } from '../../app/revoke-by-scope.js';
import { listLiveWindows } from '../../app/list-windows.js';
import { createUser, disableUser } from '../../app/users.js';
import { RevokdError } from '../../core/errors.js';
import type { UserRecord } from '../../stores/types.js';
import { bearerGuard, requireUser } from '../bearer-guard.js';
import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import { SECURITY } from '../openapi.js';
import { ERROR_RESPONSES } from '../schemas/error.js';
import { IdParam, UuidParam } from '../schemas/ids.js';
import { Closed, IsoTime, Nullable, StringEnum } from '../schemas/shapes.js';
import { AdminApiTokenView } from '../schemas/tokens.js';
import { PublicUser } from '../schemas/users.js';
import { OPERATOR_SCOPES } from '../../app/revoke-by-scope.js';

/** A non-empty string of at most `max` characters, with the message the API has always given. */
const Text = (name: string, max: number, description?: string) =>
  Type.String({
    minLength: 1,
    maxLength: max,
    'x-invalid': `${name} must be a non-empty string of at most ${max} characters`,
    ...(description === undefined ? {} : { description }),
  });
/** A whole-number query parameter in a range: validation.ts reads its text, the schema checks it (and words the refusal). */
const Count = (range: { minimum: number; maximum: number; default: number }, description: string) =>
  Type.Optional(Type.Integer({ ...range, description }));
const USERS_LIMIT = { minimum: 1, maximum: 500, default: 50 };
const USERS_OFFSET = { minimum: 0, maximum: 1_000_000, default: 0 };
const Scopes = Type.Union([
  Type.Array(Type.String()),
  Type.String({ description: 'Space-separated' }),
]);

// Types only for email and password: createUser checks their format and strength (the CLI shares it).
const CreateUserBody = Type.Object({
  email: Type.String(),
  password: Type.String(),
  role: Type.Optional(
    StringEnum(['user', 'admin'] as const, {
      'x-invalid': 'role must be user or admin',
      default: 'user',
    }),
  ),
});
const UsersQuery = Type.Object({
  limit: Count(USERS_LIMIT, '1 to 500, default 50'),
  offset: Count(USERS_OFFSET, 'default 0'),
  search: Type.Optional(
    Type.String({
      maxLength: 254,
      'x-invalid': 'search is too long',
      description: 'Part of an email',
    }),
  ),
});
const RevokeApiTokenBody = Type.Object({
  reason: Text('reason', 500, 'Kept in the audit log and told to the owner'),
});
const CreateClientBody = Type.Object({
  name: Text('name', 100),
  scopes: Type.Optional(Scopes),
  scope: Type.Optional(Scopes),
  public: Type.Optional(Type.Boolean({ description: 'A public client has no secret' })),
});
const RevocationBody = Type.Object({
  scope: Text(
    'scope',
    16,
    `One of: ${OPERATOR_SCOPES.filter((name) => name !== 'api-token').join(', ')} (an API token: POST /api/v1/admin/api-tokens/{id}/revoke)`,
  ),
  value: Type.Optional(Text('value', 256, 'What to revoke (its meaning depends on scope)')),
  reason: Type.Optional(Text('reason', 32, 'A reason code (default admin)')),
  note: Type.Optional(Text('note', 500)),
});
const RotateSecretBody = Type.Object({
  grace_seconds: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: MAX_SECRET_GRACE_SECONDS,
      default: 0,
      'x-invalid': `grace_seconds must be a whole number of seconds from 0 to ${MAX_SECRET_GRACE_SECONDS}`,
      description:
        "How long the old secret keeps working (audited). 0, the default: it stops at once, the client's streams end and its tokens are revoked now; otherwise all that happens when the grace ends.",
    }),
  ),
});
const RotatedSecret = Closed({
  client_id: Type.String(),
  client_secret: Type.String(),
  grace_seconds: Type.Integer({ description: 'The grace given to the old secret' }),
  old_secret_expires_at: IsoTime,
  revoked: Nullable(
    Closed(
      { sessions: Type.Integer(), refresh_tokens: Type.Integer() },
      { description: 'What was revoked now; null with a grace (revoked when it ends)' },
    ),
  ),
});
const ClientView = Closed({
  client_id: Type.String(),
  name: Type.String(),
  public: Type.Boolean(),
  grants: Type.Array(Type.String()),
  scopes: Type.Array(Type.String()),
});
const Window = Closed({
  seq: Type.Integer(),
  from: Type.Integer(),
  to: Type.Integer(),
  reason: Type.String(),
  note: Nullable(Type.String()),
  created_at: IsoTime,
  expires_at: Nullable(IsoTime),
});
const ClientId = IdParam('The client id');
const op = (summary: string, more: Record<string, unknown>) => ({
  tags: ['admin'],
  summary,
  security: SECURITY.bearer,
  ...more,
});
const reply200 = (schema: unknown) => ({ response: { 200: schema, ...ERROR_RESPONSES } });

export function publicUser(u: UserRecord) {
  return {
    id: u.id,
    email: u.email,
    role: u.role,
    created_at: new Date(u.createdAtMs).toISOString(),
    disabled_at: u.disabledAtMs === null ? null : new Date(u.disabledAtMs).toISOString(),
  };
}

export function adminRoutes(app: FastifyInstance, ctx: AppContext): void {
  const admin = bearerGuard(ctx, { role: 'admin' });
  const actorOf = (request: import('fastify').FastifyRequest) => ({
    type: 'admin' as const,
    id: requireUser(request).id,
  });

  app.post<{ Body: Static<typeof CreateUserBody> }>(
    '/api/v1/admin/users',
    {
      preHandler: admin,
      config: { body: 'json' },
      schema: op('Create a user', {
        body: CreateUserBody,
        response: { 201: PublicUser, ...ERROR_RESPONSES },
      }),
    },
    async (request, reply) => {
      const body = request.body;
      const user = await createUser(
        ctx,
        { email: body.email, password: body.password, role: body.role ?? 'user' },
        actorOf(request),
      );
      return reply.code(201).send(publicUser(user));
    },
  );

  app.get<{ Querystring: Static<typeof UsersQuery> }>(
    '/api/v1/admin/users',
    {
      preHandler: admin,
      schema: op('List users', {
        querystring: UsersQuery,
        ...reply200(
          Closed({ users: Type.Array(PublicUser), limit: Type.Integer(), offset: Type.Integer() }),
        ),
      }),
    },
    async (request) => {
      const { limit = USERS_LIMIT.default, offset = USERS_OFFSET.default, search } = request.query;
      const users = await ctx.stores.records.listUsers({
        limit,
        offset,
        ...(search === undefined || search === '' ? {} : { search }),
      });
      return { users: users.map(publicUser), limit, offset };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/admin/users/:id/disable',
    {
      preHandler: admin,
      config: { body: 'none' },
      schema: op('Disable a user: revokes every session and API token', {
        params: UuidParam('user id'),
        ...reply200(
          Closed({
            user_id: Type.String(),
            disabled: Type.Literal(true),
            revoked: Closed({ sessions: Type.Integer(), api_tokens: Type.Integer() }),
          }),
        ),
      }),
    },
    async (request) => {
      const result = await disableUser(ctx, request.params.id, actorOf(request), request.clientIp);
      return {
        user_id: request.params.id,
        disabled: true,
        revoked: { sessions: result.sessions, api_tokens: result.apiTokens },
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/admin/users/:id/api-tokens',
    {
      preHandler: admin,
      schema: op("A user's API tokens, canaries included", {
        params: UuidParam('user id'),
        ...reply200(Type.Array(AdminApiTokenView)),
      }),
    },
    async (request) => {
      if ((await ctx.stores.records.findUserById(request.params.id)) === undefined)
        throw new RevokdError('ERR_NOT_FOUND', 'no such user');
      return (await ctx.stores.records.listApiTokens(request.params.id)).map((t) => ({
        ...presentApiToken(t),
        canary: t.isCanary,
      }));
    },
  );

  app.post<{ Params: { id: string }; Body: Static<typeof RevokeApiTokenBody> }>(
    '/api/v1/admin/api-tokens/:id/revoke',
    {
      preHandler: admin,
      config: { body: 'json' },
      schema: op("Revoke any user's API token, with a reason", {
        params: UuidParam('token id'),
        body: RevokeApiTokenBody,
        ...reply200(
          Closed({
            message: Type.String(),
            token_id: Type.String(),
            revoked_at: IsoTime,
            owner: Type.String(),
          }),
        ),
      }),
    },
    async (request) => {
      const reason = request.body.reason;
      const revoked = await revokeApiToken(ctx, request.params.id, null, {
        actor: actorOf(request),
        initiator: 'admin',
        reason: 'admin',
        note: reason,
        ip: request.clientIp,
      });
      return {
        message: 'Token revoked successfully',
        token_id: revoked.id,
        revoked_at: new Date(revoked.revokedAtMs!).toISOString(),
        owner: revoked.userId,
      };
    },
  );

  app.post<{ Body: Static<typeof CreateClientBody> }>(
    '/api/v1/admin/clients',
    {
      preHandler: admin,
      config: { body: 'json' },
      schema: op('Register an OAuth client (the secret is in this answer only)', {
        body: CreateClientBody,
        response: {
          201: Closed({
            client_id: Type.String(),
            client_secret: Nullable(Type.String({ description: 'null for a public client' })),
            name: Type.String(),
            scopes: Type.Array(Type.String()),
            grants: Type.Array(Type.String()),
          }),
          ...ERROR_RESPONSES,
        },
      }),
    },
    async (request, reply) => {
      const body = request.body;
      const name = body.name;
      const scopes = parseScopes(body.scopes !== undefined ? body.scopes : body.scope);
      const { client, secret } = await createClient(
        ctx,
        { name, scopes, public: body.public === true },
        actorOf(request),
      );
      return reply.code(201).send({
        client_id: client.id,
        client_secret: secret,
        name: client.name,
        scopes: client.scopes,
        grants: client.grants,
      });
    },
  );

  app.get(
    '/api/v1/admin/clients',
    { preHandler: admin, schema: op('List OAuth clients', reply200(Type.Array(ClientView))) },
    async () => {
      const clients = await ctx.stores.records.listClients();
      return clients.map((c) => ({
        client_id: c.id,
        name: c.name,
        public: c.secretHash === null,
        grants: c.grants,
        scopes: c.scopes,
      }));
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/admin/clients/:id/disable',
    {
      preHandler: admin,
      config: { body: 'none' },
      schema: op('Disable a client: revokes its sessions and refresh tokens', {
        params: ClientId,
        ...reply200(
          Closed({
            client_id: Type.String(),
            disabled: Type.Literal(true),
            changed: Type.Boolean(),
            revoked: Closed({ sessions: Type.Integer(), refresh_tokens: Type.Integer() }),
          }),
        ),
      }),
    },
    async (request) => {
      const { changed, revoked } = await disableClient(
        ctx,
        request.params.id,
        actorOf(request),
        request.clientIp,
      );
      return {
        client_id: request.params.id,
        disabled: true,
        changed,
        revoked: { sessions: revoked.sessions, refresh_tokens: revoked.refreshTokens },
      };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/admin/clients/:id/enable',
    {
      preHandler: admin,
      config: { body: 'none' },
      schema: op('Enable a disabled client', {
        params: ClientId,
        ...reply200(
          Closed({
            client_id: Type.String(),
            disabled: Type.Literal(false),
            changed: Type.Boolean(),
          }),
        ),
      }),
    },
    async (request) => {
      const { changed } = await enableClient(
        ctx,
        request.params.id,
        actorOf(request),
        request.clientIp,
      );
      return { client_id: request.params.id, disabled: false, changed };
    },
  );

  app.post<{ Params: { id: string }; Body: Static<typeof RotateSecretBody> }>(
    '/api/v1/admin/clients/:id/rotate-secret',
    {
      preHandler: admin,
      config: { body: 'json', bodyOptional: true },
      schema: op(
        "Give a client a new secret (shown once); without a grace, cut the old secret's holder off at once",
        {
          params: ClientId,
          body: RotateSecretBody,
          ...reply200(RotatedSecret),
        },
      ),
    },
    async (request, reply) => {
      const rotated = await rotateClientSecret(
        ctx,
        request.params.id,
        actorOf(request),
        request.clientIp,
        request.body.grace_seconds ?? 0,
      );
      reply.header('cache-control', 'no-store');
      return {
        client_id: rotated.clientId,
        client_secret: rotated.secret,
        grace_seconds: rotated.graceSeconds,
        old_secret_expires_at: new Date(rotated.oldSecretExpiresAtMs).toISOString(),
        revoked:
          rotated.revoked === null
            ? null
            : { sessions: rotated.revoked.sessions, refresh_tokens: rotated.revoked.refreshTokens },
      };
    },
  );

  app.post<{ Body: Static<typeof RevocationBody> }>(
    '/api/v1/admin/revocations',
    {
      preHandler: admin,
      config: { body: 'json' },
      schema: op('Revoke by any scope of the model', {
        body: RevocationBody,
        ...reply200(
          Closed({
            scope: Type.String(),
            value: Type.String(),
            revoked: Closed({
              sessions: Type.Integer(),
              refresh_tokens: Type.Integer(),
              generation: Nullable(Type.Integer()),
              changed: Type.Boolean(),
            }),
          }),
        ),
      }),
    },
    async (request) => {
      const body = request.body;
      const scope = body.scope;
      const value = body.value ?? '';
      const reason = body.reason ?? 'admin';
      const note = body.note;
      const report = await revokeByScope(ctx, scope, value, {
        reason,
        note,
        actor: actorOf(request),
        initiator: 'admin',
        ip: request.clientIp,
      });
      return {
        scope,
        value,
        revoked: {
          sessions: report.sessions,
          refresh_tokens: report.refreshTokens,
          generation: report.generation,
          changed: report.changed,
        },
      };
    },
  );

  app.get(
    '/api/v1/admin/revocations/windows',
    {
      preHandler: admin,
      schema: op('Live window revocations', reply200(Closed({ windows: Type.Array(Window) }))),
    },
    async () => ({ windows: await listLiveWindows(ctx) }),
  );
}
