/**
 * A circuit breaker for a dependency that must never make callers wait (Redis for counters).
 *
 * - closed: calls go to the dependency;
 * - open: after a failure, calls go straight to the fallback — no waiting — and a probe runs in
 *   the background every `coolDownMs` until the dependency answers, then the circuit closes.
 *
 * So a request pays at most one dependency timeout (the call that found it failing), and no
 * request ever waits on a probe. Transitions are reported once each (not per call), for the log
 * and the degraded gauge.
 */
export interface CircuitBreakerOptions {
  readonly coolDownMs: number;
  /** One cheap call that succeeds only when the dependency answers. */
  readonly probe: () => Promise<void>;
  /** The circuit opened (with the failure that opened it) or closed again. */
  readonly onChange: (open: boolean, cause?: unknown) => void;
}

export class CircuitBreaker {
  private openSince: number | undefined;
  private lastCause: unknown;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: CircuitBreakerOptions) {}

  /** True while calls should go to the fallback. */
  get isOpen(): boolean {
    return this.openSince !== undefined;
  }

  /** The failure that opened the circuit (undefined when closed). */
  get cause(): unknown {
    return this.openSince === undefined ? undefined : this.lastCause;
  }

  /** A call to the dependency failed or timed out: open (if not already) and start probing. */
  failed(cause: unknown): void {
    this.lastCause = cause;
    if (this.openSince !== undefined || this.stopped) return;
    this.openSince = Date.now();
    this.options.onChange(true, cause);
    this.scheduleProbe();
  }

  /** Stops probing (process closing); the state stays as it is. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private scheduleProbe(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.probe();
    }, this.options.coolDownMs);
    // Probing never keeps a process alive.
    this.timer.unref();
  }

  private async probe(): Promise<void> {
    this.timer = undefined;
    try {
      await this.options.probe();
    } catch (err) {
      this.lastCause = err;
      this.scheduleProbe();
      return;
    }
    if (this.stopped || this.openSince === undefined) return;
    this.openSince = undefined;
    this.options.onChange(false);
  }
}
