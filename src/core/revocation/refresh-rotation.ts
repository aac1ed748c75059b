/**
 * Refresh rotation rules shared by every backend: when a presented refresh token may rotate, and
 * how long its successor lives. The backend does the compare-and-set and the writes atomically;
 * these decide on the rows it read inside that transaction.
 */

/** What a backend read about the presented refresh token. */
export interface RotatingToken {
  readonly consumedAtMs: number | null;
  readonly expiresAtMs: number;
}

/** What a backend read about the token's session. */
export interface RotatingSession {
  readonly revokedAtMs: number | null;
  readonly expiresAtMs: number;
}

export type RotationRefusal = 'already_consumed' | 'expired' | 'session_inactive';

/**
 * Why the token may not rotate at `nowMs`, or null when it may. Consumption is checked first (a
 * replay is reuse even after expiry); a token or session ending at exactly `nowMs` is over.
 */
export function rotationRefusal(token: RotatingToken, session: RotatingSession, nowMs: number): RotationRefusal | null {
  if (token.consumedAtMs !== null) return 'already_consumed';
  if (token.expiresAtMs <= nowMs) return 'expired';
  if (session.revokedAtMs !== null || session.expiresAtMs <= nowMs) return 'session_inactive';
  return null;
}

/** A refresh token (a successor, or a session's first) never outlives its session's absolute end. */
export function clampRefreshExpiryMs(requestedExpiresAtMs: number, sessionExpiresAtMs: number): number {
  return Math.min(requestedExpiresAtMs, sessionExpiresAtMs);
}
