/**
 * A warning for a problem that recurs while a dependency is down (every failed call would log):
 * logged at most once per interval, with how often it happened meanwhile.
 */
import type { Logger } from 'pino';

const LOG_EVERY_MS = 10_000;

export function throttledWarn(
  log: Logger,
  message: string,
  everyMs = LOG_EVERY_MS,
): (err: unknown) => void {
  let lastMs = 0;
  let suppressed = 0;
  return (err) => {
    const now = Date.now();
    if (now - lastMs < everyMs) {
      suppressed++;
      return;
    }
    lastMs = now;
    log.warn({ err, occurrencesSinceLastLog: suppressed + 1 }, message);
    suppressed = 0;
  };
}
