/**
 * The Redis side of rate limiting (REVOKD_REDIS_URL): one ioredis client and a store for
 * `@fastify/rate-limit` whose counters every instance shares. Redis here only counts requests, so
 * it must never take the service down with it: the client connects with a short timeout, does not
 * queue commands while disconnected and gives each command a short deadline, and the limiter is
 * told to skip a check whose store failed (`skipOnError`) — rate limiting fails OPEN, and the
 * problem is logged (at most every 10 s). Revocation decisions never depend on Redis.
 */
import type { FastifyRateLimitOptions, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

const CONNECT_TIMEOUT_MS = 1000;
const COMMAND_TIMEOUT_MS = 500;
const LOG_EVERY_MS = 10_000;

/**
 * A fixed window per key: the first request opens it (PEXPIRE), later ones count within it. A key
 * that somehow lost its expiry gets one again, so no counter can block forever.
 */
const INCR_SCRIPT = `
local current = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if current == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}
`;

type RateLimitRedis = Redis & {
  revokdRateLimit(key: string, windowMs: number, callback: (err: Error | null | undefined, result?: [number, number]) => void): void;
};

export interface RateLimitRedisHandle {
  /** The store class to hand to `@fastify/rate-limit` (`store`). */
  readonly Store: FastifyRateLimitStoreCtor;
  close(): Promise<void>;
}

/** Logs a recurring problem at most once per interval, with how often it happened meanwhile. */
function throttledWarn(log: Logger, message: string): (err: unknown) => void {
  let lastMs = 0;
  let suppressed = 0;
  return (err) => {
    const now = Date.now();
    if (now - lastMs < LOG_EVERY_MS) {
      suppressed++;
      return;
    }
    lastMs = now;
    log.warn({ err, occurrencesSinceLastLog: suppressed + 1 }, message);
    suppressed = 0;
  };
}

export function connectRateLimitRedis(url: string, prefix: string, log: Logger): RateLimitRedisHandle {
  const redis = new Redis(url, {
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // Keep trying to reconnect in the background (never give up), at most every 2 s.
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  }) as RateLimitRedis;
  redis.defineCommand('revokdRateLimit', { numberOfKeys: 1, lua: INCR_SCRIPT });
  redis.on('error', throttledWarn(log, 'Redis (rate limits) is unreachable: rate limits are not enforced until it is back'));
  const warnSkipped = throttledWarn(log, 'rate-limit check skipped: Redis failed (failing open)');

  // Not `implements FastifyRateLimitStore`: its typings say child() gets the route options, but at
  // run time it gets the merged limiter options, with the route under `routeInfo`.
  class RedisRateLimitStore {
    private readonly keyPrefix: string;

    constructor(_options: FastifyRateLimitOptions, scope = '') {
      this.keyPrefix = `${prefix}rl:${scope}`;
    }

    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow?: number): void {
      redis.revokdRateLimit(this.keyPrefix + key, timeWindow ?? 60_000, (err, result) => {
        if (err !== null && err !== undefined) {
          warnSkipped(err);
          callback(err);
          return;
        }
        callback(null, { current: Number(result![0]), ttl: Number(result![1]) });
      });
    }

    /** One counter namespace per route (`POST /api/v1/auth/login:`); limiters made outside routes share the base. */
    child(options: { routeInfo?: { method?: unknown; url?: unknown } }): RedisRateLimitStore {
      const info = options.routeInfo;
      const scope = typeof info?.method === 'string' && typeof info.url === 'string' ? `${info.method} ${info.url}:` : '';
      return new RedisRateLimitStore({}, scope);
    }
  }

  return {
    Store: RedisRateLimitStore as unknown as FastifyRateLimitStoreCtor,
    async close() {
      redis.disconnect();
    },
  };
}
