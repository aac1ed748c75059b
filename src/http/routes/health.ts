/**
 * Liveness, readiness and the seed-compatible revocation status, all from one probe
 * (app/service-health.ts): ready and degraded instances answer /readyz with 200 (they still decide
 * token checks), an instance that cannot decide them with 503.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { probeServiceHealth } from '../../app/service-health.js';

/** The seeds' names for the states (`GET /api/v1/auth/revocation-status`). */
const SEED_STATUS = { ready: 'healthy', degraded: 'degraded', unavailable: 'unavailable' } as const;

export function healthRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/healthz', { config: { lockdownExempt: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: { lockdownExempt: true } }, async (_request, reply) => {
    const health = await probeServiceHealth(ctx);
    // Mail is optional: it never makes the service unready. Pending = outbox messages not yet sent.
    const mailPending = health.store === 'ok' ? await ctx.store.countPendingOutbox().catch(() => null) : null;
    return reply.code(health.state === 'unavailable' ? 503 : 200).send({
      status: health.state,
      reasons: health.reasons,
      checks: {
        store: health.store, replica: health.replica, replica_staleness_ms: health.replicaStalenessMs,
        feed_wakeups: ctx.replica.wakeupStatus(),
        mail: ctx.config.smtpUrl === undefined ? 'not_configured' : 'configured', mail_pending: mailPending,
      },
    });
  });

  app.get('/api/v1/auth/revocation-status', async () => {
    const health = await probeServiceHealth(ctx);
    return {
      service: 'token_revocation', status: SEED_STATUS[health.state], backend: ctx.store.backend, fail_mode: ctx.config.failMode,
      reasons: health.reasons.map((r) => r.reason),
    };
  });
}
