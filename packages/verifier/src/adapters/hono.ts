/**
 * Hono middleware: `app.use(honoBearer(verifier))` sets `c.get('auth')` to the claims or answers
 * 401/400/403/503. Typed structurally, so the package does not depend on Hono.
 */
import type { AccessClaims } from '#core/tokens/access-token.js';
import type { Verifier } from '../create-verifier.js';
import {
  type MiddlewareOptions,
  authenticateBearer,
  checkMiddlewareOptions,
} from './bearer-auth.js';

interface HonoContextLike {
  req: { header(name: string): string | undefined };
  set(key: 'auth', value: AccessClaims): void;
}

/** Declare `Variables: { auth: AccessClaims }` on your Hono app for a typed `c.get('auth')`. */
export function honoBearer(verifier: Verifier, options: MiddlewareOptions = {}) {
  checkMiddlewareOptions(options);
  return async function requireBearer(
    c: HonoContextLike,
    next: () => Promise<void>,
  ): Promise<Response | void> {
    const result = await authenticateBearer(verifier, c.req.header('authorization'), options);
    if (!result.ok)
      return new Response(JSON.stringify(result.body), {
        status: result.status,
        headers: result.headers,
      });
    c.set('auth', result.claims);
    await next();
  };
}
