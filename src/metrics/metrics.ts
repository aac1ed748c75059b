/**
 * Prometheus metrics of one process (SPEC §5.5). STUB: to be implemented with prom-client.
 */
import type { EventBus } from '../app/events.js';

export class Metrics {
  /** Subscribes to the process's events (checks, revocations, alerts…) and gauges (replica staleness). */
  attach(_events: EventBus, _gauges: { replicaStalenessMs: () => number }): void {}
  /** Observes one store call. */
  observeStoreCall(_method: string, _seconds: number, _ok: boolean): void {}
  /** The Prometheus text exposition. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: 'text/plain; version=0.0.4; charset=utf-8', body: '' };
  }
  stop(): void {}
}
