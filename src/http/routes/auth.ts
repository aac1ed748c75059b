/** First-party auth (SPEC §5.1), JSON in and out; names and shapes kept from the seeds. */
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { login } from '../../app/login.js';
import { refreshSession } from '../../app/refresh-session.js';
import { accessTokenTarget, revoke } from '../../app/revoke.js';
import {
  identifyToken,
  notYours,
  ownerOf,
  revokeIdentified,
} from '../../app/revoke-presented-token.js';
import { bearerGuard, bearerOrApiTokenGuard, bearerSubject, requireUser } from '../bearer-guard.js';
import { revokeUserHoldings } from '../../app/revoke-user-holdings.js';
import { Type } from '@sinclair/typebox';
import { PRESENTED_TOKEN } from '../nul-bytes.js';
import { SECURITY } from '../openapi.js';
import { ERROR_RESPONSES } from '../schemas/error.js';
import { Closed, IsoTime, Nullable } from '../schemas/shapes.js';
import { TokenResponse } from '../schemas/tokens.js';
import { Role } from '../schemas/users.js';

const NO_CONTENT = Type.Null({ description: 'Done; no body' });
const TokenRevoked = Closed({ message: Type.String(), jti: Type.String() });

// Types only: login and refresh check lengths and formats themselves (the CLI and web UI share them).
const LoginBody = Type.Object({ email: Type.String(), password: Type.String() });
// Any refresh_token that is not a live one — missing, null, a number — is the same 401 (ERR_REFRESH_INVALID):
// a refresh failure never says more than that, so the schema does not refuse it with a 400 first.
const RefreshBody = Type.Object({
  refresh_token: Type.Optional(
    Type.Unknown({
      description: 'The refresh token (rt_…); anything else answers 401',
      ...PRESENTED_TOKEN,
    }),
  ),
});
const RevokeBody = Type.Object({
  token: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 16_384,
      description: 'An access or refresh token of yours; none: the presented access token',
      ...PRESENTED_TOKEN,
    }),
  ),
});
const RevokeAllBody = Type.Object({
  include_api_tokens: Type.Optional(
    Type.Boolean({ description: 'Also revoke your API tokens (default false)' }),
  ),
});
const schemaOf = (summary: string, more: Record<string, unknown>) => ({
  tags: ['auth'],
  summary,
  ...more,
});

export function authRoutes(app: FastifyInstance, ctx: AppContext): void {
  const bearer = bearerGuard(ctx);
  const userBearer = bearerGuard(ctx, { userOnly: true });
  const bearerOrApiToken = bearerOrApiTokenGuard(ctx);
  const userActor = (sub: string) => ({ type: 'user' as const, id: sub });

  app.post<{ Body: Static<typeof LoginBody> }>(
    '/api/v1/auth/login',
    {
      config: { body: 'json' },
      schema: schemaOf('Sign in with email and password', {
        security: SECURITY.none,
        body: LoginBody,
        response: { 200: TokenResponse, ...ERROR_RESPONSES },
      }),
    },
    async (request, reply) => {
      const body = request.body;
      const result = await login(ctx, {
        email: body.email,
        password: body.password,
        ip: request.clientIp,
        userAgent: String(request.headers['user-agent'] ?? ''),
      });
      const { user_id: _user, ...response } = result;
      return reply.header('cache-control', 'no-store').send(response);
    },
  );

  app.post<{ Body: Static<typeof RefreshBody> }>(
    '/api/v1/auth/refresh',
    {
      config: { body: 'json' },
      schema: schemaOf('Rotate a refresh token', {
        security: SECURITY.none,
        body: RefreshBody,
        response: { 200: TokenResponse, ...ERROR_RESPONSES },
      }),
    },
    async (request, reply) => {
      const body = request.body;
      const result = await refreshSession(ctx, {
        refreshToken: body.refresh_token,
        ip: request.clientIp,
      });
      return reply.header('cache-control', 'no-store').send(result);
    },
  );

  const noBody = (summary: string) =>
    schemaOf(summary, {
      security: SECURITY.bearer,
      response: { 204: NO_CONTENT, ...ERROR_RESPONSES },
    });
  app.post(
    '/api/v1/auth/logout',
    {
      preHandler: bearer,
      config: { body: 'none', beforePasswordChange: true },
      schema: noBody('Sign out this session'),
    },
    async (request, reply) => {
      const { claims } = request.auth!.token;
      // The session entry outlives every access token minted in it, this one included.
      await revoke(
        ctx,
        { scope: 'session', sessionId: claims.sid },
        { initiator: 'user', reason: 'logout', actor: userActor(claims.sub), ip: request.clientIp },
      );
      return reply.code(204).send();
    },
  );

  const logoutAll = async (
    request: import('fastify').FastifyRequest,
    reply: import('fastify').FastifyReply,
  ) => {
    const sub = bearerSubject(request);
    await revoke(
      ctx,
      { scope: 'user', userId: sub },
      { initiator: 'user', reason: 'logout_all', actor: userActor(sub), ip: request.clientIp },
    );
    return reply.code(204).send();
  };
  app.post(
    '/api/v1/auth/logout-all',
    {
      preHandler: userBearer,
      config: { body: 'none' },
      schema: noBody('Sign out every session of the user'),
    },
    logoutAll,
  );
  app.post(
    '/api/v1/auth/logout-all-devices',
    {
      preHandler: userBearer,
      config: { body: 'none' },
      schema: noBody('Same as logout-all (seed name)'),
    },
    logoutAll,
  );

  app.post<{ Body: Static<typeof RevokeBody> }>(
    '/api/v1/auth/revoke',
    {
      preHandler: bearer,
      config: { body: 'json', bodyOptional: true },
      schema: schemaOf('Revoke one of your tokens (by default the presented one)', {
        security: SECURITY.bearer,
        body: RevokeBody,
        response: { 200: TokenRevoked, ...ERROR_RESPONSES },
      }),
    },
    async (request) => {
      const given = request.body.token;
      const { claims } = request.auth!.token;
      if (given === undefined) {
        await revoke(ctx, accessTokenTarget(ctx, claims), {
          initiator: 'user',
          reason: 'user_request',
          actor: userActor(claims.sub),
          ip: request.clientIp,
        });
        return { message: 'Token revoked successfully', jti: claims.jti };
      }
      const token = await identifyToken(ctx, given);
      // Another user's token gets the same answer as a token that does not exist.
      if (token.kind === 'unknown' || ownerOf(token).sub !== claims.sub) throw notYours();
      const jti = await revokeIdentified(ctx, token, {
        actor: userActor(claims.sub),
        ip: request.clientIp,
        initiator: 'user',
      });
      return { message: 'Token revoked successfully', jti };
    },
  );

  app.post<{ Body: Static<typeof RevokeAllBody> }>(
    '/api/v1/auth/revoke-all',
    {
      preHandler: userBearer,
      config: { body: 'json', bodyOptional: true },
      schema: schemaOf('Revoke every session (and optionally API token) of the user', {
        security: SECURITY.bearer,
        body: RevokeAllBody,
        response: {
          200: Closed({
            message: Type.String(),
            user_id: Type.String(),
            revoked: Closed({
              sessions: Type.Integer(),
              access_tokens_cutoff: IsoTime,
              generation: Nullable(Type.Integer()),
              api_tokens: Type.Integer(),
            }),
          }),
          ...ERROR_RESPONSES,
        },
      }),
    },
    async (request) => {
      const body = request.body;
      const sub = bearerSubject(request);
      const request_ = {
        initiator: 'user' as const,
        reason: 'logout_all' as const,
        actor: userActor(sub),
        ip: request.clientIp,
      };
      // API tokens are long-lived credentials: only revoked here when asked for explicitly, and
      // then in the same commit as the sessions (revoke-user-holdings.ts).
      const { revocation: report, apiTokens } =
        body.include_api_tokens === true
          ? await revokeUserHoldings(ctx, sub, request_)
          : {
              revocation: await revoke(ctx, { scope: 'user', userId: sub }, request_),
              apiTokens: [],
            };
      return {
        message: 'All tokens revoked successfully',
        user_id: sub,
        revoked: {
          sessions: report.sessions,
          access_tokens_cutoff: new Date(ctx.now()).toISOString(),
          generation: report.generation,
          api_tokens: apiTokens.length,
        },
      };
    },
  );

  app.get(
    '/api/v1/auth/me',
    {
      preHandler: bearerOrApiToken,
      config: { beforePasswordChange: true },
      schema: schemaOf('Who the presented access token or API token belongs to', {
        security: SECURITY.bearerOrApiToken,
        response: {
          200: Type.Union([
            Closed({
              id: Type.String(),
              email: Type.String(),
              role: Role,
              session_id: Type.String(),
            }),
            Closed({
              id: Type.String(),
              email: Type.String(),
              role: Role,
              api_token: Closed({
                id: Type.String(),
                name: Type.String(),
                scopes: Type.Array(Type.String()),
              }),
            }),
          ]),
          ...ERROR_RESPONSES,
        },
      }),
    },
    async (request) => {
      if (request.apiAuth !== null) {
        const { user, token } = request.apiAuth;
        return {
          id: user.id,
          email: user.email,
          role: user.role,
          api_token: { id: token.id, name: token.name, scopes: token.scopes },
        };
      }
      const user = requireUser(request);
      return {
        id: user.id,
        email: user.email,
        role: user.role,
        session_id: request.auth!.token.claims.sid,
      };
    },
  );

  app.get(
    '/api/v1/auth/token/validate',
    {
      preHandler: bearer,
      schema: schemaOf('Check the presented access token', {
        security: SECURITY.bearer,
        response: {
          200: Closed({
            valid: Type.Literal(true),
            sub: Type.String(),
            jti: Type.String(),
            sid: Type.String(),
            iat: Type.Integer(),
            exp: Type.Integer(),
          }),
          ...ERROR_RESPONSES,
        },
      }),
    },
    async (request) => {
      const { claims } = request.auth!.token;
      return {
        valid: true,
        sub: claims.sub,
        jti: claims.jti,
        sid: claims.sid,
        iat: claims.iat,
        exp: claims.exp,
      };
    },
  );
}
