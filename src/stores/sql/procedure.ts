/**
 * How every SQL procedure is written once for a synchronous driver (better-sqlite3) and an
 * asynchronous one (pg): a generator that yields each statement as a Query and is resumed with its
 * result (`const row = yield* get(sql, params)`), driven by runSync on SQLite (inside one IMMEDIATE
 * transaction, in one call) and runAsync on PostgreSQL (awaiting each statement). README.md in this
 * folder says why, and the rules a procedure keeps: it yields statements and nothing else (no
 * await), never catches a statement's error, and keeps per-transaction state on its Unit.
 */
import type { Dialect } from './dialect.js';

export type Row = Record<string, unknown>;

/**
 * One statement: 'all' rows, the first row ('get', or undefined), or the number of rows changed
 * ('run'); 'rows': all rows as arrays of the selected columns, in the SELECT's order (no object
 * per row: for reads of millions, where building the row objects is most of the time); or
 * 'exec': a script of statements, without parameters, run as written (a migration).
 */
export interface Query {
  readonly kind: 'all' | 'get' | 'run' | 'rows' | 'exec';
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** A procedure: yields statements, is resumed with each one's result, returns T. */
export type Proc<T> = Generator<Query, T, unknown>;

export function* all<R = Row>(sql: string, params: readonly unknown[] = []): Proc<R[]> {
  return (yield { kind: 'all', sql, params }) as R[];
}

/** Every row as an array of its columns, in the SELECT's order (name the columns, never `*`). */
export function* rows(sql: string, params: readonly unknown[] = []): Proc<unknown[][]> {
  return (yield { kind: 'rows', sql, params }) as unknown[][];
}

export function* get<R = Row>(sql: string, params: readonly unknown[] = []): Proc<R | undefined> {
  return (yield { kind: 'get', sql, params }) as R | undefined;
}

export function* run(sql: string, params: readonly unknown[] = []): Proc<number> {
  return (yield { kind: 'run', sql, params }) as number;
}

/**
 * The most rows one multi-row INSERT carries (a group commit's MAX_BATCH): keeps the parameters far
 * under both databases' limits and the statement texts (one per row count) a small fixed set.
 */
export const ROWS_PER_INSERT = 64;

/** The `(?, …)` row of a multi-row INSERT into `columns` (a comma-and-space separated list). */
export function placeholderRow(columns: string): string {
  return `(${columns
    .split(', ')
    .map(() => '?')
    .join(', ')})`;
}

/** `n` copies of a `(?, …)` row for a multi-row INSERT's VALUES (n ≤ ROWS_PER_INSERT). */
export function rowsOf(row: string, n: number): string {
  return Array.from({ length: n }, () => row).join(', ');
}

/** `items` in consecutive slices of at most ROWS_PER_INSERT, in order. */
export function insertChunks<T>(items: readonly T[]): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += ROWS_PER_INSERT)
    chunks.push(items.slice(i, i + ROWS_PER_INSERT));
  return chunks;
}

/** The first row, mapped; undefined when there is none. */
export function* one<T>(
  sql: string,
  params: readonly unknown[],
  map: (r: Row) => T,
): Proc<T | undefined> {
  const row = yield* get(sql, params);
  return row === undefined ? undefined : map(row);
}

export function* many<T>(sql: string, params: readonly unknown[], map: (r: Row) => T): Proc<T[]> {
  return (yield* all(sql, params)).map(map);
}

export function* exec(script: string): Proc<void> {
  yield { kind: 'exec', sql: script, params: [] };
}

/** A `SELECT COUNT(*) AS n …` (or any single `n`). */
export function* count(sql: string, params: readonly unknown[] = []): Proc<number> {
  return Number((yield* get<{ n: number }>(sql, params))!.n);
}

/**
 * One unit of work (a transaction, or statements outside one) as the procedures see it: the
 * dialect, the audit chain key, whether the feed lock is held (PostgreSQL: feed-lock.ts; SQLite:
 * every write transaction is IMMEDIATE, one writer at a time), and what the feed writer keeps for
 * the end of the transaction (feed.ts). A new Unit for every attempt: a retried unit starts clean.
 */
export class Unit {
  /** The highest feed seq appended (NOTIFY on PostgreSQL). */
  highestFeedSeq: number | null = null;
  /** The feed chain after the revocation records appended so far; null until the first. */
  feedChain: string | null = null;
  /** The seq of the last record chained. */
  chainedSeq = 0;
  /** The audit head after this unit's last append (audit.ts); null until the first. */
  auditHead: { seq: number; hash: string } | null = null;

  constructor(
    readonly d: Dialect,
    readonly auditChainKey: Buffer,
    readonly feedLocked: boolean,
  ) {}

  assertFeedLocked(what: string): void {
    if (!this.feedLocked)
      throw new Error(`${what} without the feed lock (see postgres/feed-lock.ts)`);
  }
}

/**
 * `compute` memoized by statement text (a prepared statement, a renumbered text). The cache never
 * shrinks: every statement of this folder is one of a fixed set of texts (values are parameters;
 * a multi-row INSERT has one text per row count, at most ROWS_PER_INSERT).
 */
export function perStatement<T>(compute: (sql: string) => T): (sql: string) => T {
  const cache = new Map<string, T>();
  return (sql) => {
    let value = cache.get(sql);
    if (value === undefined) cache.set(sql, (value = compute(sql)));
    return value;
  };
}

/** Drives a procedure whose statements are answered synchronously (better-sqlite3). */
export function runSync<T>(proc: Proc<T>, execute: (q: Query) => unknown): T {
  for (let step = proc.next(); ; step = proc.next(execute(step.value))) {
    if (step.done === true) return step.value;
  }
}

/** Drives a procedure whose statements are answered asynchronously (pg), one at a time. */
export async function runAsync<T>(
  proc: Proc<T>,
  execute: (q: Query) => Promise<unknown>,
): Promise<T> {
  for (let step = proc.next(); ; step = proc.next(await execute(step.value))) {
    if (step.done === true) return step.value;
  }
}
