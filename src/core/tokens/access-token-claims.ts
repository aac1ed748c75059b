/**
 * The claims of an access token whose signature held, checked strictly from the one JSON.parse of
 * its payload: every check jose's `jwtVerify` made for us (issuer, audience, required claims,
 * `nbf`, `exp` with the clock tolerance, numbers where dates go) in jose's order — so a token
 * gets the same error code as before — then the ones jose leaves to the application
 * (REFERENCE.md: `iat` in the future, a numeric `jti`, absurd dates, our own claims' types).
 *
 * Duplicate member names: the last one wins, as in jose and every JSON.parse; the payload was
 * signed by our key, and nothing reads it with a second parser.
 */
import { RevokdError } from '../errors.js';
import type { AccessClaims, VerifiedAccessToken, VerifyOptions } from './access-token-types.js';
import type { VerificationKey } from './key-ring.js';

const JTI_PATTERN = /^[A-Za-z0-9_-]{8,128}$/;
const ID_PATTERN = /^[A-Za-z0-9_.:@-]{1,255}$/;

const invalid = (message: string): RevokdError => new RevokdError('ERR_INVALID_TOKEN', message);

/** Builds the verified token from `payload` (parsed JSON of any type), or throws. */
export function checkAccessClaims(
  payload: unknown,
  kid: string,
  key: VerificationKey,
  options: VerifyOptions,
): VerifiedAccessToken {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw invalid('access token claims are not a JSON object');
  }
  const p = payload as Record<string, unknown>;
  const { nowSec, clockToleranceSeconds: tolerance } = options;
  // What jose checked, in its order (presence first; for iss, aud and dates the checks imply it).
  const iss = p.iss;
  if (iss !== options.issuer) throw invalid('wrong or missing iss');
  const aud = p.aud;
  if (aud !== options.audience && !(Array.isArray(aud) && aud.includes(options.audience))) {
    throw invalid('wrong or missing aud');
  }
  if (
    p.sub === undefined ||
    p.jti === undefined ||
    p.sid === undefined ||
    p.client_id === undefined
  ) {
    throw invalid('a required claim is missing');
  }
  const { iat, nbf, exp } = p;
  if (
    typeof iat !== 'number' ||
    typeof exp !== 'number' ||
    (nbf !== undefined && typeof nbf !== 'number')
  ) {
    throw invalid('iat, nbf and exp must be numbers');
  }
  if (nbf !== undefined && nbf > nowSec + tolerance)
    throw invalid('access token not yet valid (nbf)');
  if (exp <= nowSec - tolerance) throw new RevokdError('ERR_TOKEN_EXPIRED', 'access token expired');
  // What jose leaves to us. Safe integers only, so the subtraction below is exact; jose accepts
  // 1.5, -1 and an `exp` of 10^30 (a token that never expires if the key ever leaked).
  if (!isWholeSeconds(iat)) throw invalid('iat must be a whole number of seconds since 1970');
  if (!isWholeSeconds(exp)) throw invalid('exp must be a whole number of seconds since 1970');
  if (nbf !== undefined && !isWholeSeconds(nbf))
    throw invalid('nbf must be a whole number of seconds since 1970');
  if (exp - iat > options.maxLifetimeSeconds + tolerance) {
    throw invalid('access token lifetime is longer than this service issues');
  }
  if (iat > nowSec + tolerance) throw invalid('iat is in the future');
  const { jti, sid, sub, client_id: clientId, gen, ugen, cgen, scope } = p;
  if (typeof jti !== 'string' || !JTI_PATTERN.test(jti))
    throw invalid('jti must be a short string');
  if (typeof sid !== 'string' || !ID_PATTERN.test(sid)) throw invalid('sid must be a string');
  if (typeof clientId !== 'string' || !ID_PATTERN.test(clientId))
    throw invalid('client_id must be a string');
  if (typeof sub !== 'string' || !ID_PATTERN.test(sub)) throw invalid('sub must be a string');
  if (!isWholeSeconds(gen) || !isWholeSeconds(ugen) || !isWholeSeconds(cgen))
    throw invalid('generation claims missing');
  const passwordChange = p.password_change_required;
  if (passwordChange !== undefined && passwordChange !== true) {
    throw invalid('password_change_required must be true when present');
  }
  const scopeText = typeof scope === 'string' ? scope : '';
  // Two literals rather than a spread of an optional part: one object per token, no temporaries.
  const claims: AccessClaims =
    passwordChange === true
      ? {
          iss: options.issuer,
          sub,
          aud: options.audience,
          exp,
          nbf: nbf ?? iat,
          iat,
          jti,
          sid,
          client_id: clientId,
          scope: scopeText,
          gen,
          ugen,
          cgen,
          password_change_required: true,
        }
      : {
          iss: options.issuer,
          sub,
          aud: options.audience,
          exp,
          nbf: nbf ?? iat,
          iat,
          jti,
          sid,
          client_id: clientId,
          scope: scopeText,
          gen,
          ugen,
          cgen,
        };
  const stamp = { iss: options.issuer, jti, sid, sub, clientId, kid, iat, gen, ugen, cgen };
  return { claims, kid, key, stamp };
}

/** A safe integer ≥ 0: seconds since 1970, or a generation counter. */
function isWholeSeconds(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
