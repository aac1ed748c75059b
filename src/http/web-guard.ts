/**
 * What every web-UI route shares: the cookie session, the anti-CSRF rules, the security headers and
 * the HTML error pages.
 *
 * CSRF: every POST is refused with 403 — before anything is read or changed — when
 *  - `Origin` is present and is not this service's origin (`null` included), or
 *  - `Sec-Fetch-Site` is present and is not `same-origin`, or
 *  - the form's `_csrf` field does not match the token bound to the session (or, for the sign-in
 *    form, which has no session yet, the value double-submitted in a SameSite=Strict cookie).
 * The session cookie is itself SameSite=Strict and HttpOnly. GET routes never change anything.
 */
import { randomBytes } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app/context.js';
import { type WebSession, csrfTokenMatches, findWebSession } from '../app/web-session.js';
import { trustedProxyMatcher } from '../core/containment/client-ip.js';
import { normaliseIp } from '../core/containment/ip-address.js';
import { RevokdError } from '../core/errors.js';
import { digestsEqual } from '../core/tokens/opaque.js';
import type { SafeHtml } from '../../web/html.js';
import type { Flash, Viewer } from '../../web/layout.js';
import { errorPage } from '../../web/pages/error.js';
import { readCookie, setCookie } from './cookies.js';
import { toRevokdError } from './send-error.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The web UI's cookie session, when the route loaded one. */
    webSession: WebSession | null;
  }
}

/** `default-src 'none'` and only same-origin scripts, styles and images; no framing, no <base>, forms post here only. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-frame-options': 'DENY',
  // Not `no-referrer`: with it, browsers send `Origin: null` on same-origin form posts, which the
  // Origin check must then refuse. `same-origin` still tells other sites nothing.
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};

/** A refused request: 403 with an explanation, nothing changed. */
export class CsrfRefusal extends Error {
  constructor(readonly detail: string) {
    super(detail);
  }
}

/** A page that needs a signed-in user was asked for without one. */
export class SignInRequired extends Error {
  constructor(readonly hadCookie: boolean) {
    super('sign in required');
  }
}

export class AdminRequired extends Error {}

/** A user with a generated password asked for another page: the Account page comes first. */
export class PasswordChangeRequired extends Error {}

export type WebGuard = ReturnType<typeof webGuard>;

export function webGuard(ctx: AppContext) {
  const issuerUrl = new URL(ctx.config.issuer);
  const trusted = trustedProxyMatcher(ctx.config.trustedProxies);

  /** HTTPS: the issuer says so, the socket is TLS, or a trusted proxy forwarded an https request. */
  const isSecure = (request: FastifyRequest): boolean => {
    if (issuerUrl.protocol === 'https:') return true;
    if ((request.socket as Partial<TLSSocket>).encrypted === true) return true;
    const peer = normaliseIp(request.socket.remoteAddress ?? '');
    const proto = request.headers['x-forwarded-proto'];
    return (
      peer !== undefined &&
      trusted.size > 0 &&
      trusted.matches(peer) &&
      typeof proto === 'string' &&
      proto.split(',')[0]!.trim() === 'https'
    );
  };

  /** `__Host-` cookies (Secure, Path=/, no Domain: bound to this exact origin) over HTTPS; plain names on http://. */
  const cookieName = (request: FastifyRequest, base: 'session' | 'login' | 'flash'): string =>
    isSecure(request) ? `__Host-revokd_${base}` : `revokd_${base}`;

  const cookieOptions = (request: FastifyRequest, maxAgeSeconds?: number) => ({
    secure: isSecure(request),
    sameSite: 'Strict' as const,
    ...(maxAgeSeconds === undefined ? {} : { maxAgeSeconds }),
  });

  /** The origins a same-origin form post can name: the issuer's, and the one the browser addressed. */
  const allowedOrigins = (request: FastifyRequest): Set<string> => {
    const origins = new Set([issuerUrl.origin]);
    const host = request.headers.host;
    if (typeof host === 'string' && /^[A-Za-z0-9.[\]:-]{1,300}$/.test(host))
      origins.add(`${isSecure(request) ? 'https' : 'http'}://${host.toLowerCase()}`);
    return origins;
  };

  /** Origin / Sec-Fetch-Site: throws CsrfRefusal for a cross-site request. */
  const checkSameOrigin = (request: FastifyRequest): void => {
    const site = request.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin')
      throw new CsrfRefusal(`Sec-Fetch-Site is ${String(site)}`);
    const origin = request.headers.origin;
    if (origin !== undefined && !allowedOrigins(request).has(String(origin).toLowerCase()))
      throw new CsrfRefusal('the Origin is not this service');
  };

  const loadSession = async (request: FastifyRequest): Promise<WebSession | undefined> => {
    const value = readCookie(request, cookieName(request, 'session'));
    const session = value === undefined ? undefined : await findWebSession(ctx, value);
    request.webSession = session ?? null;
    return session;
  };

  /** Signed in with a generated password: only routes marked beforePasswordChange open. */
  const requirePasswordChosen = (request: FastifyRequest, session: WebSession): void => {
    if (
      session.user.mustChangePassword === true &&
      request.routeOptions.config.beforePasswordChange !== true
    )
      throw new PasswordChangeRequired();
  };

  return {
    isSecure,
    cookieName,
    checkSameOrigin,
    loadSession,

    /** preHandler of signed-in pages (GET): no session ⇒ the sign-in page. */
    page: async (request: FastifyRequest): Promise<void> => {
      const session = await loadSession(request);
      if (session === undefined)
        throw new SignInRequired(readCookie(request, cookieName(request, 'session')) !== undefined);
      requirePasswordChosen(request, session);
    },

    /** preHandler of signed-in form posts: same-origin, a live session, and its anti-CSRF token. */
    post: async (request: FastifyRequest): Promise<void> => {
      checkSameOrigin(request);
      const session = await loadSession(request);
      if (session === undefined)
        throw new SignInRequired(readCookie(request, cookieName(request, 'session')) !== undefined);
      if (!csrfTokenMatches(session, formField(request, '_csrf')))
        throw new CsrfRefusal('the form’s anti-CSRF token is missing or wrong');
      requirePasswordChosen(request, session);
    },

    /** After page()/post(): the admin role. */
    admin: async (request: FastifyRequest): Promise<void> => {
      if (request.webSession?.user.role !== 'admin') throw new AdminRequired();
    },

    /** The sign-in form's double-submitted token: the cookie's value, made on first view. */
    loginToken(request: FastifyRequest, reply: FastifyReply): string {
      const existing = readCookie(request, cookieName(request, 'login'));
      if (existing !== undefined && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
      const token = randomBytes(32).toString('base64url');
      setCookie(reply, cookieName(request, 'login'), token, cookieOptions(request, 3600));
      return token;
    },

    loginTokenMatches(request: FastifyRequest): boolean {
      const cookie = readCookie(request, cookieName(request, 'login'));
      const field = formField(request, '_csrf');
      return cookie !== undefined && field !== undefined && digestsEqual(cookie, field);
    },

    setSession(
      request: FastifyRequest,
      reply: FastifyReply,
      refreshToken: string,
      maxAgeSeconds: number,
    ): void {
      setCookie(
        reply,
        cookieName(request, 'session'),
        refreshToken,
        cookieOptions(request, maxAgeSeconds),
      );
      setCookie(reply, cookieName(request, 'login'), '', cookieOptions(request, 0));
    },

    clearSession(request: FastifyRequest, reply: FastifyReply): void {
      setCookie(reply, cookieName(request, 'session'), '', cookieOptions(request, 0));
    },

    /** A one-shot message shown by the next page (kept in a short-lived cookie: survives the redirect). */
    setFlash(request: FastifyRequest, reply: FastifyReply, flash: Flash): void {
      setCookie(
        reply,
        cookieName(request, 'flash'),
        JSON.stringify({ k: flash.kind, t: flash.text.slice(0, 500) }),
        cookieOptions(request, 60),
      );
    },

    takeFlash(request: FastifyRequest, reply: FastifyReply): Flash | undefined {
      const raw = readCookie(request, cookieName(request, 'flash'));
      if (raw === undefined) return undefined;
      setCookie(reply, cookieName(request, 'flash'), '', cookieOptions(request, 0));
      try {
        const parsed = JSON.parse(raw) as { k?: unknown; t?: unknown };
        const kind =
          parsed.k === 'success' || parsed.k === 'error' || parsed.k === 'info'
            ? parsed.k
            : undefined;
        return kind === undefined || typeof parsed.t !== 'string'
          ? undefined
          : { kind, text: parsed.t };
      } catch {
        return undefined;
      }
    },

    viewer(request: FastifyRequest): Viewer {
      const s = request.webSession;
      if (s === null) throw new TypeError('viewer() needs a loaded web session');
      return { email: s.user.email, role: s.user.role, csrf: s.csrfToken };
    },
  };
}

/** One field of a posted form; a repeated field (an array) or a missing one is undefined. */
export function formField(request: FastifyRequest, name: string): string | undefined {
  const body = request.body;
  if (body === null || typeof body !== 'object') return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/** Sends a page (no-store: pages hold per-user data and anti-CSRF tokens). */
export function sendPage(reply: FastifyReply, body: SafeHtml, status = 200): FastifyReply {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(body.value);
}

/** 303 See Other: after a POST, the browser GETs the next page. */
export function redirect(reply: FastifyReply, location: string): FastifyReply {
  return reply.code(303).header('cache-control', 'no-store').header('location', location).send();
}

/** A local path safe to redirect to after sign-in (no scheme, no host, no `//`), else undefined. */
export function safeNext(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 200) return undefined;
  return /^\/(?:sessions|tokens|account|admin(?:\/[a-z]+)?)$/.test(value) ? value : undefined;
}

/** The error handler of every UI route: HTML pages, never JSON. */
export function webErrorHandler(guard: WebGuard) {
  return function renderWebError(
    err: unknown,
    request: FastifyRequest,
    reply: FastifyReply,
  ): FastifyReply {
    const viewer = request.webSession === null ? undefined : guard.viewer(request);
    if (err instanceof SignInRequired) {
      if (err.hadCookie) {
        guard.clearSession(request, reply);
        guard.setFlash(request, reply, {
          kind: 'info',
          text: 'Your session has ended. Sign in again.',
        });
      }
      const next = request.method === 'GET' ? safeNext(request.url.split('?')[0]) : undefined;
      return redirect(
        reply,
        next === undefined || next === '/sessions'
          ? '/login'
          : `/login?next=${encodeURIComponent(next)}`,
      );
    }
    if (err instanceof CsrfRefusal) {
      request.log.warn(
        { path: request.url.split('?')[0], detail: err.detail, ip: request.clientIp },
        'web UI: cross-site or forged form post refused',
      );
      return sendPage(
        reply,
        errorPage({
          status: 403,
          viewer,
          title: 'Request refused',
          message: `This form was not sent from a page of this service (${err.detail}), so nothing was changed. Reload the page and try again.`,
        }),
        403,
      );
    }
    if (err instanceof PasswordChangeRequired) {
      if (request.method === 'GET') return redirect(reply, '/account');
      return sendPage(
        reply,
        errorPage({
          status: 403,
          viewer,
          title: 'Choose a new password first',
          message:
            'Your password was generated when this service was set up. Choose your own on the Account page; nothing was changed.',
        }),
        403,
      );
    }
    if (err instanceof AdminRequired) {
      return sendPage(
        reply,
        errorPage({
          status: 403,
          viewer,
          title: 'Administrators only',
          message: 'The security console needs the admin role.',
        }),
        403,
      );
    }
    const mapped = toRevokdError(err, request);
    if (mapped.status >= 500 && mapped.code !== 'ERR_STORE_UNAVAILABLE')
      request.log.error({ err }, 'unhandled error in the web UI');
    if (mapped.retryAfterSeconds !== undefined)
      reply.header('retry-after', String(Math.max(1, Math.ceil(mapped.retryAfterSeconds))));
    const copy: Partial<Record<string, [string, string]>> = {
      ERR_IP_BLOCKED: [
        'Access blocked',
        'Requests from your network address are blocked by the administrators of this service.',
      ],
      ERR_NOT_FOUND: ['Not found', 'There is nothing here, or it is not yours.'],
      ERR_RATE_LIMITED: [
        'Too many requests',
        `Slow down a little and try again${mapped.retryAfterSeconds === undefined ? '' : ` in ${Math.ceil(mapped.retryAfterSeconds)} seconds`}.`,
      ],
      ERR_STORE_UNAVAILABLE: [
        'Temporarily unavailable',
        'The service cannot check sessions right now. Try again in a moment.',
      ],
      ERR_UNSUPPORTED_MEDIA_TYPE: [
        'Request refused',
        'This form was not sent the way the page sends it, so nothing was changed.',
      ],
    };
    const [title, message] =
      copy[mapped.code] ??
      (mapped.status >= 500
        ? ['Something went wrong', 'The request could not be completed. Try again in a moment.']
        : ['Request refused', mapped.message]);
    return sendPage(
      reply,
      errorPage({ status: mapped.status, viewer, title, message }),
      mapped.status,
    );
  };
}

/** Errors the handlers turn into form messages. */
export function isCode(err: unknown, ...codes: string[]): err is RevokdError {
  return err instanceof RevokdError && codes.includes(err.code);
}
