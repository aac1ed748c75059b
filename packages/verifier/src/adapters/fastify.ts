/**
 * Fastify hook: `app.decorateRequest('auth', null); app.addHook('onRequest', fastifyBearer(verifier))`
 * (or per route as `preHandler`) puts the claims on `request.auth` or answers 401/400/403/503.
 * Typed structurally, so the package does not depend on Fastify.
 */
import type { AccessClaims } from '#core/tokens/access-token.js';
import type { Verifier } from '../create-verifier.js';
import {
  type MiddlewareOptions,
  authenticateBearer,
  checkMiddlewareOptions,
} from './bearer-auth.js';

/** No `auth` here: an application may have declared its own type for it (declaration merging). */
interface FastifyRequestLike {
  headers: { authorization?: string | undefined };
}
interface FastifyReplyLike {
  code(status: number): FastifyReplyLike;
  headers(values: Record<string, string>): FastifyReplyLike;
  send(body: string): unknown;
}

export function fastifyBearer(verifier: Verifier, options: MiddlewareOptions = {}) {
  checkMiddlewareOptions(options);
  return async function requireBearer(
    request: FastifyRequestLike,
    reply: FastifyReplyLike,
  ): Promise<void> {
    const result = await authenticateBearer(verifier, request.headers.authorization, options);
    if (result.ok) {
      (request as { auth?: AccessClaims }).auth = result.claims;
      return;
    }
    // Sending from an async hook ends the request there (Fastify skips the handler).
    await reply.code(result.status).headers(result.headers).send(JSON.stringify(result.body));
  };
}
