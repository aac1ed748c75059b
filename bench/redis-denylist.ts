/**
 * The hand-rolled alternative: a Redis deny-list, one `EXISTS revoked:<jti>` per request. Every key
 * the benchmark writes is under KEY_PREFIX, carries a TTL (so a killed run leaves nothing behind for
 * long), and is deleted again by `cleanup()`.
 */
import { Redis } from 'ioredis';
import type { IdSource } from './fixtures.js';

export const KEY_PREFIX = 'revokd-bench:';
const SAFETY_TTL_SECONDS = 3600;
const BATCH = 10_000;

export function revokedKey(jti: string): string {
  return `${KEY_PREFIX}revoked:${jti}`;
}

/** Connects, or returns the reason it could not. Never retries: an absent Redis is a skip, not a wait. */
export async function connectRedis(url: string): Promise<{ redis: Redis } | { error: string }> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1500,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let lastError = '';
  redis.on('error', (err: Error) => {
    lastError = err.message;
  });
  try {
    await redis.connect();
    await redis.ping();
    return { redis };
  } catch (err) {
    redis.disconnect();
    return { error: lastError || (err instanceof Error ? err.message : String(err)) };
  }
}

/** Writes `include` plus `count - include.length` random jtis, pipelined in batches. */
export async function fillDenylist(
  redis: Redis,
  ids: IdSource,
  count: number,
  include: readonly string[],
): Promise<void> {
  for (let start = 0; start < count; start += BATCH) {
    const pipeline = redis.pipeline();
    const end = Math.min(count, start + BATCH);
    for (let i = start; i < end; i++) {
      const jti = i < include.length ? include[i]! : ids.next();
      pipeline.set(revokedKey(jti), '1', 'EX', SAFETY_TTL_SECONDS);
    }
    const results = await pipeline.exec();
    const failed = results?.find(([err]) => err !== null)?.[0];
    if (failed) throw failed;
  }
}

/** Deletes every key under KEY_PREFIX (and only those). Returns how many were deleted. */
export async function cleanup(redis: Redis): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${KEY_PREFIX}*`, 'COUNT', BATCH);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
