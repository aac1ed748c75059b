/**
 * A cheap in-memory budget per address key: at most `perKey` events per key and `total` events in
 * all per fixed window. It guards writes an outsider could otherwise make at will (a honeypot hit
 * writes an audit row and a counter), so it must cost nothing itself: memory is bounded by
 * `maxKeys` (the oldest key is dropped first) and there is no I/O.
 */
export class AddressBudget {
  private windowStart = 0;
  private totalUsed = 0;
  private readonly used = new Map<string, number>();

  constructor(
    private readonly options: { perKey: number; total: number; windowMs: number; maxKeys: number },
  ) {}

  /** Spends one unit for `key` at `nowMs`; false when the key or the whole budget is used up. */
  take(key: string, nowMs: number): boolean {
    if (nowMs - this.windowStart >= this.options.windowMs) {
      this.windowStart = nowMs;
      this.totalUsed = 0;
      this.used.clear();
    }
    const spent = this.used.get(key) ?? 0;
    if (spent >= this.options.perKey || this.totalUsed >= this.options.total) return false;
    if (spent === 0 && this.used.size >= this.options.maxKeys) {
      const oldest = this.used.keys().next().value;
      if (oldest !== undefined) this.used.delete(oldest);
    }
    this.used.set(key, spent + 1);
    this.totalUsed++;
    return true;
  }

  /** How long until the current window ends and every key's budget is whole again. */
  msUntilReset(nowMs: number): number {
    return Math.max(0, this.windowStart + this.options.windowMs - nowMs);
  }
}
