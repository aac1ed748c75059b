/**
 * The one way anything is revoked: commit to the store (durable before we answer), then apply the
 * feed records to this process's replica so the very next request here sees it.
 */
import type { RevocationContext, RevocationReport, RevocationTarget } from '../stores/types.js';
import { type AppContext, accessCoverMs } from './context.js';

/** Who asks and why; the clock and the entry lifetimes are filled in here. */
export type RevokeRequest = Omit<RevocationContext, 'nowMs' | 'accessCoverMs'>;

export async function revoke(ctx: AppContext, target: RevocationTarget, request: RevokeRequest): Promise<RevocationReport> {
  const report = await ctx.store.revoke(target, { ...request, nowMs: ctx.now(), accessCoverMs: accessCoverMs(ctx.config) });
  ctx.replica.applyLocal(report.records);
  if (report.changed) {
    ctx.events.emit('revoked', { scope: target.scope, reason: request.reason, initiator: request.initiator, count: Math.max(1, report.sessions) });
  }
  ctx.log.info({ scope: target.scope, reason: request.reason, initiator: request.initiator, sessions: report.sessions }, 'revoked');
  return report;
}

/** Entry lifetime for a single access token: until it can no longer be accepted (exp + tolerance). */
export function tokenEntryExpiryMs(ctx: AppContext, expSec: number): number {
  return (expSec + ctx.config.clockToleranceSeconds + 1) * 1000;
}
