/** API tokens (SPEC §5.3): create (secret shown once), list, get, revoke, revoke all (once an hour). */
import type { FastifyInstance } from 'fastify';
import { createApiToken, presentApiToken } from '../../app/api-tokens/create-api-token.js';
import {
  revokeAllApiTokensOfOwner,
  revokeApiToken,
  validateTokenId,
} from '../../app/api-tokens/revoke-api-tokens.js';
import type { AppContext } from '../../app/context.js';
import { RevokdError } from '../../core/errors.js';
import { bearerGuard, bearerSubject } from '../bearer-guard.js';
import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import { SECURITY } from '../openapi.js';
import { ERROR_RESPONSES } from '../schemas/error.js';
import { UuidParam } from '../schemas/ids.js';
import { Closed, Nullable } from '../schemas/shapes.js';
import { ApiTokenView, CreatedApiToken, RevokedApiToken } from '../schemas/tokens.js';

// Types only: createApiToken checks the name, scopes and expiry itself (the web UI shares it).
const CreateBody = Type.Object({
  name: Type.String({ description: '1 to 100 characters' }),
  scopes: Type.Optional(
    Nullable(
      Type.Union([Type.Array(Type.String()), Type.String({ description: 'Space-separated' })]),
    ),
  ),
  expires_in_days: Type.Optional(
    Nullable(Type.Integer({ description: 'Days until it expires; absent or null: never' })),
  ),
});
const TokenId = UuidParam('token id');
const op = (summary: string, more: Record<string, unknown>) => ({
  tags: ['api-tokens'],
  summary,
  security: SECURITY.bearer,
  ...more,
});

export function apiTokenRoutes(app: FastifyInstance, ctx: AppContext): void {
  const bearer = bearerGuard(ctx, { userOnly: true });
  const notFound = (): RevokdError => new RevokdError('ERR_NOT_FOUND', 'no such token');

  app.post<{ Body: Static<typeof CreateBody> }>(
    '/api/v1/tokens',
    {
      preHandler: bearer,
      config: { body: 'json' },
      schema: op('Create an API token (the secret is in this answer only)', {
        body: CreateBody,
        response: { 201: CreatedApiToken, ...ERROR_RESPONSES },
      }),
    },
    async (request, reply) => {
      const body = request.body;
      const { record, token } = await createApiToken(ctx, {
        userId: bearerSubject(request),
        name: body.name,
        scopes: body.scopes ?? undefined,
        expiresInDays: body.expires_in_days,
        ip: request.clientIp,
      });
      const view = presentApiToken(record);
      return reply.code(201).header('cache-control', 'no-store').send({
        id: view.id,
        name: view.name,
        token,
        token_prefix: view.token_prefix,
        scopes: view.scopes,
        created_at: view.created_at,
        expires_at: view.expires_at,
      });
    },
  );

  app.get(
    '/api/v1/tokens',
    {
      preHandler: bearer,
      schema: op('Your API tokens', {
        response: { 200: Type.Array(ApiTokenView), ...ERROR_RESPONSES },
      }),
    },
    async (request) => {
      return (await ctx.stores.records.listApiTokens(bearerSubject(request)))
        .filter((t) => !t.isCanary)
        .map(presentApiToken);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/tokens/:id',
    {
      preHandler: bearer,
      schema: op('One of your API tokens', {
        params: TokenId,
        response: { 200: ApiTokenView, ...ERROR_RESPONSES },
      }),
    },
    async (request) => {
      const token = await ctx.stores.records.findApiTokenById(validateTokenId(request.params.id));
      // Another user's token answers exactly like one that does not exist.
      if (token === undefined || token.userId !== bearerSubject(request)) throw notFound();
      return presentApiToken(token);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/tokens/:id',
    {
      preHandler: bearer,
      schema: op('Revoke one of your API tokens', {
        params: TokenId,
        response: { 200: RevokedApiToken, ...ERROR_RESPONSES },
      }),
    },
    async (request) => {
      const sub = bearerSubject(request);
      const revoked = await revokeApiToken(ctx, request.params.id, sub, {
        actor: { type: 'user', id: sub },
        initiator: 'user',
        reason: 'user_request',
        ip: request.clientIp,
      });
      return {
        message: 'Token revoked successfully',
        token_id: revoked.id,
        revoked_at: new Date(revoked.revokedAtMs!).toISOString(),
      };
    },
  );

  app.post(
    '/api/v1/tokens/revoke-all',
    {
      preHandler: bearer,
      config: { body: 'json', bodyOptional: true },
      schema: op('Revoke all your API tokens (once an hour)', {
        body: Type.Object({}, { description: 'No fields; may be left out' }),
        response: {
          200: Closed({ message: Type.String(), revoked_count: Type.Integer() }),
          ...ERROR_RESPONSES,
        },
      }),
    },
    async (request) => {
      const sub = bearerSubject(request);
      const revoked = await revokeAllApiTokensOfOwner(ctx, sub, {
        actor: { type: 'user', id: sub },
        initiator: 'user',
        reason: 'revoke_all_api_tokens',
        ip: request.clientIp,
      });
      return { message: `Revoked ${revoked.length} tokens`, revoked_count: revoked.length };
    },
  );
}
