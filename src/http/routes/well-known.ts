/** Discovery: RFC 8414 authorization-server metadata and the JWKS. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.js';

export function wellKnownRoutes(app: FastifyInstance, ctx: AppContext): void {
  const base = ctx.config.issuer.replace(/\/$/, '');
  const metadata = Object.freeze({
    issuer: ctx.config.issuer,
    jwks_uri: `${base}/.well-known/jwks.json`,
    token_endpoint: `${base}/oauth/token`,
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    grant_types_supported: ['refresh_token', 'client_credentials'],
    revocation_endpoint: `${base}/oauth/revoke`,
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    introspection_endpoint: `${base}/oauth/introspect`,
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    response_types_supported: [],
  });

  app.get('/.well-known/oauth-authorization-server', async (_request, reply) => reply.header('cache-control', 'public, max-age=300').send(metadata));

  app.get('/.well-known/jwks.json', async (_request, reply) => {
    const keys = [...ctx.keys.current.verification.values()].flatMap((k) => (k.publicJwk === null ? [] : [k.publicJwk]));
    // Short cache: a revoked key must disappear from verifiers quickly.
    return reply.header('cache-control', 'public, max-age=60').send({ keys });
  });
}
