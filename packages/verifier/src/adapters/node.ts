/**
 * `node:http` middleware: `await requireBearer(req, res)` resolves the claims (also set as
 * `req.auth`) or has already answered 401/400/403/503 and resolves undefined.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessClaims } from '#core/tokens/access-token.js';
import type { Verifier } from '../create-verifier.js';
import {
  type MiddlewareOptions,
  authenticateBearer,
  checkMiddlewareOptions,
} from './bearer-auth.js';

export type AuthenticatedRequest = IncomingMessage & { auth?: AccessClaims };

export function nodeBearer(verifier: Verifier, options: MiddlewareOptions = {}) {
  checkMiddlewareOptions(options);
  return async function requireBearer(
    req: AuthenticatedRequest,
    res: ServerResponse,
  ): Promise<AccessClaims | undefined> {
    const result = await authenticateBearer(verifier, req.headers.authorization, options);
    if (result.ok) {
      req.auth = result.claims;
      return result.claims;
    }
    res.writeHead(result.status, result.headers).end(JSON.stringify(result.body));
    return undefined;
  };
}
