/**
 * The error catalogue: every failure revokd reports has a stable code, an HTTP status and an
 * OAuth-style error name. Messages are for people and may change; codes are for programs and
 * may not. `docs/errors.md` lists exactly these codes (a test checks it).
 */
export const ERROR_CATALOGUE = {
  ERR_BAD_REQUEST: { status: 400, oauth: 'invalid_request' },
  ERR_VALIDATION: { status: 400, oauth: 'invalid_request' },
  ERR_WEAK_PASSWORD: { status: 400, oauth: 'invalid_request' },
  ERR_INVALID_GRANT: { status: 400, oauth: 'invalid_grant' },
  ERR_UNSUPPORTED_GRANT_TYPE: { status: 400, oauth: 'unsupported_grant_type' },
  ERR_UNAUTHORIZED_CLIENT: { status: 400, oauth: 'unauthorized_client' },
  ERR_INVALID_SCOPE: { status: 400, oauth: 'invalid_scope' },
  ERR_UNSUPPORTED_TOKEN_TYPE: { status: 400, oauth: 'unsupported_token_type' },
  ERR_INVALID_CLIENT: { status: 401, oauth: 'invalid_client' },
  ERR_INVALID_CREDENTIALS: { status: 401, oauth: 'invalid_credentials' },
  ERR_INVALID_TOKEN: { status: 401, oauth: 'invalid_token' },
  ERR_TOKEN_REVOKED: { status: 401, oauth: 'invalid_token' },
  ERR_TOKEN_EXPIRED: { status: 401, oauth: 'invalid_token' },
  ERR_REFRESH_INVALID: { status: 401, oauth: 'invalid_grant' },
  ERR_REFRESH_REUSED: { status: 401, oauth: 'invalid_grant' },
  ERR_FORBIDDEN: { status: 403, oauth: 'insufficient_scope' },
  ERR_IP_BLOCKED: { status: 403, oauth: 'access_denied' },
  ERR_PASSWORD_CHANGE_REQUIRED: { status: 403, oauth: 'password_change_required' },
  ERR_NOT_FOUND: { status: 404, oauth: 'not_found' },
  ERR_CONFLICT: { status: 409, oauth: 'conflict' },
  ERR_PAYLOAD_TOO_LARGE: { status: 413, oauth: 'invalid_request' },
  ERR_HEADERS_TOO_LARGE: { status: 431, oauth: 'invalid_request' },
  ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, oauth: 'invalid_request' },
  ERR_RATE_LIMITED: { status: 429, oauth: 'slow_down' },
  ERR_STORE_UNAVAILABLE: { status: 503, oauth: 'temporarily_unavailable' },
  ERR_INTERNAL: { status: 500, oauth: 'server_error' },
} as const satisfies Record<string, { status: number; oauth: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export class RevokdError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly oauthError: string;
  /** Seconds a client should wait before retrying (429 and 503). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RevokdError';
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.oauthError = ERROR_CATALOGUE[code].oauth;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function isRevokdError(value: unknown): value is RevokdError {
  return value instanceof RevokdError;
}

/** Codes that mean "this credential is not acceptable" — always answered with WWW-Authenticate. */
export function isBearerFailure(code: ErrorCode): boolean {
  return (
    code === 'ERR_INVALID_TOKEN' || code === 'ERR_TOKEN_REVOKED' || code === 'ERR_TOKEN_EXPIRED'
  );
}
