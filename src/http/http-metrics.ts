/**
 * Request counts and latency, and the GET /metrics route (SPEC §5.5).
 *
 * Requests are labelled with the route *pattern* (`/api/v1/tokens/:id`), or `unmatched` for
 * anything no route answers — never the raw URL, so ids and tokens in paths never become labels.
 * Honeypot paths are labelled `unmatched` too: they answer like unknown paths, and the exposition
 * should not list the decoys (their hits are counted in `revokd_deception_hits_total`).
 *
 * With REVOKD_METRICS_TOKEN set, /metrics requires `Authorization: Bearer <token>`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ErrorBody as ERROR_BODY } from './schemas/error.js';
import { SECURITY } from './openapi.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../app/context.js';
import { RevokdError } from '../core/errors.js';

export const METRICS_PATH = '/metrics';
export const UNMATCHED_ROUTE = 'unmatched';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Compares the presented bearer with the configured token in constant time (hashes: equal lengths). */
export function metricsTokenMatches(authorization: string | undefined, expected: string): boolean {
  const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(authorization ?? '');
  const presented = match?.[1] ?? '';
  // Always compare, even when nothing was presented, so timing says nothing either way.
  const equal = timingSafeEqual(digest(presented), digest(expected));
  return equal && match !== null;
}

export function installHttpMetrics(app: FastifyInstance, ctx: AppContext): void {
  const { metrics } = ctx;
  const decoys = new Set(ctx.config.honeypotPaths);
  // Propagation latency: revocations this process's view applies, from their commit.
  metrics.watchReplica(ctx.replica, ctx.now);

  const routeOf = (request: FastifyRequest): string => {
    const url = request.routeOptions.url;
    if (request.is404 || url === undefined || url === '' || decoys.has(url)) return UNMATCHED_ROUTE;
    return url;
  };

  // onResponse only (no onRequest start time): a request refused by an earlier hook (blocked IP,
  // wrong content type) is still counted, and Fastify's own clock gives the latency.
  app.addHook('onResponse', async (request, reply) => {
    try {
      metrics.observeHttpRequest(
        request.method,
        routeOf(request),
        reply.statusCode,
        reply.elapsedTime / 1000,
      );
    } catch (err) {
      request.log.warn({ err }, 'could not record request metrics');
    }
  });

  app.get(
    METRICS_PATH,
    {
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics (bearer REVOKD_METRICS_TOKEN when one is configured)',
        security: SECURITY.optionalBearer,
        response: {
          200: {
            description: 'Prometheus text exposition format',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
          '4xx': ERROR_BODY,
        },
      },
    },
    async (request, reply) => {
      const expected = ctx.config.metricsToken;
      if (expected !== undefined && !metricsTokenMatches(request.headers.authorization, expected)) {
        throw new RevokdError('ERR_INVALID_TOKEN', 'a valid metrics token is required');
      }
      const { contentType, body } = await metrics.render();
      return reply.header('cache-control', 'no-store').type(contentType).send(body);
    },
  );
}
