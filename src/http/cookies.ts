/** Reading and writing the few cookies the web UI uses (no cookie plugin needed for that). */
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The value of one cookie from the Cookie header (the first one of that name), or undefined. */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string' || header.length > 16_384) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      return decodeURIComponent(value);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export interface CookieOptions {
  /** Seconds; 0 deletes the cookie. Omitted: a browser-session cookie. */
  readonly maxAgeSeconds?: number;
  readonly secure: boolean;
  readonly sameSite: 'Strict' | 'Lax';
}

/** Appends a Set-Cookie header (HttpOnly, Path=/ always). */
export function setCookie(reply: FastifyReply, name: string, value: string, options: CookieOptions): void {
  const parts = [`${name}=${encodeURIComponent(value)}`, 'Path=/', 'HttpOnly', `SameSite=${options.sameSite}`];
  if (options.secure) parts.push('Secure');
  if (options.maxAgeSeconds !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`);
  // Fastify appends to an existing Set-Cookie rather than replacing it.
  reply.header('set-cookie', parts.join('; '));
}
