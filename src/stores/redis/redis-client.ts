/**
 * The one ioredis client revokd opens (REVOKD_REDIS_URL), configured so that Redis can never hold a
 * request up: it connects with a short timeout, never queues a command while disconnected (the
 * command fails at once), never retries one, and gives each command a short deadline — a hung
 * Redis (SIGSTOP: the TCP peer still there, silent) costs a caller at most COMMAND_TIMEOUT_MS.
 * It reconnects in the background for ever, so Redis coming back needs no restart of revokd.
 */
import { Redis } from 'ioredis';

/** Connect attempt deadline. */
export const CONNECT_TIMEOUT_MS = 300;
/** Deadline of one command, sent and answered. */
export const COMMAND_TIMEOUT_MS = 300;
/** Longest pause between reconnect attempts. */
const MAX_RECONNECT_DELAY_MS = 1000;

/**
 * Opens the client (connecting in the background: this does not wait for Redis). The caller must
 * listen for 'error' (ioredis emits one per failed connect attempt).
 */
export function openRedisClient(url: string): Redis {
  return new Redis(url, {
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // The INFO check on connect would fail every command until it answers; a command sent early
    // just fails and is counted in memory instead.
    enableReadyCheck: false,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
  });
}
