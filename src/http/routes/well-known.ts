/** Discovery: RFC 8414 authorization-server metadata and the JWKS. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { Type } from '@sinclair/typebox';
import { SECURITY } from '../openapi.js';
import { ERROR_RESPONSES } from '../schemas/error.js';
import { Closed } from '../schemas/shapes.js';

const Metadata = Closed(
  {
    issuer: Type.String(),
    jwks_uri: Type.String(),
    token_endpoint: Type.String(),
    token_endpoint_auth_methods_supported: Type.Array(Type.String()),
    grant_types_supported: Type.Array(Type.String()),
    revocation_endpoint: Type.String(),
    revocation_endpoint_auth_methods_supported: Type.Array(Type.String()),
    introspection_endpoint: Type.String(),
    introspection_endpoint_auth_methods_supported: Type.Array(Type.String()),
    response_types_supported: Type.Array(Type.String()),
  },
  { description: 'RFC 8414 authorization server metadata' },
);
// A JWK's members depend on its key type (RFC 7517): described as an open object with the common ones.
const Jwk = Type.Object(
  {
    kty: Type.String(),
    kid: Type.String(),
    alg: Type.Optional(Type.String()),
    use: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

export function wellKnownRoutes(app: FastifyInstance, ctx: AppContext): void {
  const base = ctx.config.issuer.replace(/\/$/, '');
  const metadata = Object.freeze({
    issuer: ctx.config.issuer,
    jwks_uri: `${base}/.well-known/jwks.json`,
    token_endpoint: `${base}/oauth/token`,
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    grant_types_supported: ['refresh_token', 'client_credentials'],
    revocation_endpoint: `${base}/oauth/revoke`,
    revocation_endpoint_auth_methods_supported: [
      'client_secret_basic',
      'client_secret_post',
      'none',
    ],
    introspection_endpoint: `${base}/oauth/introspect`,
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    response_types_supported: [],
  });

  app.get(
    '/.well-known/oauth-authorization-server',
    {
      schema: {
        tags: ['discovery'],
        summary: 'Authorization server metadata (RFC 8414)',
        security: SECURITY.none,
        response: { 200: Metadata, ...ERROR_RESPONSES },
      },
    },
    async (_request, reply) => reply.header('cache-control', 'public, max-age=300').send(metadata),
  );

  app.get(
    '/.well-known/jwks.json',
    {
      schema: {
        tags: ['discovery'],
        summary: 'Public keys that verify access tokens (RFC 7517)',
        security: SECURITY.none,
        response: { 200: Closed({ keys: Type.Array(Jwk) }), ...ERROR_RESPONSES },
      },
    },
    async (_request, reply) => {
      const keys = [...ctx.keys.current.verification.values()].flatMap((k) =>
        k.publicJwk === null ? [] : [k.publicJwk],
      );
      // Short cache: a revoked key must disappear from verifiers quickly.
      return reply.header('cache-control', 'public, max-age=60').send({ keys });
    },
  );
}
