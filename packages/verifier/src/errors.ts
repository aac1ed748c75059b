/**
 * The verifier throws the service's own error type, so a resource server sees the codes revokd's
 * HTTP API answers with (docs/errors.md): `ERR_INVALID_TOKEN`, `ERR_TOKEN_EXPIRED`,
 * `ERR_TOKEN_REVOKED` (401) and `ERR_STORE_UNAVAILABLE` (503, with `retryAfterSeconds`). Codes
 * are stable; messages are for people.
 */
export { ERROR_CATALOGUE, RevokdError, isRevokdError, type ErrorCode } from '#core/errors.js';
