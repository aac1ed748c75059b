/**
 * How a unit of work of ../sql runs on PostgreSQL: its statements one at a time on a client (a
 * transaction: BEGIN … COMMIT, ROLLBACK on error, the client always released) or on the pool
 * (autocommit), each `?` placeholder numbered `$n` for pg.
 */
import type pg from 'pg';
import { type Proc, type Query, perStatement, runAsync } from '../sql/procedure.js';
import { isRetryableConflict, translatePgError } from './translate-error.js';

/** What runs a query: a checked-out client (a transaction) or the pool itself (one autocommit statement each). */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  query(config: pg.QueryArrayConfig): Promise<pg.QueryArrayResult>;
}

/** `?` → `$1`, `$2`, … (the SQL of ../sql never has a `?` inside a literal). */
export const numberPlaceholders = perStatement((sql) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
});

/** Runs a procedure's statements on `client`, awaiting each. */
export function runOn<T>(client: Queryable, proc: Proc<T>): Promise<T> {
  return runAsync(proc, async (q: Query) => {
    // A script goes as written, with no parameters: the simple query protocol runs all of it.
    if (q.kind === 'exec') return void (await client.query(q.sql));
    if (q.kind === 'rows') {
      const text = numberPlaceholders(q.sql);
      return (await client.query({ text, values: q.params as unknown[], rowMode: 'array' })).rows;
    }
    const result = await client.query(numberPlaceholders(q.sql), q.params as unknown[]);
    switch (q.kind) {
      case 'all':
        return result.rows as unknown[];
      case 'get':
        return result.rows[0] as unknown;
      case 'run':
        return result.rowCount ?? 0;
    }
  });
}

export interface TransactionOptions {
  /** A consistent read of several statements (loadSnapshot): REPEATABLE READ, READ ONLY. */
  readonly snapshot?: boolean;
}

/** Serialization failures and deadlocks are retried this many times in all before giving up (503). */
const ATTEMPTS = 3;

/**
 * Runs `work` (a new procedure each attempt) in one transaction. READ COMMITTED (each statement
 * sees everything committed before it starts, which is what the feed lock relies on) unless a
 * snapshot read is asked for.
 */
export async function runTransaction<T>(
  pool: pg.Pool,
  options: TransactionOptions,
  work: () => Proc<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await attemptTransaction(pool, options, work);
    } catch (err) {
      if (!isRetryableConflict(err) || attempt >= ATTEMPTS) throw translatePgError(err);
    }
  }
}

async function attemptTransaction<T>(
  pool: pg.Pool,
  options: TransactionOptions,
  work: () => Proc<T>,
): Promise<T> {
  const client = await pool.connect();
  // A client whose connection failed (or whose query timed out mid-flight) is destroyed, not reused.
  let discard = false;
  try {
    await client.query(
      options.snapshot === true ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN',
    );
    try {
      const result = await runOn(client, work());
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        discard = true;
      });
      throw err;
    }
  } catch (err) {
    if (isUnavailable(translatePgError(err))) discard = true;
    throw err;
  } finally {
    client.release(discard);
  }
}

function isUnavailable(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'ERR_STORE_UNAVAILABLE';
}
