/**
 * Rules for window revocations ("every token issued between `from` and `to`"), shared by the admin
 * API, the CLI and the library (they all reach them through app/revoke).
 *
 * A window may only lie in the past: an end in the future would silently revoke tokens that have
 * not been issued yet, i.e. switch off issuance until then. The clock tolerance is allowed, so an
 * operator can say "up to now" from a machine whose clock is slightly ahead.
 *
 * An entry can go once nothing it covers can still be accepted. Covered tokens were issued before
 * `to`; the window is checked against access tokens and against refresh tokens (the refresh grant
 * and the UI's cookie session stamp a refresh token with its creation time), so the entry lives
 * until `to` plus the longer of the two lifetimes plus the tolerance (and one second for rounding).
 */
import { RevokdError } from '../errors.js';

export interface WindowLifetimes {
  readonly accessTtlSeconds: number;
  readonly refreshTtlSeconds: number;
  readonly clockToleranceSeconds: number;
}

/** Refuses a window that ends in the future (beyond the clock tolerance) with a 400. */
export function assertWindowInPast(
  toSec: number,
  nowMs: number,
  clockToleranceSeconds: number,
): void {
  if (toSec * 1000 > nowMs + clockToleranceSeconds * 1000) {
    throw new RevokdError(
      'ERR_VALIDATION',
      'window: the end must not lie in the future (a window can only cover tokens already issued)',
    );
  }
}

/** When a window entry can no longer cover a live token (ms since the epoch). */
export function windowEntryExpiryMs(toSec: number, lifetimes: WindowLifetimes): number {
  const longestTokenSeconds = Math.max(lifetimes.accessTtlSeconds, lifetimes.refreshTtlSeconds);
  return (toSec + longestTokenSeconds + lifetimes.clockToleranceSeconds + 1) * 1000;
}
