/**
 * The framework-free core of every middleware: read the bearer token (RFC 6750 §2.1), verify it,
 * check the scopes the route requires, and either hand back the claims or say exactly what to
 * answer — status, headers (an RFC 6750 §3 `WWW-Authenticate` challenge on 400/401/403,
 * `Retry-After` on 503) and the service's JSON error body. The adapters only translate this to
 * their framework; this file is the one place the status and challenge of each case are decided.
 */
import type { AccessClaims } from '#core/tokens/access-token.js';
import { RevokdError, isRevokdError } from '#core/errors.js';
import type { Verifier } from '../create-verifier.js';

export interface MiddlewareOptions {
  /** The `realm` of the challenge (default "api"). */
  readonly realm?: string;
  /**
   * Scopes the route requires: a verified token whose `scope` claim (space-separated) lacks any of
   * them is answered 403 `insufficient_scope` (RFC 6750 §3.1), after every token check. Each is an
   * RFC 6749 §3.3 scope-token (printable ASCII, no space, `"` or `\`). Default: none.
   */
  readonly requireScopes?: readonly string[];
}

export type AuthResult =
  | { readonly ok: true; readonly claims: AccessClaims }
  | {
      readonly ok: false;
      readonly status: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: {
        readonly error: string;
        readonly error_description: string;
        readonly code: string;
      };
    };

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** Removes what cannot appear in a quoted-string (RFC 7230 §3.2.6) rather than escaping it. */
const quoted = (value: string): string => value.replace(/[^\x20-\x7e]|["\\]/g, '');

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Whether `value` is one RFC 6749 §3.3 scope-token (what requireScopes entries must be). */
export function isScopeToken(value: unknown): value is string {
  return typeof value === 'string' && SCOPE_TOKEN.test(value);
}

/**
 * Checks middleware options, throwing a `TypeError` naming the bad one; every adapter calls it when
 * it is created, so a misconfigured route fails at start rather than on each request.
 */
export function checkMiddlewareOptions(options: MiddlewareOptions): void {
  if (options.realm !== undefined && typeof options.realm !== 'string')
    throw new TypeError('middleware options.realm must be a string');
  const scopes: unknown = options.requireScopes;
  if (scopes === undefined) return;
  if (!Array.isArray(scopes))
    throw new TypeError('middleware options.requireScopes must be an array of scope strings');
  for (const scope of scopes) {
    if (!isScopeToken(scope)) {
      throw new TypeError(
        `middleware options.requireScopes: ${JSON.stringify(scope)} is not a scope (printable ASCII without space, " or \\)`,
      );
    }
  }
}

/** The required scopes the token's space-separated `scope` claim does not grant, in the order required. */
export function missingScopes(
  claims: Pick<AccessClaims, 'scope'>,
  required: readonly string[],
): string[] {
  const granted = new Set(claims.scope.split(' ').filter((s) => s !== ''));
  return required.filter((s) => !granted.has(s));
}

/** Verifies the request's `Authorization` header (string, or the array some frameworks give). */
export async function authenticateBearer(
  verifier: Verifier,
  authorization: string | readonly string[] | undefined,
  options: MiddlewareOptions = {},
): Promise<AuthResult> {
  checkMiddlewareOptions(options);
  const realm = quoted(options.realm ?? 'api');
  if (authorization === undefined || authorization === '') {
    // RFC 6750 §3.1: a request with no credentials gets a challenge without an error code.
    return refusal(
      new RevokdError('ERR_INVALID_TOKEN', 'no bearer token'),
      `Bearer realm="${realm}"`,
    );
  }
  const header =
    typeof authorization === 'string'
      ? authorization
      : authorization.length === 1
        ? (authorization[0] as string)
        : undefined;
  const match = header === undefined ? null : BEARER.exec(header);
  if (match === null) {
    return refusal(
      new RevokdError('ERR_BAD_REQUEST', 'Authorization must be one "Bearer <token>" header'),
      `Bearer realm="${realm}", error="invalid_request"`,
    );
  }
  let claims: AccessClaims;
  try {
    claims = await verifier.verify(match[1]);
  } catch (err) {
    const failure = isRevokdError(err) ? err : new RevokdError('ERR_INTERNAL', 'internal error');
    const challenge =
      failure.status === 401
        ? `Bearer realm="${realm}", error="invalid_token", error_description="${quoted(failure.message)}"`
        : undefined;
    return refusal(failure, challenge);
  }
  // Only a token that passed every check (signature, expiry, revocation, staleness) gets here:
  // 401 and 503 always come before 403.
  const required = options.requireScopes ?? [];
  const missing = missingScopes(claims, required);
  if (missing.length > 0) {
    // RFC 6750 §3: `scope` names the scope necessary for the resource — all of the route's.
    return refusal(
      new RevokdError(
        'ERR_FORBIDDEN',
        `the token lacks the scope${missing.length > 1 ? 's' : ''} ${missing.join(' ')}`,
      ),
      `Bearer realm="${realm}", error="insufficient_scope", scope="${required.join(' ')}"`,
    );
  }
  return { ok: true, claims };
}

function refusal(err: RevokdError, challenge: string | undefined): AuthResult {
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  };
  if (challenge !== undefined) headers['www-authenticate'] = challenge;
  if (err.retryAfterSeconds !== undefined)
    headers['retry-after'] = String(Math.max(1, Math.ceil(err.retryAfterSeconds)));
  return {
    ok: false,
    status: err.status,
    headers,
    body: { error: err.oauthError, error_description: err.message, code: err.code },
  };
}
