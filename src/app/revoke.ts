/**
 * The one way anything is revoked: commit to the store (durable before we answer), then apply the
 * feed records to this process's replica so the very next request here sees it.
 */
import type { RevocationContext, RevocationReport, RevocationTarget } from '../stores/types.js';
import { assertWindowInPast, windowEntryExpiryMs } from '../core/revocation/window-rules.js';
import { type AppContext, accessCoverMs } from './context.js';

/** Who asks and why; the clock and the entry lifetimes are filled in here. */
export type RevokeRequest = Omit<RevocationContext, 'nowMs' | 'accessCoverMs'>;

export async function revoke(ctx: AppContext, requested: RevocationTarget, request: RevokeRequest): Promise<RevocationReport> {
  const nowMs = ctx.now();
  const target = withEntryLifetime(ctx, requested, nowMs);
  const report = await ctx.store.revoke(target, { ...request, nowMs, accessCoverMs: accessCoverMs(ctx.config) });
  ctx.replica.applyLocal(report.records);
  if (report.changed) {
    ctx.events.emit('revoked', { scope: target.scope, reason: request.reason, initiator: request.initiator, count: Math.max(1, report.sessions) });
  }
  ctx.log.info({ scope: target.scope, reason: request.reason, initiator: request.initiator, sessions: report.sessions }, 'revoked');
  return report;
}

/** A window is checked against the clock and given its entry lifetime (core/revocation/window-rules). */
function withEntryLifetime(ctx: AppContext, target: RevocationTarget, nowMs: number): RevocationTarget {
  if (target.scope !== 'window') return target;
  assertWindowInPast(target.toSec, nowMs, ctx.config.clockToleranceSeconds);
  return { ...target, expiresAtMs: windowEntryExpiryMs(target.toSec, ctx.config) };
}

/** Entry lifetime for a single access token: until it can no longer be accepted (exp + tolerance). */
export function tokenEntryExpiryMs(ctx: AppContext, expSec: number): number {
  return (expSec + ctx.config.clockToleranceSeconds + 1) * 1000;
}
