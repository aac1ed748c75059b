/**
 * The guard for bearer routes: `Authorization: Bearer <access token>`, verified and checked
 * against the revocation replica. A factory, validated once, returning a named hook.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app/context.js';
import { authenticateAccessToken } from '../app/authenticate-access-token.js';
import { verifyApiToken } from '../app/api-tokens/verify-api-token.js';
import { API_TOKEN_PREFIX } from '../core/tokens/api-token.js';
import { RevokdError } from '../core/errors.js';
import type { Role } from '../stores/types.js';
import {
  refuseMarkedTokenUntilPasswordChanged,
  refuseUntilPasswordChanged,
} from './password-change-gate.js';

const BEARER = /^Bearer +([^\s]+) *$/i;

/** The 401 of an access-token route given an API token (`Bearer rvk_…`). */
export const API_TOKEN_NOT_ACCEPTED =
  'this route needs a user access token; an API token was presented';

/** The token in an Authorization header, or throws 401 invalid_token (SPEC §5: every 401 names invalid_token). */
export function bearerTokenOf(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (header === undefined || header === '')
    throw new RevokdError('ERR_INVALID_TOKEN', 'no bearer token');
  const match = BEARER.exec(header);
  if (match === null)
    throw new RevokdError('ERR_INVALID_TOKEN', 'Authorization must be "Bearer <token>"');
  return match[1] as string;
}

/**
 * `loadUser` reads the user record (routes that show or need it); the revocation decision itself
 * never needs the database — disabling a user bumps their generation. `userOnly` refuses (403) a
 * client_credentials token — one with no user, whose subject is the client itself — on routes that
 * act on a user's own tokens and sessions (revoke-all, logout-all, API tokens, sessions).
 */
export function bearerGuard(
  ctx: AppContext,
  options: { role?: Role; loadUser?: boolean; userOnly?: boolean } = {},
) {
  const loadUser = options.loadUser === true || options.role !== undefined;
  return async function requireBearer(
    request: FastifyRequest,
    _reply: FastifyReply,
  ): Promise<void> {
    const presented = bearerTokenOf(request);
    // Say what went wrong instead of "malformed token": an API token is a credential, just not one
    // these routes take. Its validity is not checked here, so the answer tells a prober nothing.
    if (presented.startsWith(API_TOKEN_PREFIX)) {
      ctx.events.emit('check', { kind: 'access_token', outcome: 'invalid' }); // counted as before: a failed access-token check
      throw new RevokdError('ERR_INVALID_TOKEN', API_TOKEN_NOT_ACCEPTED);
    }
    const token = await authenticateAccessToken(ctx, presented, request.clientIp);
    if (options.userOnly === true && isClientCredentialsToken(token.claims)) {
      throw new RevokdError(
        'ERR_FORBIDDEN',
        'this route acts for a user; a client_credentials token has none',
      );
    }
    let user = null;
    if (loadUser) {
      user = (await ctx.stores.records.findUserById(token.claims.sub)) ?? null;
      if (user !== null && user.disabledAtMs !== null)
        throw new RevokdError('ERR_TOKEN_REVOKED', 'user is disabled');
      // Before the role check: the generated first admin is told what to do, not that it is no admin.
      refuseUntilPasswordChanged(request, user);
      if (options.role === 'admin' && user?.role !== 'admin')
        throw new RevokdError('ERR_FORBIDDEN', 'admin role required');
    } else {
      await refuseMarkedTokenUntilPasswordChanged(ctx, request, token);
    }
    request.auth = { token, user };
  };
}

/** clientCredentialsGrant issues tokens whose subject is the client (there is no user). */
function isClientCredentialsToken(claims: { sub: string; client_id: string }): boolean {
  return claims.sub === claims.client_id;
}

/** The authenticated user of a bearer route that requires one (not a client-credentials token). */
export function requireUser(request: FastifyRequest) {
  const user = request.auth?.user;
  if (user === undefined || user === null)
    throw new RevokdError('ERR_FORBIDDEN', 'this route needs a user token');
  return user;
}

/** The subject of the bearer token (a user id, or a client id for client-credentials tokens). */
export function bearerSubject(request: FastifyRequest): string {
  if (request.auth === null) throw new RevokdError('ERR_INVALID_TOKEN', 'no bearer token');
  return request.auth.token.claims.sub;
}

/** For routes that take either an access token or an API token (`Bearer rvk_…`); loads the user. */
export function bearerOrApiTokenGuard(ctx: AppContext) {
  const accessGuard = bearerGuard(ctx, { loadUser: true });
  return async function requireBearerOrApiToken(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<void> {
    const token = bearerTokenOf(request);
    if (!token.startsWith(API_TOKEN_PREFIX)) return accessGuard(request, reply);
    try {
      request.apiAuth = await verifyApiToken(ctx, token, request.clientIp);
      refuseUntilPasswordChanged(request, request.apiAuth.user);
    } catch (err) {
      // A canary token blocks its holder: let that land before answering, so the next request sees it.
      await ctx.security.monitor.settled();
      throw err;
    }
  };
}
