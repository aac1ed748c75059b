/**
 * The counters port: windowed counters (rate limits, lockouts) and once-per-window rate windows
 * (conformance: test/stores/conformance/counters.ts).
 */
export interface CountersPort {
  /** Adds one to a counter whose window opens at its first event; returns the count in the window. */
  incrementCounter(key: string, windowMs: number, nowMs: number): Promise<number>;
  /** The count in the open window (0 when none) and when that window closes. */
  readCounter(key: string, windowMs: number, nowMs: number): Promise<{ count: number; resetAtMs: number }>;
  /** When a once-per-window limit (`ApiTokenRevocation.rateWindow`) was last used, or undefined if never. */
  findRateWindowLastUse(key: string): Promise<number | undefined>;
}
