/**
 * The framework-free core of every middleware: read the bearer token (RFC 6750 §2.1), verify it,
 * and either hand back the claims or say exactly what to answer — status, headers (an RFC 6750 §3
 * `WWW-Authenticate` challenge on 401, `Retry-After` on 503) and the service's JSON error body.
 * The adapters only translate this to their framework.
 */
import type { AccessClaims } from '../../../../src/core/tokens/access-token.js';
import { RevokdError, isRevokdError } from '../../../../src/core/errors.js';
import type { Verifier } from '../create-verifier.js';

export interface MiddlewareOptions {
  /** The `realm` of the challenge (default "api"). */
  readonly realm?: string;
}

export type AuthResult =
  | { readonly ok: true; readonly claims: AccessClaims }
  | {
    readonly ok: false;
    readonly status: number;
    readonly headers: Readonly<Record<string, string>>;
    readonly body: { readonly error: string; readonly error_description: string; readonly code: string };
  };

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** Removes what cannot appear in a quoted-string (RFC 7230 §3.2.6) rather than escaping it. */
const quoted = (value: string): string => value.replace(/[^\x20-\x7e]|["\\]/g, '');

/** Verifies the request's `Authorization` header (string, or the array some frameworks give). */
export async function authenticateBearer(verifier: Verifier, authorization: string | readonly string[] | undefined, options: MiddlewareOptions = {}): Promise<AuthResult> {
  const realm = quoted(options.realm ?? 'api');
  if (authorization === undefined || authorization === '') {
    // RFC 6750 §3.1: a request with no credentials gets a challenge without an error code.
    return refusal(new RevokdError('ERR_INVALID_TOKEN', 'no bearer token'), `Bearer realm="${realm}"`);
  }
  const header = typeof authorization === 'string' ? authorization : authorization.length === 1 ? authorization[0] as string : undefined;
  const match = header === undefined ? null : BEARER.exec(header);
  if (match === null) {
    return refusal(new RevokdError('ERR_BAD_REQUEST', 'Authorization must be one "Bearer <token>" header'), `Bearer realm="${realm}", error="invalid_request"`);
  }
  try {
    return { ok: true, claims: await verifier.verify(match[1]) };
  } catch (err) {
    const failure = isRevokdError(err) ? err : new RevokdError('ERR_INTERNAL', 'internal error');
    const challenge = failure.status === 401
      ? `Bearer realm="${realm}", error="invalid_token", error_description="${quoted(failure.message)}"`
      : undefined;
    return refusal(failure, challenge);
  }
}

function refusal(err: RevokdError, challenge: string | undefined): AuthResult {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
  if (challenge !== undefined) headers['www-authenticate'] = challenge;
  if (err.retryAfterSeconds !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(err.retryAfterSeconds)));
  return { ok: false, status: err.status, headers, body: { error: err.oauthError, error_description: err.message, code: err.code } };
}
