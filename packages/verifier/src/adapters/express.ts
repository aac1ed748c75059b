/**
 * Express middleware: `app.use(expressBearer(verifier))` puts the claims on `req.auth` or answers
 * 401/400/403/503 itself. Typed structurally, so the package does not depend on Express.
 */
import type { AccessClaims } from '#core/tokens/access-token.js';
import type { Verifier } from '../create-verifier.js';
import {
  type MiddlewareOptions,
  authenticateBearer,
  checkMiddlewareOptions,
} from './bearer-auth.js';

interface ExpressRequest {
  headers: { authorization?: string | undefined };
  auth?: AccessClaims;
}
/** `send(body?: unknown)`: so Express infers no `string` response body for the route the middleware is on. */
interface ExpressResponse {
  status(code: number): ExpressResponse;
  set(headers: Record<string, string>): ExpressResponse;
  send(body?: unknown): unknown;
}

export function expressBearer(verifier: Verifier, options: MiddlewareOptions = {}) {
  checkMiddlewareOptions(options);
  return function requireBearer(
    req: ExpressRequest,
    res: ExpressResponse,
    next: (err?: unknown) => void,
  ): void {
    authenticateBearer(verifier, req.headers.authorization, options).then((result) => {
      if (result.ok) {
        req.auth = result.claims;
        next();
      } else {
        res.status(result.status).set(result.headers).send(JSON.stringify(result.body));
      }
    }, next);
  };
}
