/**
 * When to reconnect to the revocation stream (docs/stream-protocol.md §2, "Reconnecting").
 *
 * The common loss is a healthy stream cut by a restart or a deploy of the service: it is back in
 * well under a second, and every moment waited past that is a moment the verifier is stale for
 * nothing. So after a *healthy* stream (one that proved the view current) is lost, the next
 * QUICK_ATTEMPTS attempts come after the short delay the server asked for (`retry:`), refused or
 * not; only then, and after any other failure (refused, non-200, tampering), does the delay double
 * up to the cap. Two guards keep this from becoming a weapon: the server's `retry:` is clamped to
 * [MIN_RETRY_MS, max] (a proxy sending `retry: 0` cannot make a fleet hammer the service), and
 * every delay is jittered over its upper half so verifiers cut together do not come back in step.
 */

/** The lowest reconnection delay a `retry:` can ask for (before jitter). */
export const MIN_RETRY_MS = 100;
/**
 * Attempts made at the low delay after a healthy stream is lost: at 250 ms they cover 8–16 s (mean
 * 187 ms each), longer than a restart takes even on a loaded machine (spawn, migrations, snapshot:
 * 2–7 s measured on the 2 shared cores of the bench), so the attempt that succeeds is at most one
 * short delay after the service is ready. A count, not a period: a lower `retry:` buys fewer
 * seconds of quick attempts, not more attempts; and bounded, so a service that stays down is not
 * polled at that rate for long (1 000 verifiers: ~5 000 refused connects a second, for seconds).
 */
export const QUICK_ATTEMPTS = 64;

export interface ReconnectBackoffOptions {
  /** The delay until the server says otherwise. */
  readonly initialMs: number;
  /** The cap of the doubling, and of what `retry:` may ask for. */
  readonly maxMs: number;
  /** [0, 1); tests pass their own to see the bounds. */
  readonly random?: () => number;
}

export class ReconnectBackoff {
  private readonly maxMs: number;
  private readonly random: () => number;
  private retryMs: number;
  /** Doublings of the delay: consecutive failures past the quick attempts. */
  private growth = 0;
  private quickLeft = 0;

  constructor(options: ReconnectBackoffOptions) {
    this.maxMs = Math.max(MIN_RETRY_MS, options.maxMs);
    this.random = options.random ?? Math.random;
    this.retryMs = this.clamp(options.initialMs);
  }

  /** The server's `retry:` field (ms). */
  serverRetry(ms: number): void {
    this.retryMs = this.clamp(ms);
  }

  /** A stream that proved the view current has ended: come back soon (see the module comment). */
  lostHealthy(): void {
    this.growth = 0;
    this.quickLeft = QUICK_ATTEMPTS;
  }

  /** A stream that delivered events but no proof ended: not a failure, not a reason to hurry. */
  lostUnproven(): void {
    this.growth = 0;
    this.quickLeft = 0;
  }

  /** An attempt failed (refused, non-200, tampering): the delay grows once no quick one is left. */
  failed(): void {
    if (this.quickLeft === 0) this.growth = Math.min(this.growth + 1, 16);
  }

  /** The delay before the next attempt (consumes one quick attempt if any is left). */
  nextDelayMs(): number {
    let ceiling = this.retryMs;
    if (this.quickLeft > 0) this.quickLeft--;
    else ceiling = Math.min(this.maxMs, this.retryMs * 2 ** this.growth);
    return ceiling / 2 + this.random() * (ceiling / 2);
  }

  private clamp(ms: number): number {
    return Math.min(Math.max(ms, MIN_RETRY_MS), this.maxMs);
  }
}
