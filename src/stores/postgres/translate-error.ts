/**
 * PostgreSQL (and pg / socket) failures as the store contract's errors, like SQLite's translateError:
 * a constraint violation is a conflict (409); anything that means "the database cannot answer now"
 * (refused, reset or terminated connections, a server shutting down or starting, connection
 * exceptions, timeouts) is ERR_STORE_UNAVAILABLE with Retry-After, so a revoke answers 503, never
 * 200 and never a hang; a data exception (class 22: a NUL byte in text, a number out of range, a
 * malformed value) is the request's fault, so a 400. Anything else is a bug and passes through
 * unchanged.
 */
import { RevokdError } from '../../core/errors.js';

/** Socket-level codes Node reports when the server is not there or the link dropped. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ECONNABORTED',
]);

/**
 * pg's own failures carry no code, only a message: a pool connect timeout, a query_timeout, a
 * connection that ended under a query, a client whose connection already failed.
 */
const UNAVAILABLE_MESSAGES =
  /timeout exceeded when trying to connect|Query read timeout|Connection terminated|connection timeout|Client has encountered a connection error|Client was closed|not queryable/i;

/** SQLSTATEs that mean the server cannot serve this now (admin shutdown, crash shutdown, cannot connect now, statement timeout, too many connections). */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '57014', '53300', '53400', '58030']);

/** Serialization failure and deadlock: the transaction did nothing and may simply run again. */
export function isRetryableConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40001' || code === '40P01';
}

export function storeUnavailable(message: string, cause?: unknown): RevokdError {
  return new RevokdError('ERR_STORE_UNAVAILABLE', message, {
    retryAfterSeconds: 1,
    ...(cause === undefined ? {} : { cause }),
  });
}

export function translatePgError(err: unknown): unknown {
  if (err instanceof RevokdError || err instanceof TypeError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    // Class 23: unique, foreign key, check, not-null and the api_tokens permanence triggers.
    if (code.startsWith('23'))
      return new RevokdError('ERR_CONFLICT', 'already exists', { cause: err });
    // Class 22 is a backstop: the HTTP edge refuses such input first (src/http/nul-bytes.ts), so
    // reaching it means a check is missing there — still a 4xx, never a 500. The message names no
    // value (PostgreSQL's may quote it).
    if (code.startsWith('22'))
      return new RevokdError(
        'ERR_BAD_REQUEST',
        `the store refused a value in this request as invalid data (SQLSTATE ${code})`,
        { cause: err },
      );
    if (
      code.startsWith('08') ||
      UNAVAILABLE_STATES.has(code) ||
      NETWORK_CODES.has(code) ||
      isRetryableConflict(err)
    ) {
      return storeUnavailable('the store is unavailable', err);
    }
  }
  if (err instanceof Error && UNAVAILABLE_MESSAGES.test(err.message))
    return storeUnavailable('the store is unavailable', err);
  // An AggregateError (connecting to every address of a host failed) carries the socket codes inside.
  if (
    err instanceof AggregateError &&
    err.errors.some((e) => NETWORK_CODES.has((e as { code?: string }).code ?? ''))
  ) {
    return storeUnavailable('the store is unavailable', err);
  }
  return err;
}
