/**
 * Refresh rotation rules shared by every backend: when a presented refresh token may rotate, and
 * how long its successor lives. The backend does the compare-and-set and the writes atomically;
 * these decide on the rows it read inside that transaction.
 */
import { isLiveAt } from './entry-lifetime.js';

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

/** Generation counters: those stamped on a token, or those current at commit. */
export interface GenerationCounters {
  readonly gen: number;
  readonly ugen: number;
  readonly cgen: number;
}

/**
 * What a backend read, inside the rotation's transaction, about whom the session is for. The
 * replica check the app makes first can lag a remedy committed on another instance (or one this
 * instance has not applied yet); these make the store itself refuse the rotation.
 */
export interface RotatingSubject {
  /** The session's user is disabled (false for a client's session). */
  readonly userDisabled: boolean;
  /** The presented token's stamp. */
  readonly stamped: GenerationCounters;
  /** The counters current at commit. */
  readonly current: GenerationCounters;
}

/** A token stamped below any current counter is covered by a generation revocation. */
export function generationSuperseded(
  stamped: GenerationCounters,
  current: GenerationCounters,
): boolean {
  return stamped.gen < current.gen || stamped.ugen < current.ugen || stamped.cgen < current.cgen;
}

/**
 * Why the token may not rotate at `nowMs`, or null when it may. Consumption is checked first (a
 * replay is reuse even after expiry); a token or session ending at exactly `nowMs` is over; then
 * the subject read in the same transaction, when given.
 */
export function rotationRefusal(
  token: RotatingToken,
  session: RotatingSession,
  nowMs: number,
  subject?: RotatingSubject,
): RotationRefusal | null {
  if (token.consumedAtMs !== null) return 'already_consumed';
  if (!isLiveAt(token.expiresAtMs, nowMs)) return 'expired';
  if (session.revokedAtMs !== null || !isLiveAt(session.expiresAtMs, nowMs))
    return 'session_inactive';
  // A disable or a generation bump not yet reflected on the session row (the disable's revocation
  // is a second commit; the owner's password change keeps its session but bumps the generation).
  if (
    subject !== undefined &&
    (subject.userDisabled || generationSuperseded(subject.stamped, subject.current))
  )
    return 'session_inactive';
  return null;
}

/** A refresh token (a successor, or a session's first) never outlives its session's absolute end. */
export function clampRefreshExpiryMs(
  requestedExpiresAtMs: number,
  sessionExpiresAtMs: number,
): number {
  return Math.min(requestedExpiresAtMs, sessionExpiresAtMs);
}
