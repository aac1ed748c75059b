/**
 * How well this instance can do its job right now, and why not (SPEC §3 fail policy, §5.5):
 *
 * - `ready`: everything reachable and current.
 * - `degraded`: it still answers token checks correctly, but something is missing, named in
 *   `reasons`: the store is unreachable (revokes, logins and refreshes answer 503 + Retry-After
 *   until it is back; checks are served from the in-process view), the feed wake-ups are down
 *   (other instances' revocations arrive with the poll instead), the shared counters fell back to
 *   per-instance ones, or — with REVOKD_FAIL_MODE=open — the view is stale and tokens are being
 *   accepted unchecked (metered).
 * - `unavailable`: checks cannot be decided (the view is older than REVOKD_MAX_STALENESS_MS and
 *   fail mode is closed, or past the fail-open bound): token checks answer 503.
 *
 * /readyz answers 200 while ready or degraded — a load balancer should keep sending checks to an
 * instance that can still answer them, even while the shared database is down — and 503 when
 * unavailable. /api/v1/auth/revocation-status and /metrics report the same state and reasons.
 */
import type { DegradedReason, HealthState, ServiceHealth } from '../core/health.js';
import type { AppContext, UsesStores } from './context.js';

/**
 * The same state in the words of the seeds' status endpoints (`/api/v1/auth/revocation-status`,
 * `/api/v1/security/blacklist/status`): one judgement, two vocabularies.
 */
export const SEED_HEALTH_WORD = {
  ready: 'healthy',
  degraded: 'degraded',
  unavailable: 'unavailable',
} as const satisfies Record<HealthState, string>;

/** What the probe reads (an AppContext fits; counters are optional until a process has them). */
export type HealthSources = Pick<AppContext, 'replica' | 'config'> &
  UsesStores<'lifecycle'> & {
    readonly counters?: { status(): { backend: string; degraded: boolean; reason?: string } };
  };

export async function probeServiceHealth(ctx: HealthSources): Promise<ServiceHealth> {
  const storeOk = await ctx.stores.lifecycle.ping().then(
    () => true,
    () => false,
  );
  const reasons: Array<{ reason: DegradedReason; detail: string }> = [];
  if (!storeOk) {
    reasons.push({
      reason: 'store_unreachable',
      detail: `the ${ctx.stores.lifecycle.backend} store is unreachable: revocations and logins answer 503 until it is back; checks use the in-process view`,
    });
  }
  const stale = ctx.replica.isStale();
  const decidable = ctx.replica.canDecide();
  if (stale) {
    reasons.push({
      reason: 'replica_stale',
      detail: decidable
        ? 'the revocation view is stale: tokens are accepted without a current check (REVOKD_FAIL_MODE=open)'
        : 'the revocation view is older than REVOKD_MAX_STALENESS_MS: token checks answer 503',
    });
  }
  for (const wakeup of ctx.replica.wakeupStatus()) {
    if (!wakeup.connected) {
      reasons.push({
        reason: 'feed_wakeup_down',
        detail: `feed wake-ups (${wakeup.name}) are down (${wakeup.problem}): other instances' revocations arrive with the ${ctx.config.feedPollMs} ms poll`,
      });
    }
  }
  const counters = ctx.counters?.status();
  if (counters?.degraded === true) {
    reasons.push({
      reason: 'counters_degraded',
      detail: `shared counters (${counters.backend}) unavailable${counters.reason === undefined ? '' : ` (${counters.reason})`}: rate limits and detectors count per instance`,
    });
  }
  const state: HealthState = !decidable ? 'unavailable' : reasons.length > 0 ? 'degraded' : 'ready';
  return {
    state,
    reasons,
    store: storeOk ? 'ok' : 'unreachable',
    replicaStalenessMs: ctx.replica.stalenessMs(),
    replica: stale ? 'stale' : 'current',
  };
}
