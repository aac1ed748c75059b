/**
 * The web UI's cookies, parsed and serialised by @fastify/cookie. What stays here is this
 * service's policy for every cookie it sets: HttpOnly and Path=/ always (a `__Host-` name needs
 * Path=/ and no Domain), SameSite and Secure as the caller decides (web-guard.ts).
 */
import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Parses the Cookie header of every request (onRequest). The parser never throws: a pair without
 * `=` is skipped, a value with a broken %-escape is kept as sent (it then matches no session).
 */
export async function installCookies(app: FastifyInstance): Promise<void> {
  await app.register(fastifyCookie, { hook: 'onRequest' });
}

/** The value of one cookie (the first one of that name in the header), or undefined. */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  // null when the parsing hook did not run for this request (an error answered before it).
  const cookies = request.cookies as FastifyRequest['cookies'] | null;
  if (cookies !== null) return cookies[name];
  const header = request.headers.cookie;
  return typeof header === 'string' ? request.server.parseCookie(header)[name] : undefined;
}

export interface CookieOptions {
  /** Seconds; 0 deletes the cookie. Omitted: a browser-session cookie. */
  readonly maxAgeSeconds?: number;
  readonly secure: boolean;
  readonly sameSite: 'Strict' | 'Lax';
}

/** Sets a cookie on the reply (HttpOnly, Path=/ always); setting the same name twice keeps the last. */
export function setCookie(
  reply: FastifyReply,
  name: string,
  value: string,
  options: CookieOptions,
): void {
  reply.setCookie(name, value, {
    path: '/',
    httpOnly: true,
    secure: options.secure,
    sameSite: options.sameSite === 'Strict' ? 'strict' : 'lax',
    ...(options.maxAgeSeconds === undefined
      ? {}
      : { maxAge: Math.max(0, Math.floor(options.maxAgeSeconds)) }),
  });
}
