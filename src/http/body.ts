/** Small, strict readers for request bodies: anything unexpected is a 400, never a 500. */
import type { FastifyRequest } from 'fastify';
import { RevokdError } from '../core/errors.js';

export type BodyObject = Record<string, unknown>;

export function jsonBody(request: FastifyRequest, options: { allowEmpty?: boolean } = {}): BodyObject {
  const body = request.body;
  if (body === undefined) {
    if (options.allowEmpty === true) return {};
    throw new RevokdError('ERR_VALIDATION', 'a JSON object body is required');
  }
  // A literal `null` body is a malformed request, not an empty one.
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new RevokdError('ERR_VALIDATION', 'body must be a JSON object');
  return body as BodyObject;
}

export function optionalString(body: BodyObject, field: string, maxLength: number): string | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw new RevokdError('ERR_VALIDATION', `${field} must be a non-empty string of at most ${maxLength} characters`);
  }
  return value;
}

export function requiredString(body: BodyObject, field: string, maxLength: number): string {
  const value = optionalString(body, field, maxLength);
  if (value === undefined) throw new RevokdError('ERR_VALIDATION', `${field} is required`);
  return value;
}
