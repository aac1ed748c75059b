/**
 * Windowed counters in this process's memory, with the store's window semantics (a window opens at
 * its key's first event and lasts `windowMs`). Used for the HTTP rate limits when no Redis is
 * configured, and as the per-instance fallback while Redis is unreachable.
 *
 * Bounded: at most `maxKeys` keys; past that the least recently counted key is dropped, so a
 * flood of new addresses costs a fixed amount of memory. A dropped key simply starts again at zero
 * (a key untouched for longest is the one whose window has most likely closed anyway).
 */
import type { CountersPort } from '../ports/counters.js';

/** Keys kept by default: ~100 bytes each, so about 10 MB at the bound. */
export const DEFAULT_MEMORY_COUNTER_KEYS = 100_000;

interface Window {
  readonly startMs: number;
  count: number;
}

export class MemoryCounters implements CountersPort {
  /** Insertion order is recency order: a counted key is moved to the end. */
  private readonly windows = new Map<string, Window>();

  constructor(private readonly maxKeys = DEFAULT_MEMORY_COUNTER_KEYS) {
    if (!(maxKeys >= 1)) throw new RangeError('maxKeys must be at least 1');
  }

  /** How many keys are held (for tests of the bound). */
  get size(): number {
    return this.windows.size;
  }

  async readCounter(
    key: string,
    windowMs: number,
    nowMs: number,
  ): Promise<{ count: number; resetAtMs: number }> {
    const window = this.windows.get(key);
    if (window === undefined || nowMs - window.startMs >= windowMs)
      return { count: 0, resetAtMs: nowMs };
    return { count: window.count, resetAtMs: window.startMs + windowMs };
  }

  async incrementCounter(key: string, windowMs: number, nowMs: number): Promise<number> {
    const current = this.windows.get(key);
    this.windows.delete(key);
    const window =
      current === undefined || nowMs - current.startMs >= windowMs
        ? { startMs: nowMs, count: 0 }
        : current;
    window.count++;
    if (this.windows.size >= this.maxKeys) {
      const oldest = this.windows.keys().next().value;
      if (oldest !== undefined) this.windows.delete(oldest);
    }
    this.windows.set(key, window);
    return window.count;
  }
}
