/**
 * `@revokd/verifier`: verify revokd access tokens in process, with revocation pushed by the
 * service's stream and a stated staleness bound. See docs/verifier.md.
 */
export {
  createVerifier,
  type AccessClaims,
  type AppliedRevocation,
  type Verifier,
  type VerifierStatus,
} from './create-verifier.js';
export type { StreamOptions, VerifierOptions } from './verifier-options.js';
export type { MetricsRegistry } from './metrics.js';
export type { PublicJwk } from './jwks.js';
export { ERROR_CATALOGUE, RevokdError, isRevokdError, type ErrorCode } from './errors.js';
export {
  authenticateBearer,
  checkMiddlewareOptions,
  missingScopes,
  type AuthResult,
  type MiddlewareOptions,
} from './adapters/bearer-auth.js';
