/**
 * The one way anything is revoked: commit to the store (durable before we answer), then apply the
 * feed records to this process's replica so the very next request here sees it. A revocation that
 * commits inside another write (a new password's) goes through the same two halves.
 */
import type { RevocationContext, RevocationReport, RevocationTarget } from '../stores/types.js';
import { assertWindowInPast, windowEntryExpiryMs } from '../core/revocation/window-rules.js';
import type { AccessClaims } from '../core/tokens/access-token.js';
import { type AppContext, accessCoverMs } from './context.js';

/** Who asks and why; the clock and the entry lifetimes are filled in here. */
export type RevokeRequest = Omit<RevocationContext, 'nowMs' | 'accessCoverMs'>;

export async function revoke(
  ctx: AppContext,
  requested: RevocationTarget,
  request: RevokeRequest,
): Promise<RevocationReport> {
  const nowMs = ctx.now();
  const target = withEntryLifetime(ctx, requested, nowMs);
  const context = revocationContext(ctx, request, nowMs);
  const report = await ctx.stores.revocations.revoke(target, context);
  revocationCommitted(ctx, target.scope, request, report);
  return report;
}

/** The full context of a revocation committed by another store write (e.g. a new password's). */
export function revocationContext(
  ctx: AppContext,
  request: RevokeRequest,
  nowMs: number,
): RevocationContext {
  return { ...request, nowMs, accessCoverMs: accessCoverMs(ctx.config) };
}

/** After any revocation's commit: this replica applies it at once, and it is counted and logged. */
export function revocationCommitted(
  ctx: AppContext,
  scope: RevocationTarget['scope'],
  request: RevokeRequest,
  report: RevocationReport,
): void {
  ctx.replica.applyLocal(report.records);
  if (report.changed) {
    ctx.events.emit('revoked', {
      scope,
      reason: request.reason,
      initiator: request.initiator,
      count: Math.max(1, report.sessions),
    });
  }
  ctx.log.info(
    { scope, reason: request.reason, initiator: request.initiator, sessions: report.sessions },
    'revoked',
  );
}

/** A window is checked against the clock and given its entry lifetime (core/revocation/window-rules). */
function withEntryLifetime(
  ctx: AppContext,
  target: RevocationTarget,
  nowMs: number,
): RevocationTarget {
  if (target.scope !== 'window') return target;
  assertWindowInPast(target.toSec, nowMs, ctx.config.clockToleranceSeconds);
  return { ...target, expiresAtMs: windowEntryExpiryMs(target.toSec, ctx.config) };
}

/**
 * The revocation of one verified access token: its own entry, by issuer and jti, kept until the
 * token can no longer be accepted (exp + tolerance).
 */
export function accessTokenTarget(
  ctx: AppContext,
  claims: Pick<AccessClaims, 'iss' | 'jti' | 'exp'>,
): Extract<RevocationTarget, { scope: 'token' }> {
  const expiresAtMs = (claims.exp + ctx.config.clockToleranceSeconds + 1) * 1000;
  return { scope: 'token', issuer: claims.iss, jti: claims.jti, expiresAtMs };
}
