/**
 * Wrong passwords, wherever they are typed (sign-in, and the current password of a password
 * change), count in one place: the per-(email, address) limit that refuses further tries for an
 * hour, and the `login_failed` event the brute-force detectors count per user and per address
 * (alerts, auto-block). So a stolen access token is no unlimited oracle for its user's password.
 */
import { countingKey } from '../core/containment/ip-address.js';
import { RevokdError } from '../core/errors.js';
import type { AppContext } from './context.js';

const WINDOW_MS = 3_600_000;

/** Keyed on the pair, so an attacker's address cannot lock the victim out from theirs. */
const pairKey = (email: string, ip: string): string =>
  `login_fail:pair:${email.toLowerCase()}|${countingKey(ip)}`;

/** Throws ERR_RATE_LIMITED (with Retry-After) when this email has failed too often from this address. */
export async function refuseIfTooManyFailures(
  ctx: AppContext,
  email: string,
  ip: string,
): Promise<void> {
  const attempts = await ctx.counters.readCounter(pairKey(email, ip), WINDOW_MS, ctx.now());
  if (attempts.count < ctx.config.loginAttemptsPerUserAndIp) return;
  ctx.events.emit('login_failed', { email, userId: null, ip });
  throw new RevokdError('ERR_RATE_LIMITED', 'too many failed password attempts; try again later', {
    retryAfterSeconds: Math.max(1, Math.ceil((attempts.resetAtMs - ctx.now()) / 1000)),
  });
}

/** Audits the failure (`user.login_failed` with its reason), counts it for the pair, and tells the detectors. */
export async function recordFailedPassword(
  ctx: AppContext,
  failure: { email: string; userId: string | null; ip: string; reason: string; actorId?: string },
): Promise<void> {
  await ctx.stores.audit.appendAudit(
    [
      {
        type: 'user.login_failed',
        actorType: failure.actorId === undefined ? 'anonymous' : 'user',
        actorId: failure.actorId ?? null,
        targetType: 'user',
        targetId: failure.userId,
        ip: failure.ip,
        details: { reason: failure.reason },
      },
    ],
    ctx.now(),
  );
  await ctx.counters.incrementCounter(pairKey(failure.email, failure.ip), WINDOW_MS, ctx.now());
  ctx.events.emit('login_failed', { email: failure.email, userId: failure.userId, ip: failure.ip });
}
