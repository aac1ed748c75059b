/**
 * Shared counters that degrade instead of failing: Redis while it answers, this process's memory
 * while it does not (SPEC §3: Redis down or hung must not stop logins, checks or revokes).
 *
 * A Redis call that fails or times out (≤ 300 ms, src/stores/redis/redis-client.ts) opens the
 * circuit: that call and every call after it count in memory at once, with no waiting, until the
 * background probe finds Redis answering again. Degraded, limits hold per instance rather than
 * across instances; the counts made in memory are not carried over to Redis (a window at most).
 * Metered (`revokd_counters_degraded`, `revokd_counters_fallback_total`) and logged once when it
 * starts and once when it ends.
 */
import type { Logger } from 'pino';
import type { CountersPort } from '../../stores/ports/counters.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type { AppCounters, CountersStatus } from './counters-status.js';

/** How long after a failure before the first probe, and between failed probes. */
export const PROBE_EVERY_MS = 1_000;

/** What the wrapper reports to the metrics. */
export interface DegradationMeter {
  setCountersDegraded(degraded: boolean): void;
  countCountersFallback(): void;
}

export interface DegradingCountersOptions {
  readonly primary: CountersPort;
  /** Succeeds only when the primary answers (a PING). */
  readonly probe: () => Promise<void>;
  readonly fallback: CountersPort;
  readonly log: Pick<Logger, 'warn' | 'info'>;
  readonly meter: DegradationMeter;
  readonly probeEveryMs?: number;
}

/** A short, credential-free description of a Redis failure (ioredis messages name host:port only). */
function describeFailure(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.slice(0, 200);
}

export class DegradingCounters implements AppCounters {
  private readonly breaker: CircuitBreaker;

  constructor(private readonly options: DegradingCountersOptions) {
    options.meter.setCountersDegraded(false);
    this.breaker = new CircuitBreaker({
      coolDownMs: options.probeEveryMs ?? PROBE_EVERY_MS,
      probe: options.probe,
      onChange: (open, cause) => {
        options.meter.setCountersDegraded(open);
        if (open) {
          options.log.warn(
            { reason: describeFailure(cause) },
            'Redis (counters) is unreachable or slow: rate limits, lockouts and detector counts are per instance until it answers',
          );
        } else {
          options.log.info('Redis (counters) answers again: counts are shared by every instance');
        }
      },
    });
  }

  status(): CountersStatus {
    return this.breaker.isOpen
      ? {
          backend: 'redis',
          degraded: true,
          reason: `redis: ${describeFailure(this.breaker.cause)}`,
        }
      : { backend: 'redis', degraded: false };
  }

  /** Something outside a call saw Redis fail (the connection closed): degrade now, not at the next call. */
  degrade(cause: unknown): void {
    this.breaker.failed(cause);
  }

  incrementCounter(key: string, windowMs: number, nowMs: number): Promise<number> {
    return this.call((port) => port.incrementCounter(key, windowMs, nowMs));
  }

  readCounter(
    key: string,
    windowMs: number,
    nowMs: number,
  ): Promise<{ count: number; resetAtMs: number }> {
    return this.call((port) => port.readCounter(key, windowMs, nowMs));
  }

  /** Stops the background probe (process closing). */
  close(): void {
    this.breaker.stop();
  }

  private async call<T>(operation: (port: CountersPort) => Promise<T>): Promise<T> {
    if (!this.breaker.isOpen) {
      try {
        return await operation(this.options.primary);
      } catch (err) {
        this.breaker.failed(err);
      }
    }
    this.options.meter.countCountersFallback();
    return operation(this.options.fallback);
  }
}
