/**
 * OAuth endpoints (SPEC §5.2): token (RFC 6749), revocation (RFC 7009), introspection (RFC 7662). Form-encoded.
 * The client is authenticated in a preHandler, before the parameters are checked against the
 * schema (validation.ts reports schema failures after the route's preHandlers): a caller without
 * valid client credentials learns nothing about the parameters (RFC 6749 §5.2 invalid_client first).
 */
import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  type AuthenticatedClient,
  INTROSPECT_SCOPE,
  authenticateClient,
  mayIntrospect,
} from '../../app/clients.js';
import { clientCredentialsGrant } from '../../app/client-credentials.js';
import type { AppContext } from '../../app/context.js';
import { introspect } from '../../app/introspect.js';
import type { IntrospectionView } from '../../app/introspection-view.js';
import { noticeRelayedCanary } from '../../app/security/deception.js';
import { refreshSession } from '../../app/refresh-session.js';
import { identifyToken, ownerOf, revokeIdentified } from '../../app/revoke-presented-token.js';
import { RevokdError, isRevokdError } from '../../core/errors.js';
import { clientCredentialsOf } from '../client-credentials.js';
import { hasValidApiTokenChecksum } from '../../core/tokens/api-token.js';
import { PRESENTED_TOKEN } from '../nul-bytes.js';
import { SECURITY } from '../openapi.js';
import { ERROR_RESPONSES } from '../schemas/error.js';
import { Introspection, TokenResponse } from '../schemas/tokens.js';

const MAX_TOKEN_PARAM = 16_384;

const clientFields = {
  client_id: Type.Optional(
    Type.String({ description: 'client_secret_post / public clients (or HTTP Basic instead)' }),
  ),
  client_secret: Type.Optional(
    Type.String({ description: 'client_secret_post (or HTTP Basic instead)' }),
  ),
};
// grant_type is any string: an unknown one is unsupported_grant_type (RFC 6749 §5.2), not a malformed request.
const TokenForm = Type.Object({
  grant_type: Type.String({ description: 'refresh_token or client_credentials' }),
  refresh_token: Type.Optional(Type.String(PRESENTED_TOKEN)),
  scope: Type.Optional(Type.String()),
  ...clientFields,
});
const TokenParam = Type.String({
  minLength: 1,
  maxLength: MAX_TOKEN_PARAM,
  'x-invalid': `token must be a non-empty string of at most ${MAX_TOKEN_PARAM} characters`,
  ...PRESENTED_TOKEN,
});
const TokenParamForm = Type.Object({
  token: TokenParam,
  token_type_hint: Type.Optional(Type.String()),
  ...clientFields,
});

/** The RFC endpoints answer malformed parameters with ERR_BAD_REQUEST (invalid_request). */
const config = { body: 'form', validationCode: 'ERR_BAD_REQUEST' } as const;
const FORM = 'application/x-www-form-urlencoded';

type Authenticated = FastifyRequest & { oauthClient?: AuthenticatedClient };
const clientOf = (request: FastifyRequest): AuthenticatedClient =>
  (request as Authenticated).oauthClient!;

export function oauthRoutes(app: FastifyInstance, ctx: AppContext): void {
  const authenticateWith =
    (view?: IntrospectionView) =>
    async (request: FastifyRequest): Promise<void> => {
      const body =
        request.body !== null && typeof request.body === 'object'
          ? (request.body as Record<string, unknown>)
          : {};
      (request as Authenticated).oauthClient = await authenticateClient(
        ctx,
        clientCredentialsOf(request, body),
        view,
      );
    };
  const authenticate = authenticateWith();

  app.post<{ Body: Static<typeof TokenForm> }>(
    '/oauth/token',
    {
      preHandler: authenticate,
      config,
      schema: {
        tags: ['oauth'],
        summary: 'Token endpoint (RFC 6749 §3.2): refresh_token and client_credentials grants',
        security: SECURITY.clientBasic,
        consumes: [FORM],
        body: TokenForm,
        response: { 200: TokenResponse, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const client = clientOf(request);
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      switch (body.grant_type) {
        case 'refresh_token': {
          if (!client.grants.includes('refresh_token'))
            throw new RevokdError(
              'ERR_UNAUTHORIZED_CLIENT',
              'this client may not use refresh_token',
            );
          try {
            return await refreshSession(ctx, {
              refreshToken: body.refresh_token,
              ip: request.clientIp,
              clientId: client.id,
            });
          } catch (err) {
            // RFC 6749 §5.2: a bad refresh token at the token endpoint is 400 invalid_grant.
            if (
              isRevokdError(err) &&
              (err.code === 'ERR_REFRESH_INVALID' || err.code === 'ERR_REFRESH_REUSED')
            ) {
              throw new RevokdError('ERR_INVALID_GRANT', err.message);
            }
            throw err;
          }
        }
        case 'client_credentials':
          return clientCredentialsGrant(ctx, client, body.scope, request.clientIp);
        default:
          throw new RevokdError(
            'ERR_UNSUPPORTED_GRANT_TYPE',
            'supported grant types: refresh_token, client_credentials',
          );
      }
    },
  );

  app.post<{ Body: Static<typeof TokenParamForm> }>(
    '/oauth/revoke',
    {
      // A revocation only takes access away: the client may be authenticated from the in-process
      // view too (docs/architecture.md, "Introspection from memory": what a stale entry can do).
      preHandler: authenticateWith(ctx.introspectionView),
      config,
      schema: {
        tags: ['oauth'],
        summary: 'Revocation endpoint (RFC 7009): unknown or invalid tokens also answer 200',
        security: SECURITY.clientBasic,
        consumes: [FORM],
        body: TokenParamForm,
        response: {
          200: Type.Null({ description: 'Revoked, or nothing to revoke (no body)' }),
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      const client = clientOf(request);
      const presented = request.body.token;
      // RFC 7009 §2.2.1: API tokens belong to users, not clients; they are revoked through /api/v1/tokens.
      if (hasValidApiTokenChecksum(presented)) {
        await noticeRelayedCanary(ctx, presented, client.id, request.clientIp);
        throw new RevokdError(
          'ERR_UNSUPPORTED_TOKEN_TYPE',
          'API tokens are revoked by their owner at /api/v1/tokens',
        );
      }
      const token = await identifyToken(ctx, presented);
      // RFC 7009 §2.2: unknown, invalid, expired or already revoked tokens get 200 — nothing to reveal.
      if (token.kind === 'unknown') return reply.code(200).send();
      if (ownerOf(token).clientId !== client.id) {
        // A confidential client learns that it may not; a public one gets the silent 200 (no guessing).
        if (client.secretHash !== null)
          throw new RevokdError(
            'ERR_UNAUTHORIZED_CLIENT',
            'the token was issued to another client',
          );
        return reply.code(200).send();
      }
      await revokeIdentified(ctx, token, {
        actor: { type: 'client', id: client.id },
        ip: request.clientIp,
        initiator: 'user',
      });
      return reply.code(200).send();
    },
  );

  app.post<{ Body: Static<typeof TokenParamForm> }>(
    '/oauth/introspect',
    {
      preHandler: [
        // Introspection only reads: the client may be authenticated from the in-process view.
        authenticateWith(ctx.introspectionView),
        async (request, reply) => {
          const client = clientOf(request);
          if (client.secretHash === null)
            throw new RevokdError(
              'ERR_INVALID_CLIENT',
              'introspection needs a confidential client',
            );
          // Introspection reveals other principals' tokens: a client made for one job (a stream
          // reader) must not get it by default. RFC 6750 §3.1 names the scope it lacks.
          if (!mayIntrospect(client)) {
            reply.header(
              'www-authenticate',
              `Bearer realm="revokd", error="insufficient_scope", scope="${INTROSPECT_SCOPE}"`,
            );
            throw new RevokdError(
              'ERR_FORBIDDEN',
              `the client does not have the scope ${INTROSPECT_SCOPE}`,
            );
          }
        },
      ],
      config,
      schema: {
        tags: ['oauth'],
        summary: `Introspection endpoint (RFC 7662): confidential clients with the scope ${INTROSPECT_SCOPE} (or created without scopes)`,
        security: SECURITY.clientBasic,
        consumes: [FORM],
        body: TokenParamForm,
        response: { 200: Introspection, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const client = clientOf(request);
      const result = await introspect(ctx, request.body.token, request.clientIp, client.id);
      return reply.header('cache-control', 'no-store').send(result);
    },
  );
}
