/** The shared middleware scenarios on Fastify. */
import Fastify from 'fastify';
import { fastifyBearer } from '../../packages/verifier/src/adapters/fastify.js';
import type { AccessClaims } from '../../packages/verifier/src/index.js';
import { runMiddlewareScenarios } from './middleware-scenarios.js';

runMiddlewareScenarios('fastify', async (verifier, options) => {
  const app = Fastify();
  app.decorateRequest('auth', null);
  app.addHook('onRequest', fastifyBearer(verifier, options));
  app.get('/whoami', async (request) => {
    const claims = (request as unknown as { auth: AccessClaims }).auth;
    return { sub: claims.sub, jti: claims.jti, scope: claims.scope };
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
});
