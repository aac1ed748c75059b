/**
 * Rate limits (SPEC §5.4) on login, refresh, revoke, revoke-all and token creation, with
 * `@fastify/rate-limit`. Every route in LIMITED_ROUTES gets its own fixed one-minute window:
 *
 * - per client IP (`request.clientKey`: an IPv6 client's /64, the key the detectors count
 *   by; the same key in memory and in Redis), resolved by the app's first onRequest hook: the limiter runs
 *   as a route-level onRequest hook, so after the client IP is known and after the lockdown check
 *   (a blocked address gets 403 and spends nothing), and before the body is read;
 * - per user on bearer routes: a second limiter keyed by the bearer's subject, appended to the
 *   route's preHandlers so it runs after authentication (a stolen token used from many addresses
 *   still meets one budget). Only authenticated requests count against a user.
 *
 * Routes without a known user are limited per IP only: login (a per-email budget would let anyone
 * lock a victim out; wrong passwords are limited per (email, IP) in app/login.ts and alerted on per
 * user by the detectors), refresh and /oauth/token (the user is only known once the refresh token
 * has been consumed) and /oauth/revoke (a client, not a user, calls it).
 *
 * Every request presenting a bearer token (`Authorization: Bearer …`: access or API token, any
 * route, including ones added later) also meets one per-IP budget, REVOKD_RATE_LIMIT_BEARER_PER_MINUTE,
 * counted before the token is checked: a flood of (revoked or forged) tokens from one address is
 * cut off without a signature check or a store read per request. That budget is always counted in
 * this process's memory (per instance), never in Redis: it is on the token-check hot path.
 *
 * The route counters are the app's counters (rate-limit-store.ts over `countersForRequests`): in
 * Redis when REVOKD_REDIS_URL is set, shared by every instance — and per instance, in memory, while
 * Redis is down or slow (src/app/counters/degrading-counters.ts) — otherwise in this process's
 * memory (bounded). Over the limit: 429 `ERR_RATE_LIMITED` in the usual error shape, with `Retry-After`.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import type { AppContext } from '../app/context.js';
import type { RateLimitConfig } from '../core/config.js';
import { RevokdError } from '../core/errors.js';
import { countersForRequests } from '../app/counters/open-counters.js';
import { rateLimitStoreOver } from './rate-limit-store.js';
import { AddressBudget } from '../core/containment/address-budget.js';

const WINDOW_MS = 60_000;

export interface LimitedRoute {
  readonly method: 'POST' | 'DELETE';
  readonly url: string;
  readonly budget: keyof RateLimitConfig;
  /** Also limited per authenticated user (bearer routes). */
  readonly perUser: boolean;
}

export const LIMITED_ROUTES: readonly LimitedRoute[] = [
  { method: 'POST', url: '/api/v1/auth/login', budget: 'loginPerMinute', perUser: false },
  { method: 'POST', url: '/api/v1/auth/refresh', budget: 'refreshPerMinute', perUser: false },
  { method: 'POST', url: '/oauth/token', budget: 'refreshPerMinute', perUser: false },
  { method: 'POST', url: '/api/v1/auth/revoke', budget: 'revokePerMinute', perUser: true },
  // A password guess like a sign-in (the login budget), and per user: a stolen token from many addresses meets one.
  { method: 'POST', url: '/api/v1/auth/password', budget: 'loginPerMinute', perUser: true },
  { method: 'POST', url: '/api/v1/auth/revoke-all', budget: 'revokePerMinute', perUser: true },
  { method: 'POST', url: '/api/v1/auth/logout-all', budget: 'revokePerMinute', perUser: true },
  {
    method: 'POST',
    url: '/api/v1/auth/logout-all-devices',
    budget: 'revokePerMinute',
    perUser: true,
  },
  { method: 'POST', url: '/oauth/revoke', budget: 'revokePerMinute', perUser: false },
  { method: 'POST', url: '/api/v1/tokens', budget: 'tokenCreatePerMinute', perUser: true },
  { method: 'POST', url: '/api/v1/tokens/revoke-all', budget: 'revokePerMinute', perUser: true },
  { method: 'DELETE', url: '/api/v1/tokens/:id', budget: 'revokePerMinute', perUser: true },
  // The web UI's forms, on the budgets of the API routes they stand for (own keys per route).
  { method: 'POST', url: '/login', budget: 'loginPerMinute', perUser: false },
  { method: 'POST', url: '/logout', budget: 'revokePerMinute', perUser: true },
  { method: 'POST', url: '/account/password', budget: 'loginPerMinute', perUser: true },
  { method: 'POST', url: '/sessions/:id/revoke', budget: 'revokePerMinute', perUser: true },
  { method: 'POST', url: '/sessions/logout-all', budget: 'revokePerMinute', perUser: true },
  { method: 'POST', url: '/sessions/not-me', budget: 'revokePerMinute', perUser: true },
  { method: 'POST', url: '/tokens', budget: 'tokenCreatePerMinute', perUser: true },
  { method: 'POST', url: '/tokens/:id/revoke', budget: 'revokePerMinute', perUser: true },
  { method: 'POST', url: '/tokens/revoke-all', budget: 'revokePerMinute', perUser: true },
  { method: 'POST', url: '/admin/users/:id/revoke', budget: 'revokePerMinute', perUser: true },
  {
    method: 'POST',
    url: '/admin/alerts/:id/acknowledge',
    budget: 'revokePerMinute',
    perUser: true,
  },
  { method: 'POST', url: '/admin/blocks', budget: 'revokePerMinute', perUser: true },
  { method: 'POST', url: '/admin/blocks/:id/unblock', budget: 'revokePerMinute', perUser: true },
];

function rateLimited(scope: 'address' | 'user', ttlMs: number): RevokdError {
  return new RevokdError(
    'ERR_RATE_LIMITED',
    `too many requests from this ${scope}; try again later`,
    {
      retryAfterSeconds: Math.max(1, Math.ceil(ttlMs / 1000)),
    },
  );
}

/** The authenticated subject of a bearer route (access token or API token) or a UI form (cookie session), if any. */
function subjectOf(request: FastifyRequest): string | undefined {
  return request.auth?.token.claims.sub ?? request.apiAuth?.user.id ?? request.webSession?.user.id;
}

/** Registers the limiter; call before any route is declared. */
export async function installRateLimits(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const limits = ctx.config.rateLimits;
  const store = rateLimitStoreOver(countersForRequests(ctx), ctx.now);

  const matched = new Set<LimitedRoute>();
  // Runs before the plugin's own onRoute hook (added below), so the plugin sees the config it sets.
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const limited = LIMITED_ROUTES.find((r) => r.url === route.url && methods.includes(r.method));
    if (limited === undefined) return;
    matched.add(limited);
    const max = limits[limited.budget];
    if (max === 0) return;
    route.config = { ...route.config, rateLimit: { max, timeWindow: WINDOW_MS } };
    if (limited.perUser) {
      const routeId = `${limited.method} ${limited.url}`;
      const perUser = app.createRateLimit({
        max,
        timeWindow: WINDOW_MS,
        keyGenerator: (request) => `user:${routeId}:${subjectOf(request) ?? ''}`,
      });
      const limitUser = async (request: FastifyRequest): Promise<void> => {
        if (subjectOf(request) === undefined) return;
        const result = await perUser(request);
        if (!result.isAllowed && result.isExceeded) throw rateLimited('user', result.ttl);
      };
      const existing =
        route.preHandler === undefined
          ? []
          : Array.isArray(route.preHandler)
            ? route.preHandler
            : [route.preHandler];
      route.preHandler = [...existing, limitUser];
    }
  });
  app.addHook('onReady', async () => {
    const missing = LIMITED_ROUTES.filter((r) => !matched.has(r)).map(
      (r) => `${r.method} ${r.url}`,
    );
    if (missing.length > 0)
      throw new Error(`rate limits name routes that do not exist: ${missing.join(', ')}`);
  });

  await app.register(rateLimit, {
    global: false,
    hook: 'onRequest',
    timeWindow: WINDOW_MS,
    // One key per counting range (an IPv6 client's /64), the same key the detectors count by.
    keyGenerator: (request) => `ip:${request.clientKey}`,
    // The counters degrade to memory rather than fail; should one still fail, let the request
    // through rather than deny it — the revocation checks do not depend on it.
    skipOnError: true,
    store,
    // No X-RateLimit-* headers: they would make otherwise identical answers differ (e.g. the 404 for
    // another user's token and for a random id). A 429 carries Retry-After, set by sendError.
    addHeaders: {
      'x-ratelimit-limit': false,
      'x-ratelimit-remaining': false,
      'x-ratelimit-reset': false,
      'retry-after': false,
    },
    addHeadersOnExceeding: {
      'x-ratelimit-limit': false,
      'x-ratelimit-remaining': false,
      'x-ratelimit-reset': false,
    },
    errorResponseBuilder: (_request, context) => rateLimited('address', context.ttl),
  });
  installBearerBudget(app, limits.bearerPerMinute);
}

const BEARER_HEADER = /^bearer\s/i;

/** Addresses whose bearer budget is tracked at once (oldest dropped first): bounded memory under a flood. */
const BEARER_BUDGET_KEYS = 100_000;

/**
 * The per-IP budget of every request that presents a bearer token (see the module comment). It is
 * kept in this process's memory even when Redis is configured: it sits on the token-check hot path,
 * which must not pay a network round trip, and as a flood guard a per-instance bound is enough.
 */
function installBearerBudget(app: FastifyInstance, max: number): void {
  if (max === 0) return;
  const budget = new AddressBudget({
    perKey: max,
    total: Number.POSITIVE_INFINITY,
    windowMs: WINDOW_MS,
    maxKeys: BEARER_BUDGET_KEYS,
  });
  // Added after the app's client-IP/lockdown hook, so it runs after it (a blocked address spends nothing).
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (header === undefined || !BEARER_HEADER.test(header)) return;
    const nowMs = Date.now();
    if (!budget.take(request.clientKey, nowMs))
      throw rateLimited('address', budget.msUntilReset(nowMs));
  });
}
