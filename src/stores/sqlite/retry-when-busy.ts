/**
 * Waiting for SQLite's write lock without blocking the event loop.
 *
 * better-sqlite3 is synchronous: with `busy_timeout` set, a statement that meets another process's
 * lock (the CLI, a backup) sleeps inside the call and freezes the whole server — health checks and
 * token checks included — for up to that timeout. The server's connection therefore runs with
 * `busy_timeout = 0` and this loop does the waiting instead: on SQLITE_BUSY / SQLITE_LOCKED it
 * schedules another attempt with setTimeout (jittered backoff, 5 ms growing to 50 ms) until the
 * store timeout has passed, then lets the error through (the store maps it to 503 + Retry-After).
 *
 * Retrying is safe only because every unit of work is one transaction or one statement: BUSY at
 * BEGIN IMMEDIATE or at an autocommit statement means nothing was applied.
 */

const FIRST_DELAY_MS = 5;
const MAX_DELAY_MS = 50;

export function isBusyError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
  );
}

/** The next wait: doubling from 5 ms up to 50 ms, each drawn from [d/2, d] so waiters spread out. */
export function backoffDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** attempt);
  return Math.max(1, Math.round(ceiling / 2 + random() * (ceiling / 2)));
}

/**
 * Runs `attempt` (synchronously the first time, so an uncontended call costs no extra tick) and
 * again after a backoff while it fails with a busy error and `timeoutMs` has not run out.
 */
export async function retryWhenBusy<T>(attempt: () => T, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let n = 0; ; n++) {
    try {
      return attempt();
    } catch (err) {
      if (!isBusyError(err)) throw err;
      const wait = backoffDelayMs(n);
      if (Date.now() + wait > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
