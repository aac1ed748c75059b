/**
 * The clock tolerance `verify` applies, kept within the service's. The service keeps a revoked
 * token's entry in its snapshots until `exp + its tolerance + 1 s`; a verifier accepting tokens
 * longer past `exp` than that could load a fresh snapshot without the entry and accept the revoked
 * token. Each snapshot announces the service's tolerance (wire-format.ts), so:
 * - a tolerance the application set larger than the service's is refused at start;
 * - the default follows the service's (until one is announced, the service's own default);
 * - a later snapshot announcing a smaller one (the service was reconfigured) lowers it at once.
 */
import type { WireServiceLimits } from '#core/revocation/wire-format.js';

export class ClockTolerance {
  private readonly configured: number;
  private readonly given: boolean;
  private current: number;
  private serviceSeconds: number | undefined;

  constructor(configuredSeconds: number, given: boolean) {
    this.configured = configuredSeconds;
    this.given = given;
    this.current = configuredSeconds;
  }

  /** What `verify` allows now, in seconds. */
  get seconds(): number {
    return this.current;
  }

  /** A snapshot's announcement (undefined: an older service that announces nothing; kept as is). */
  announced(limits: WireServiceLimits | undefined): void {
    if (limits === undefined) return;
    this.serviceSeconds = limits.clockToleranceSeconds;
    this.current = this.given
      ? Math.min(this.configured, limits.clockToleranceSeconds)
      : limits.clockToleranceSeconds;
  }

  /** Throws when the application asked for more tolerance than the first snapshot's service allows. */
  assertSafeAtStart(): void {
    if (this.given && this.serviceSeconds !== undefined && this.configured > this.serviceSeconds) {
      throw new Error(
        `createVerifier: options.clockToleranceSeconds is ${this.configured} but the service's clock tolerance is ` +
          `${this.serviceSeconds} s (REVOKD_CLOCK_TOLERANCE_SECONDS): revoked tokens leave its snapshots ${this.serviceSeconds} s + 1 s ` +
          `after they expire, so this verifier could accept one. Set clockToleranceSeconds to at most ${this.serviceSeconds} (or leave it unset to follow the service).`,
      );
    }
  }
}
