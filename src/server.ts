/**
 * `revokd serve`: the HTTP service. Listens, prunes expired state in the background, and shuts
 * down cleanly on SIGTERM/SIGINT (in-flight requests finish; nothing acknowledged is lost either
 * way, because every acknowledgement follows a commit).
 */
import type { FastifyInstance } from 'fastify';
import { openAppContext, type OpenedContext } from './app/open-app-context.js';
import type { Config } from './core/config.js';
import { sweepUnusedApiTokens } from './app/api-tokens/unused-token-sweep.js';
import { ensureFirstRunAdmin } from './app/first-run-admin.js';
import { buildApp } from './http/app.js';
import { DEFAULT_MAIL_FROM } from './mail/mail-transport.js';
import { OutboxWorker } from './mail/outbox-worker.js';
import { createSmtpTransport } from './mail/smtp-transport.js';

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly ctx: OpenedContext;
  readonly url: string;
  close(): Promise<void>;
}

export async function startServer(config: Config): Promise<RunningServer> {
  const ctx = await openAppContext(config);
  // Only `serve` makes the generated first admin: a CLI command on a fresh data dir must not.
  await ensureFirstRunAdmin(ctx);
  const app = await buildApp(ctx);
  const url = await app.listen({ port: config.port, host: config.host });
  // Housekeeping on one timer: drop expired state, and apply the unused-API-token policy.
  const pruner = setInterval(() => {
    ctx.store.prune(ctx.now()).catch((err: unknown) => ctx.log.warn({ err }, 'prune failed'));
    sweepUnusedApiTokens(ctx).catch((err: unknown) => ctx.log.warn({ err }, 'unused API token sweep failed'));
  }, config.pruneIntervalMs);
  pruner.unref();
  // Owner emails wait in the outbox (committed with the revocation) until a mail server is configured.
  const mailer = config.smtpUrl === undefined ? undefined : new OutboxWorker({
    store: ctx.store, transport: createSmtpTransport(config.smtpUrl), from: config.mailFrom ?? DEFAULT_MAIL_FROM,
    log: ctx.log, now: ctx.now, pollMs: config.mailPollMs,
  });
  mailer?.start();
  if (mailer === undefined) ctx.log.info('REVOKD_SMTP_URL is unset: owner emails are kept in the outbox and not sent');
  ctx.log.info({ url, backend: ctx.store.backend, dataDir: config.dataDir, alg: config.jwtAlg }, 'revokd listening');
  return {
    app, ctx, url,
    async close() {
      clearInterval(pruner);
      await app.close();
      await mailer?.stop();
      await ctx.close();
    },
  };
}
