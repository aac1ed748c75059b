/**
 * Reads client credentials from HTTP Basic (RFC 6749 §2.3.1) or the form body, never both. A NUL
 * byte in either is malformed credentials (401 invalid_client, RFC 6749 §5.2), caught here because
 * client authentication runs before the validation layer's NUL check (nul-bytes.ts) and would
 * otherwise take it to the store.
 */
import type { FastifyRequest } from 'fastify';
import type { ClientCredentials } from '../app/clients.js';
import { RevokdError } from '../core/errors.js';
import { containsNul } from './nul-bytes.js';

const malformed = (): RevokdError =>
  new RevokdError('ERR_INVALID_CLIENT', 'malformed client credentials');

export function clientCredentialsOf(
  request: FastifyRequest,
  body: Record<string, unknown>,
): ClientCredentials {
  const header = request.headers.authorization;
  const formId = typeof body.client_id === 'string' ? body.client_id : undefined;
  const formSecret = typeof body.client_secret === 'string' ? body.client_secret : undefined;
  if (
    (formId !== undefined && containsNul(formId)) ||
    (formSecret !== undefined && containsNul(formSecret))
  )
    throw malformed();
  if (header !== undefined && /^Basic /i.test(header)) {
    if (formSecret !== undefined)
      throw new RevokdError('ERR_INVALID_CLIENT', 'use one client authentication method');
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new RevokdError('ERR_INVALID_CLIENT', 'malformed Basic credentials');
    try {
      // RFC 6749 §2.3.1: id and secret are form-urlencoded before being joined.
      const clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
      const clientSecret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
      if (containsNul(clientId) || containsNul(clientSecret)) throw malformed();
      if (formId !== undefined && formId !== clientId)
        throw new RevokdError('ERR_INVALID_CLIENT', 'client_id mismatch');
      return { clientId, clientSecret, viaBasic: true };
    } catch (err) {
      if (err instanceof RevokdError) throw err;
      throw new RevokdError('ERR_INVALID_CLIENT', 'malformed Basic credentials');
    }
  }
  return { clientId: formId, clientSecret: formSecret, viaBasic: false };
}
