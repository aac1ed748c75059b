/**
 * `revokd serve`: the HTTP service. Listens, prunes expired state in the background, and closes
 * cleanly (src/cli/serve-command.ts calls close() on SIGTERM/SIGINT): in-flight requests get
 * REVOKD_SHUTDOWN_GRACE_MS to finish, batched writes are flushed, the store is closed. Nothing
 * acknowledged is lost either way, because every acknowledgement follows a commit.
 */
import type { FastifyInstance } from 'fastify';
import { openAppContext, type OpenedContext } from './app/open-app-context.js';
import type { Config } from './core/config.js';
import { sweepUnusedApiTokens } from './app/api-tokens/unused-token-sweep.js';
import { finishEndedSecretGraces } from './app/client-secret-grace.js';
import { ensureFirstRunAdmin } from './app/first-run-admin.js';
import { buildApp } from './http/app.js';
import { DEFAULT_MAIL_FROM } from './mail/mail-transport.js';
import { OutboxWorker } from './mail/outbox-worker.js';

/** What close() had to do; the shutdown log line reports it. */
export interface ShutdownReport {
  /** Connections still open when the grace period ended (a stalled upload, a slow client), cut then. */
  readonly cutConnections: number;
}

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly ctx: OpenedContext;
  readonly url: string;
  close(): Promise<ShutdownReport>;
}

export async function startServer(config: Config): Promise<RunningServer> {
  const ctx = await openAppContext(config);
  // Only `serve` makes the generated first admin: a CLI command on a fresh data dir must not.
  await ensureFirstRunAdmin(ctx);
  const app = await buildApp(ctx);
  const url = await app.listen({ port: config.port, host: config.host });
  // Housekeeping on one timer: drop expired state, apply the unused-API-token policy, and finish
  // the client-secret graces that have ended.
  const pruner = setInterval(() => {
    ctx.stores.revocations
      .prune(ctx.now())
      .catch((err: unknown) => ctx.log.warn({ err }, 'prune failed'));
    sweepUnusedApiTokens(ctx).catch((err: unknown) =>
      ctx.log.warn({ err }, 'unused API token sweep failed'),
    );
    finishEndedSecretGraces(ctx).catch((err: unknown) =>
      ctx.log.warn({ err }, 'finishing client secret graces failed'),
    );
  }, config.pruneIntervalMs);
  pruner.unref();
  // Owner emails wait in the outbox (committed with the revocation) until a mail server is configured.
  const mailer =
    config.smtpUrl === undefined
      ? undefined
      : new OutboxWorker({
          store: ctx.stores.outbox,
          // Loaded only when configured: a process that sends no mail need not hold nodemailer.
          transport: (await import('./mail/smtp-transport.js')).createSmtpTransport(config.smtpUrl),
          from: config.mailFrom ?? DEFAULT_MAIL_FROM,
          log: ctx.log,
          now: ctx.now,
          pollMs: config.mailPollMs,
        });
  mailer?.start();
  if (mailer === undefined)
    ctx.log.info('REVOKD_SMTP_URL is unset: owner emails are kept in the outbox and not sent');
  ctx.log.info(
    { url, backend: ctx.stores.lifecycle.backend, dataDir: config.dataDir, alg: config.jwtAlg },
    'revokd listening',
  );
  return {
    app,
    ctx,
    url,
    async close() {
      clearInterval(pruner);
      // app.close() stops accepting, answers new requests on open connections with 503, ends the
      // push streams (their preClose hook) and waits for the requests in flight. A client can hold
      // a request open for up to REVOKD_REQUEST_TIMEOUT_MS (30 s) by sending slowly: past the grace
      // period its connection is cut, so a stop is bounded whatever clients do.
      let cutConnections = 0;
      const grace = setTimeout(() => {
        app.server.getConnections((err, count) => {
          cutConnections = err === null ? count : 0;
          app.server.closeAllConnections();
        });
      }, config.http.shutdownGraceMs);
      try {
        await app.close();
      } finally {
        clearTimeout(grace);
      }
      // Then the writers: the mail worker finishes the message it is sending, and ctx.close()
      // flushes the batched API-token last-use times and replay counts before closing the store,
      // the Redis counters and the PostgreSQL pool.
      await mailer?.stop();
      await ctx.close();
      return { cutConnections };
    },
  };
}
