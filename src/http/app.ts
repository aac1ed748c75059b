/**
 * The Fastify application: hooks that run before any route (client IP, body-type policy), the
 * routes, and one error shape. Built from an AppContext so tests and the CLI share it.
 */
import formbody from '@fastify/formbody';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AppContext } from '../app/context.js';
import { resolveClientIp, trustedProxyMatcher } from '../core/containment/client-ip.js';
import { countingKey } from '../core/containment/ip-address.js';
import { RevokdError } from '../core/errors.js';
import './request-context.js';
import { installHttpMetrics } from './http-metrics.js';
import { clientErrorHandler, frameworkErrorHandler, installErrorHandling } from './send-error.js';
import { applyConnectionCap, connectionLimitOptions } from './connection-limits.js';
import { installCookies } from './cookies.js';
import { installCors } from './cors.js';
import { installRateLimits } from './rate-limits.js';
import { acceptEmptyJsonBodies } from './json-body.js';
import { installNotFound } from './not-found.js';
import { installOpenApi } from './openapi.js';
import { AJV_OPTIONS, defaultOptionalBody, installSchemaValidation } from './validation.js';
import { adminRoutes } from './routes/admin.js';
import { adminUserStateRoutes } from './routes/admin-user-state.js';
import { passwordRoutes } from './routes/passwords.js';
import { honeypotRoutes } from './routes/honeypot.js';
import { apiTokenRoutes } from './routes/api-tokens.js';
import { authRoutes } from './routes/auth.js';
import { healthRoutes } from './routes/health.js';
import { oauthRoutes } from './routes/oauth.js';
import { securityRoutes } from './routes/security.js';
import { revocationStreamRoutes } from './routes/revocation-stream.js';
import { sessionRoutes } from './routes/sessions.js';
import { wellKnownRoutes } from './routes/well-known.js';
import { webRoutes } from './routes/web.js';

/** Bodies larger than this are refused with 413 before they are parsed. */
export const BODY_LIMIT_BYTES = 64 * 1024;

const EXPECTED_TYPE = {
  json: 'application/json',
  form: 'application/x-www-form-urlencoded',
} as const;

export async function buildApp(ctx: AppContext): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.log as unknown as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: false,
    routerOptions: { maxParamLength: 256 },
    requestIdHeader: false,
    return503OnClosing: true,
    // Errors answered before routing get the same {error, error_description, code} shape (SPEC §5).
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    ajv: AJV_OPTIONS,
    ...connectionLimitOptions(ctx.config.http),
  });
  applyConnectionCap(app, ctx.config.http);
  await app.register(formbody, { bodyLimit: BODY_LIMIT_BYTES });
  acceptEmptyJsonBodies(app, BODY_LIMIT_BYTES);
  // Before the lockdown hook, so even a request it refuses has its cookies parsed.
  await installCookies(app);
  const trusted = trustedProxyMatcher(ctx.config.trustedProxies);
  let warnedUntrustedForwarded = false;
  const warnUntrustedForwarded = (peer: string): void => {
    if (warnedUntrustedForwarded) return;
    warnedUntrustedForwarded = true;
    ctx.log.warn(
      { peer },
      'X-Forwarded-For from a peer that is not in REVOKD_TRUSTED_PROXIES was ignored: behind a proxy, list it there or every client looks like the proxy (logged once)',
    );
  };

  app.decorateRequest('clientIp', '');
  app.decorateRequest('clientKey', '');
  app.decorateRequest('auth', null);
  app.decorateRequest('apiAuth', null);
  app.addHook('onRequest', async (request) => {
    request.clientIp = resolveClientIp(
      request.socket.remoteAddress,
      request.headers['x-forwarded-for'],
      trusted,
      warnUntrustedForwarded,
    );
    request.clientKey = countingKey(request.clientIp);
    // Lockdown: a blocked address gets 403 before any route runs, login and honeypots included;
    // only the probes (lockdownExempt) answer, so a blocked monitor does not take the node out.
    if (
      request.routeOptions.config.lockdownExempt !== true &&
      ctx.security.blocks.blockFor(request.clientIp) !== undefined
    ) {
      throw new RevokdError('ERR_IP_BLOCKED', 'requests from this address are blocked');
    }
  });
  // After the lockdown hook (a blocked address gets no preflight either), before every route.
  await installCors(app, ctx.config.corsOrigins);
  // Each POST route names the body it takes; a JSON route will not accept a form (no login CSRF via
  // a cross-site form) and an RFC form endpoint will not accept JSON.
  app.addHook('preValidation', async (request) => {
    const expected = request.routeOptions.config.body;
    if (expected === undefined || expected === 'none') return;
    const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const noBody = type === '' && (request.body === undefined || request.body === null);
    if (!noBody && type !== EXPECTED_TYPE[expected]) {
      throw new RevokdError(
        'ERR_UNSUPPORTED_MEDIA_TYPE',
        `content-type must be ${EXPECTED_TYPE[expected]}`,
      );
    }
    defaultOptionalBody(request);
  });
  // Once closing (SIGTERM), a request finishing in flight is answered with `Connection: close`:
  // its keep-alive connection would otherwise stay open, idle, until the grace period cuts it.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    if (closing) reply.header('connection', 'close');
    return payload;
  });

  // Per-IP limits run as route-level onRequest hooks, so after the client-IP/lockdown hook above;
  // before any route is declared (it attaches to the routes it names as they are added).
  await installRateLimits(app, ctx);
  // Both collect routes as they are declared: the schemas validate requests and describe the API.
  installSchemaValidation(app);
  await installOpenApi(app, ctx.config.issuer);
  installErrorHandling(app);
  installNotFound(app);
  installHttpMetrics(app, ctx);
  healthRoutes(app, ctx);
  wellKnownRoutes(app, ctx);
  authRoutes(app, ctx);
  passwordRoutes(app, ctx);
  sessionRoutes(app, ctx);
  oauthRoutes(app, ctx);
  adminRoutes(app, ctx);
  adminUserStateRoutes(app, ctx);
  securityRoutes(app, ctx);
  honeypotRoutes(app, ctx);
  apiTokenRoutes(app, ctx);
  revocationStreamRoutes(app, ctx);
  webRoutes(app, ctx);
  return app;
}
