/** What revokd attaches to each Fastify request. */
import type { VerifiedApiToken } from '../app/api-tokens/verify-api-token.js';
import type { VerifiedAccessToken } from '../core/tokens/access-token.js';
import type { UserRecord } from '../stores/types.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The resolved client address (see core/containment/client-ip). */
    clientIp: string;
    /** The key the client is counted by (countingKey of clientIp: an IPv6 client's /64), computed once per request. */
    clientKey: string;
    /** Set by the bearer guard on protected routes. */
    auth: AuthenticatedBearer | null;
    /** Set instead of `auth` when a route that accepts API tokens was called with one. */
    apiAuth: VerifiedApiToken | null;
  }
  interface FastifyContextConfig {
    /** Which request body a POST route accepts; anything else is 415. */
    body?: 'json' | 'form' | 'none';
    /** A JSON route whose body may be left out (or sent empty): it is then `{}` (validation.ts). */
    bodyOptional?: boolean;
    /** The code a schema failure answers with (ERR_VALIDATION unless the route says otherwise, e.g. RFC endpoints). */
    validationCode?: import('../core/errors.js').ErrorCode;
    /**
     * The handler reads nothing from the request (the honeypots): no NUL check (validation.ts), so
     * such a route answers junk exactly as an unknown path does.
     */
    ignoresInput?: boolean;
    /** Answered to blocked addresses too (the health probes). */
    lockdownExempt?: boolean;
    /**
     * Open to a user who must change a generated password first: in the web UI the Account page and
     * sign-out, in the API the password change, `/me` and logout (password-change-gate.ts).
     */
    beforePasswordChange?: boolean;
  }
}

export interface AuthenticatedBearer {
  readonly token: VerifiedAccessToken;
  readonly user: UserRecord | null;
}
