/**
 * The `@fastify/rate-limit` store over a CountersPort: the HTTP rate limits count in the same
 * counters as the detectors (Redis, shared by every instance, or this process's memory — see
 * src/app/counters/open-counters.ts). One fixed window per key, the counters' window semantics.
 * Keys: `rl:<METHOD> <route>:<limiter key>` for route limits, `rl:<limiter key>` for limiters made
 * with `createRateLimit` (the per-user ones, whose keys name their route themselves).
 */
import type { FastifyRateLimitOptions, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { CountersPort } from '../stores/ports/counters.js';

type IncrCallback = (error: Error | null, result?: { current: number; ttl: number }) => void;

/** A store class for `@fastify/rate-limit`'s `store` option, counting in `counters`. */
export function rateLimitStoreOver(
  counters: CountersPort,
  now: () => number = Date.now,
): FastifyRateLimitStoreCtor {
  // Not `implements FastifyRateLimitStore`: its typings say child() gets the route options, but at
  // run time it gets the merged limiter options, with the route under `routeInfo`.
  class CountersRateLimitStore {
    constructor(
      _options: FastifyRateLimitOptions,
      private readonly scope = 'rl:',
    ) {}

    incr(
      key: string,
      callback: IncrCallback,
      timeWindow = 60_000,
      max = Number.POSITIVE_INFINITY,
    ): void {
      void this.count(this.scope + key, timeWindow, max).then(
        (result) => callback(null, result),
        (err: Error) => callback(err),
      );
    }

    /** One counter namespace per route (`rl:POST /api/v1/auth/login:`); limiters made outside routes share the base. */
    child(options: { routeInfo?: { method?: unknown; url?: unknown } }): CountersRateLimitStore {
      const info = options.routeInfo;
      const scope =
        typeof info?.method === 'string' && typeof info.url === 'string'
          ? `rl:${info.method} ${info.url}:`
          : 'rl:';
      return new CountersRateLimitStore({}, scope);
    }

    private async count(
      key: string,
      windowMs: number,
      max: number,
    ): Promise<{ current: number; ttl: number }> {
      const nowMs = now();
      const current = await counters.incrementCounter(key, windowMs, nowMs);
      // The time left only matters to a refused request (its Retry-After): read it only then.
      if (current <= max) return { current, ttl: windowMs };
      const { resetAtMs } = await counters.readCounter(key, windowMs, nowMs);
      return { current, ttl: Math.max(0, resetAtMs - nowMs) };
    }
  }
  return CountersRateLimitStore as unknown as FastifyRateLimitStoreCtor;
}
