/**
 * The words of a health report: its state, the reasons for `degraded`, and the report itself.
 * app/service-health.ts makes the report (and says what each state means); /readyz, the status
 * endpoints and /metrics (metrics/metrics.ts) publish it — here, below all of them.
 */
export type HealthState = 'ready' | 'degraded' | 'unavailable';

export type DegradedReason =
  'store_unreachable' | 'replica_stale' | 'feed_wakeup_down' | 'counters_degraded';
export const DEGRADED_REASONS: readonly DegradedReason[] = [
  'store_unreachable',
  'replica_stale',
  'feed_wakeup_down',
  'counters_degraded',
];

export interface ServiceHealth {
  readonly state: HealthState;
  /** Machine-readable reasons, with a sentence each for people. */
  readonly reasons: ReadonlyArray<{ readonly reason: DegradedReason; readonly detail: string }>;
  readonly store: 'ok' | 'unreachable';
  readonly replicaStalenessMs: number;
  readonly replica: 'current' | 'stale';
}
