/**
 * Signed checkpoints of the audit head in the service log: one at start and one every
 * REVOKD_AUDIT_CHECKPOINT_INTERVAL_MS. The log lives apart from the database (shipped off the host
 * in most deployments), so a later truncation or rewrite of the log is caught by
 * `revokd audit verify --checkpoint` with any checkpoint taken from it.
 */
import type { AppContext } from '../context.js';

export function startCheckpointLog(ctx: Pick<AppContext, 'audit' | 'store' | 'log' | 'now' | 'config'>): () => void {
  const emit = async (): Promise<void> => {
    try {
      const checkpoint = await ctx.audit.checkpoint(ctx.store, ctx.now());
      if (checkpoint === undefined) ctx.log.error('audit log does not verify: no checkpoint signed (run `revokd audit verify`)');
      else ctx.log.info({ auditCheckpoint: checkpoint }, 'audit checkpoint');
    } catch (err) {
      ctx.log.warn({ err }, 'audit checkpoint failed');
    }
  };
  void emit();
  const timer = setInterval(() => void emit(), ctx.config.auditCheckpointIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
