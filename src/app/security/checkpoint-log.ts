/**
 * Signed checkpoints of the audit head in the service log: one at start and one every
 * REVOKD_AUDIT_CHECKPOINT_INTERVAL_MS. The log lives apart from the database (shipped off the host
 * in most deployments), so a later truncation or rewrite of the log is caught by
 * `revokd audit verify --checkpoint` with any checkpoint taken from it.
 */
import type { AppContext, UsesStores } from '../context.js';

/** Starts the log; the returned stop() waits for a checkpoint in progress (the store is closed next). */
export function startCheckpointLog(
  ctx: Pick<AppContext, 'audit' | 'log' | 'now' | 'config'> & UsesStores<'audit'>,
): () => Promise<void> {
  let inFlight: Promise<void> = Promise.resolve();
  const emit = async (): Promise<void> => {
    try {
      const checkpoint = await ctx.audit.checkpoint(ctx.stores.audit, ctx.now());
      if (checkpoint === undefined)
        ctx.log.error(
          'audit log does not verify: no checkpoint signed (run `revokd audit verify`)',
        );
      else ctx.log.info({ auditCheckpoint: checkpoint }, 'audit checkpoint');
    } catch (err) {
      ctx.log.warn({ err }, 'audit checkpoint failed');
    }
  };
  const run = (): void => {
    inFlight = inFlight.then(emit);
  };
  run();
  const timer = setInterval(run, ctx.config.auditCheckpointIntervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await inFlight;
  };
}
