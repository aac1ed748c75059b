/**
 * What `ctx.counters` is: the counters port plus where it counts right now, for the health and
 * readiness reports.
 */
import type { CountersPort } from '../../stores/ports/counters.js';

/** Where the counters live and whether they are running on their fallback. */
export interface CountersStatus {
  /**
   * `redis`: shared by every instance through REVOKD_REDIS_URL; `store`: the database (shared on
   * PostgreSQL, per file on SQLite); `memory`: this process only.
   */
  readonly backend: 'redis' | 'store' | 'memory';
  /** True while Redis is unreachable or slow and this process counts in its own memory. */
  readonly degraded: boolean;
  /** Why it is degraded (the last Redis error); absent when not degraded. */
  readonly reason?: string;
}

/** The counters the app uses (`ctx.counters`): detectors, lockouts, the automatic-block cap. */
export interface AppCounters extends CountersPort {
  status(): CountersStatus;
}
