/**
 * Liveness, readiness and the seed-compatible revocation status, all from one probe
 * (app/service-health.ts): ready and degraded instances answer /readyz with 200 (they still decide
 * token checks), an instance that cannot decide them with 503.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { SEED_HEALTH_WORD, probeServiceHealth } from '../../app/service-health.js';
import { Type } from '@sinclair/typebox';
import { SECURITY } from '../openapi.js';
import { ERROR_RESPONSES } from '../schemas/error.js';
import { Closed, Nullable, StringEnum } from '../schemas/shapes.js';

const Reason = StringEnum([
  'store_unreachable',
  'replica_stale',
  'feed_wakeup_down',
  'counters_degraded',
] as const);
const Readiness = Closed({
  status: StringEnum(['ready', 'degraded', 'unavailable'] as const),
  reasons: Type.Array(Closed({ reason: Reason, detail: Type.String() })),
  checks: Closed({
    store: Type.String(),
    replica: Type.String(),
    replica_staleness_ms: Type.Number(),
    feed_wakeups: Type.Array(
      Type.Union([
        Closed({ name: Type.String(), connected: Type.Literal(true) }),
        Closed({ name: Type.String(), connected: Type.Literal(false), problem: Type.String() }),
      ]),
    ),
    mail: StringEnum(['configured', 'not_configured'] as const),
    mail_pending: Nullable(Type.Integer({ description: 'Outbox messages not yet sent' })),
  }),
});
const probe = (summary: string, response: Record<string, unknown>) => ({
  tags: ['health'],
  summary,
  security: SECURITY.none,
  response,
});

export function healthRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get(
    '/healthz',
    {
      config: { lockdownExempt: true },
      schema: probe('Liveness', {
        200: Closed({ status: Type.Literal('ok') }),
        ...ERROR_RESPONSES,
      }),
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      config: { lockdownExempt: true },
      schema: probe(
        'Readiness: 200 when token checks can be decided (ready or degraded), 503 when not',
        { 200: Readiness, 503: Readiness, ...ERROR_RESPONSES },
      ),
    },
    async (_request, reply) => {
      const health = await probeServiceHealth(ctx);
      // Mail is optional: it never makes the service unready. Pending = outbox messages not yet sent.
      const mailPending =
        health.store === 'ok'
          ? await ctx.stores.outbox.countPendingOutbox().catch(() => null)
          : null;
      return reply.code(health.state === 'unavailable' ? 503 : 200).send({
        status: health.state,
        reasons: health.reasons,
        checks: {
          store: health.store,
          replica: health.replica,
          replica_staleness_ms: health.replicaStalenessMs,
          feed_wakeups: ctx.replica.wakeupStatus(),
          mail: ctx.config.smtpUrl === undefined ? 'not_configured' : 'configured',
          mail_pending: mailPending,
        },
      });
    },
  );

  app.get(
    '/api/v1/auth/revocation-status',
    {
      schema: probe('Revocation service status (seed-compatible names)', {
        200: Closed({
          service: Type.Literal('token_revocation'),
          status: StringEnum(['healthy', 'degraded', 'unavailable'] as const),
          backend: Type.String(),
          fail_mode: Type.String(),
          reasons: Type.Array(Reason),
        }),
        ...ERROR_RESPONSES,
      }),
    },
    async () => {
      const health = await probeServiceHealth(ctx);
      return {
        service: 'token_revocation',
        status: SEED_HEALTH_WORD[health.state],
        backend: ctx.stores.lifecycle.backend,
        fail_mode: ctx.config.failMode,
        reasons: health.reasons.map((r) => r.reason),
      };
    },
  );
}
