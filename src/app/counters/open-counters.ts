/**
 * The choice of counters for a configuration (the one counting system: detectors, lockouts, the
 * automatic-block cap and the HTTP rate limits all count through a CountersPort):
 *
 * - REVOKD_REDIS_URL set: Redis, shared by every instance, degrading to this process's memory
 *   while Redis is down or slow (degrading-counters.ts) — for the detectors and the rate limits alike;
 * - unset: the detectors and lockouts count in the store (on PostgreSQL shared by every instance,
 *   and they hold across restarts), and the rate limits in this process's memory — never a
 *   database write per request.
 */
import { once } from 'node:events';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../../core/config.js';
import { MemoryCounters } from '../../stores/memory/memory-counters.js';
import type { CountersPort } from '../../stores/ports/counters.js';
import { RedisCounters } from '../../stores/redis/redis-counters.js';
import type { AppContext } from '../context.js';
import type { AppCounters } from './counters-status.js';
import { type DegradationMeter, DegradingCounters } from './degrading-counters.js';

export interface OpenedCounters {
  readonly counters: AppCounters;
  /** Disconnects from Redis (if any) and stops probing it. */
  close(): Promise<void>;
}

/** The store's counters as app counters (no fallback: the store is the system of record). */
function storeCounters(store: CountersPort): AppCounters {
  return {
    incrementCounter: (key, windowMs, nowMs) => store.incrementCounter(key, windowMs, nowMs),
    readCounter: (key, windowMs, nowMs) => store.readCounter(key, windowMs, nowMs),
    status: () => ({ backend: 'store', degraded: false }),
  };
}

/**
 * Waits for the first connect attempt to end either way (at most about the connect timeout), so a
 * process does not start by reporting Redis down merely because it had not connected yet.
 */
async function firstConnectAttempt(client: Redis, connectTimeoutMs: number): Promise<void> {
  const ac = new AbortController();
  const timeout = setTimeout(() => ac.abort(), connectTimeoutMs + 200);
  try {
    await Promise.race([
      once(client, 'ready', { signal: ac.signal }),
      once(client, 'close', { signal: ac.signal }),
    ]);
  } catch {
    // Timed out (or the attempt errored first): the counters find out on their own.
  } finally {
    clearTimeout(timeout);
    ac.abort();
  }
}

/**
 * Opens the counters `config` names. With Redis, waits only for the first connect attempt: Redis
 * down at start degrades the counters, it does not stop the process.
 */
export async function openCounters(
  config: Pick<Config, 'redisUrl' | 'redisPrefix'>,
  store: CountersPort,
  log: Logger,
  meter: DegradationMeter,
): Promise<OpenedCounters> {
  if (config.redisUrl === undefined)
    return { counters: storeCounters(store), close: async () => undefined };
  // Loaded only when configured: a process without Redis need not hold ioredis in memory.
  const { CONNECT_TIMEOUT_MS, openRedisClient } =
    await import('../../stores/redis/redis-client.js');
  const client = openRedisClient(config.redisUrl);
  const redis = new RedisCounters(client, config.redisPrefix);
  const counters = new DegradingCounters({
    primary: redis,
    probe: () => redis.ping(),
    fallback: new MemoryCounters(),
    log,
    meter,
  });
  let closing = false;
  // A failed connect attempt or a dropped connection degrades at once, before a call has to find out.
  client.on('error', (err: unknown) => {
    if (!closing) counters.degrade(err);
  });
  client.on('close', () => {
    if (!closing) counters.degrade(new Error('connection to Redis closed'));
  });
  await firstConnectAttempt(client, CONNECT_TIMEOUT_MS);
  return {
    counters,
    async close() {
      closing = true;
      counters.close();
      client.disconnect();
    },
  };
}

/**
 * The counters the HTTP rate limiter counts in: `ctx.counters` when they are Redis (shared, one
 * round trip), otherwise a bounded map in this process's memory (a per-request limit must not write
 * to the database).
 */
export function countersForRequests(ctx: Pick<AppContext, 'counters'>): CountersPort {
  return ctx.counters.status().backend === 'redis' ? ctx.counters : new MemoryCounters();
}
