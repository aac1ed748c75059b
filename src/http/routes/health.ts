/** Liveness, readiness and the seed-compatible revocation status. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.js';

export function healthRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/healthz', { config: { lockdownExempt: true } }, async () => ({ status: 'ok' }));

  const probe = async (): Promise<{ store: boolean; replicaStalenessMs: number; replicaCurrent: boolean }> => {
    const store = await ctx.store.ping().then(() => true, () => false);
    return { store, replicaStalenessMs: ctx.replica.stalenessMs(), replicaCurrent: !ctx.replica.isStale() };
  };

  app.get('/readyz', { config: { lockdownExempt: true } }, async (_request, reply) => {
    const p = await probe();
    const ready = p.store && p.replicaCurrent;
    // Mail is optional: it never makes the service unready. Pending = outbox messages not yet sent.
    const mailPending = p.store ? await ctx.store.countPendingOutbox().catch(() => null) : null;
    return reply.code(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not_ready',
      checks: {
        store: p.store ? 'ok' : 'unreachable', replica: p.replicaCurrent ? 'current' : 'stale', replica_staleness_ms: p.replicaStalenessMs,
        mail: ctx.config.smtpUrl === undefined ? 'not_configured' : 'configured', mail_pending: mailPending,
      },
    });
  });

  app.get('/api/v1/auth/revocation-status', async () => {
    const p = await probe();
    const status = p.store && p.replicaCurrent ? 'healthy' : p.replicaCurrent ? 'degraded' : 'unavailable';
    return { service: 'token_revocation', status, backend: ctx.store.backend, fail_mode: ctx.config.failMode };
  });
}
