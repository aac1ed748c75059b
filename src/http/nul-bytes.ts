/**
 * NUL bytes (U+0000) in request input. No field of revokd's has a use for one, SQLite compares a
 * string with one as a different value, and PostgreSQL refuses it outright (SQLSTATE 22021, which
 * was a 500). So the validation layer refuses a NUL in any string a route reads — body (JSON or
 * form), query string, path parameters — with a 400 naming the field (validation.ts), before any
 * handler runs. Input read before that, by the credential checks, is judged there: client
 * credentials here (401 invalid_client, like any malformed ones); bearer tokens, API tokens and
 * session cookies by their own formats, which admit no NUL.
 */
import type { FastifyRequest } from 'fastify';

/** A string holding a NUL byte. */
export function containsNul(value: string): boolean {
  return value.includes('\u0000');
}

/**
 * Schema annotation for a field holding a presented token (refresh token, the token to revoke or
 * introspect): it is judged by the token's own rules, which never pass a NUL on, so a NUL gets the
 * answer any malformed token gets (401 invalid_grant, 404 "not yours", RFC 7009/7662's 200) rather
 * than a 400 that would set such tokens apart.
 */
export const PRESENTED_TOKEN = { 'x-presented-token': true } as const;

/** The first place in `value` holding a NUL (`email`, `scopes[0]`, a key), or undefined. */
function findNul(value: unknown, field: string, depth = 0): string | undefined {
  if (typeof value === 'string') return containsNul(value) ? field : undefined;
  // Parsed bodies are at most 64 KiB; the depth bound is only a guard against pathological nesting.
  if (value === null || typeof value !== 'object' || depth > 64) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], `${field}[${i}]`, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    const name = field === '' ? key : `${field}.${key}`;
    if (containsNul(key)) return `a field name in ${field === '' ? 'the request' : field}`;
    const found = findNul(item, name, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Top-level body fields the route's schema marks PRESENTED_TOKEN. */
function presentedTokenFields(request: FastifyRequest): Set<string> {
  const properties = (
    request.routeOptions.schema?.body as
      { properties?: Record<string, Record<string, unknown>> } | undefined
  )?.properties;
  const fields = new Set<string>();
  for (const [name, schema] of Object.entries(properties ?? {}))
    if (schema['x-presented-token'] === true) fields.add(name);
  return fields;
}

/** The field of the request's body, query or path parameters that holds a NUL, or undefined. */
export function fieldWithNul(request: FastifyRequest): string | undefined {
  const body = request.body;
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const skip = presentedTokenFields(request);
    for (const [key, item] of Object.entries(body)) {
      if (containsNul(key)) return 'a field name in the body';
      if (skip.has(key)) continue;
      const found = findNul(item, key);
      if (found !== undefined) return found;
    }
  } else {
    const found = findNul(body, 'body');
    if (found !== undefined) return found;
  }
  return findNul(request.query, '') ?? findNul(request.params, '');
}
