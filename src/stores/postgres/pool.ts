/**
 * The connection pool a PostgreSQL store runs on, and the settings its guarantees rest on: every
 * wait is bounded by the store timeout (connecting, waiting for a pooled client, a statement on the
 * server, a reply on the socket), so an outage answers ERR_STORE_UNAVAILABLE instead of hanging.
 */
import pg from 'pg';

/** The `pg` type id of BIGINT (int8): ms timestamps, seqs and COUNT(*) come back as that. */
const INT8_OID = 20;

/**
 * BIGINT as a JS number, for this store's connections only (pg's global parsers stay as they are
 * for any other pg user in the process). Every int8 revokd stores (ms timestamps, seqs, counts,
 * generations) is far below 2^53; a larger one would be corruption, so it is refused, not rounded.
 */
const revokdTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') {
      return (text: string): number => {
        const value = Number(text);
        if (!Number.isSafeInteger(value))
          throw new RangeError(`BIGINT ${text} is beyond what revokd stores`);
        return value;
      };
    }
    return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
  },
};

/** At most this many connections per instance: N instances × 10 stays well under max_connections. */
export const POOL_MAX = 10;
const IDLE_TIMEOUT_MS = 30_000;

/** The settings every connection of the store (pooled or the listener) is made with. */
export function connectionSettings(
  url: string,
  timeoutMs: number,
  applicationName: string,
): pg.ClientConfig {
  return {
    connectionString: url,
    application_name: applicationName,
    connectionTimeoutMillis: timeoutMs,
    // Server side: a statement stuck behind a lock (or a slow disk) is cancelled by PostgreSQL …
    statement_timeout: timeoutMs,
    // … and client side: a reply that never comes (server hung, network black hole) is given up on.
    query_timeout: timeoutMs,
    // A dead peer is noticed on an idle connection too.
    keepAlive: true,
    types: revokdTypes,
  };
}

/**
 * A bounded pool. An idle client that dies (the server restarted, a connection was terminated) is
 * reported by pg as a pool 'error' event; without a listener Node would crash the process. The
 * next checkout simply gets a fresh connection, so the event is only passed on to `onError`.
 */
export function createPool(
  url: string,
  timeoutMs: number,
  onError: (err: Error) => void = () => undefined,
): pg.Pool {
  const pool = new pg.Pool({
    ...connectionSettings(url, timeoutMs, 'revokd'),
    max: POOL_MAX,
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
  });
  pool.on('error', onError);
  return pool;
}
