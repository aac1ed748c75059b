/**
 * The counters port on Redis (ioredis): every instance that names the same Redis and prefix shares
 * the counts. The window semantics are the store's (test/stores/conformance/counters.ts): a window
 * opens at its key's first event, by the caller's clock (`nowMs`), and lasts `windowMs`. Each key
 * is a hash {s: window start, c: count} with an expiry at the window's end (plus a little slack for
 * clocks that differ between instances), so Redis holds no closed window for long.
 *
 * Failures are not handled here: a command that fails or times out rejects, and the degrading
 * wrapper (src/app/counters/degrading-counters.ts) answers from memory instead.
 */
import type { Redis } from 'ioredis';
import type { CountersPort } from '../ports/counters.js';

/** Kept past a window's end before Redis drops the key: covers clock differences between instances. */
const EXPIRY_SLACK_MS = 5_000;

/**
 * The fixed window, atomically. KEYS[1] the counter; ARGV[1] windowMs, ARGV[2] nowMs, ARGV[3] slack.
 * Returns the count in the window. Times are integers of milliseconds (Lua numbers are doubles:
 * exact far beyond any epoch millisecond).
 */
const INCREMENT_SCRIPT = `
local window = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local start = tonumber(redis.call('HGET', KEYS[1], 's'))
local count
if start == nil or now - start >= window then
  start = now
  count = 1
  redis.call('HSET', KEYS[1], 's', ARGV[2], 'c', 1)
else
  count = redis.call('HINCRBY', KEYS[1], 'c', 1)
end
redis.call('PEXPIRE', KEYS[1], math.max(1, start + window - now) + tonumber(ARGV[3]))
return count
`;

type CountingRedis = Redis & {
  revokdIncrementCounter(
    key: string,
    windowMs: string,
    nowMs: string,
    slackMs: string,
  ): Promise<number>;
};

export class RedisCounters implements CountersPort {
  private readonly redis: CountingRedis;

  /** `prefix` (REVOKD_REDIS_PREFIX) starts every key, so deployments and test runs can share a Redis. */
  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    this.redis = redis as CountingRedis;
    // EVALSHA, and EVAL when Redis has not seen the script (a restarted Redis forgets it).
    if (typeof this.redis.revokdIncrementCounter !== 'function') {
      this.redis.defineCommand('revokdIncrementCounter', {
        numberOfKeys: 1,
        lua: INCREMENT_SCRIPT,
      });
    }
  }

  /** The Redis key of a counter. */
  keyOf(key: string): string {
    return `${this.prefix}counter:${key}`;
  }

  async incrementCounter(key: string, windowMs: number, nowMs: number): Promise<number> {
    const count = await this.redis.revokdIncrementCounter(
      this.keyOf(key),
      String(Math.trunc(windowMs)),
      String(Math.trunc(nowMs)),
      String(EXPIRY_SLACK_MS),
    );
    return Number(count);
  }

  async readCounter(
    key: string,
    windowMs: number,
    nowMs: number,
  ): Promise<{ count: number; resetAtMs: number }> {
    const [start, count] = await this.redis.hmget(this.keyOf(key), 's', 'c');
    const startMs = start === null ? undefined : Number(start);
    if (startMs === undefined || count === null || nowMs - startMs >= windowMs)
      return { count: 0, resetAtMs: nowMs };
    return { count: Number(count), resetAtMs: startMs + windowMs };
  }

  /** One round trip that succeeds only when Redis answers (the circuit breaker's probe). */
  async ping(): Promise<void> {
    await this.redis.ping();
  }
}
