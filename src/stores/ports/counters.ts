/**
 * The counters port: windowed counters (rate limits, lockouts, detector thresholds). The store
 * implements it (SQLite, PostgreSQL), and so do the Redis and in-memory counters
 * (src/stores/redis, src/stores/memory); the app reaches them through `ctx.counters`
 * (src/app/counters). Conformance: test/stores/conformance/counters.ts.
 */
export interface CountersPort {
  /** Adds one to a counter whose window opens at its first event; returns the count in the window. */
  incrementCounter(key: string, windowMs: number, nowMs: number): Promise<number>;
  /** The count in the open window (0 when none) and when that window closes. */
  readCounter(
    key: string,
    windowMs: number,
    nowMs: number,
  ): Promise<{ count: number; resetAtMs: number }>;
}

/**
 * Once-per-window limits kept by the store alone: `revokeApiTokens` checks and moves the window in
 * the same commit as the revocation, so they cannot live anywhere else.
 */
export interface RateWindowsPort {
  /** When a once-per-window limit (`ApiTokenRevocation.rateWindow`) was last used, or undefined if never. */
  findRateWindowLastUse(key: string): Promise<number | undefined>;
}
