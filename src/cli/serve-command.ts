/**
 * `revokd serve` (what `npm start` runs): start the HTTP service and stop it cleanly on SIGTERM or
 * Ctrl-C (SIGINT) — drain, flush, close, one log line, exit 0.
 *
 * Loaded by main.ts only for `serve`, so the other commands do not pay for Fastify and its routes.
 */
import { loadConfig } from '../core/config.js';
import { startServer } from '../server.js';

/** Past the grace period, the rest of the shutdown (flushes, closing the store) gets this long. */
const CLOSE_BUDGET_MS = 5_000;

export async function serve(): Promise<void> {
  const config = loadConfig();
  const server = await startServer(config);
  const log = server.ctx.log;
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    // Ctrl-C under `npm start` delivers SIGINT twice: the terminal sends it to the whole foreground
    // group, and npm forwards its own copy to this process. The second must not kill the process
    // halfway through its flushes (the default action, once no listener remains), so the listener
    // stays and repeats are ignored; the stop is bounded anyway.
    if (stopping) return;
    stopping = true;
    const startedAt = Date.now();
    const deadline = setTimeout(() => {
      log.error(
        { signal, ms: Date.now() - startedAt },
        'revokd did not stop in time (a store or Redis close hung); exiting anyway',
      );
      process.exit(1);
    }, config.http.shutdownGraceMs + CLOSE_BUDGET_MS);
    deadline.unref();
    server.close().then(
      (report) => {
        log.info(
          { signal, ms: Date.now() - startedAt, cutConnections: report.cutConnections },
          `revokd stopped (${signal}): requests drained${report.cutConnections > 0 ? `, ${report.cutConnections} connection(s) cut after ${config.http.shutdownGraceMs} ms` : ''}, writes flushed, store closed`,
        );
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err, signal }, 'revokd stopped with an error while closing');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
