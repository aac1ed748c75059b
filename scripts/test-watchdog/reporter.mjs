// The watchdog of `npm test` (scripts/run-tests.mjs runs it beside node's own reporter): a
// node:test reporter that prints nothing while the run is healthy, and fails it fast when a test
// file hangs. A hang used to freeze CI for 90 minutes (issue 17, item 11: a deadlock inside
// Node's crypto); now a test file that reports nothing for REVOKD_TEST_SILENCE_MS (default
// 180000 ms) is named, killed with every process it started (its revokd servers included), the
// rest of the run with it, and the run exits 1 after a closing `N passed, N failed` line.
//
// Which file counts as silent: see head-file-clock.mjs. Reporters run in the main `node --test`
// process, which stays responsive while a test-file process is stuck; the kill walks down from it.
import fs from 'node:fs';
import path from 'node:path';
import { HeadFileClock } from './head-file-clock.mjs';
import { killDescendants } from './process-tree.mjs';

export const DEFAULT_SILENCE_MS = 180_000;

/** @returns {number} the silence limit from REVOKD_TEST_SILENCE_MS; throws on a value that is not a positive integer */
export function silenceLimitMs(env = process.env) {
  const raw = env.REVOKD_TEST_SILENCE_MS;
  if (raw === undefined || raw === '') return DEFAULT_SILENCE_MS;
  const ms = Number(raw);
  if (!Number.isSafeInteger(ms) || ms <= 0)
    throw new Error(
      `REVOKD_TEST_SILENCE_MS must be a positive whole number of milliseconds, got ${JSON.stringify(raw)}`,
    );
  return ms;
}

/** @param {AsyncIterable<{ type: string, data?: any }>} source */
// node:test takes a reporter as an async generator; this one only watches (the spec reporter
// prints), so it yields nothing.
// eslint-disable-next-line require-yield
export default async function* watchdog(source) {
  const limitMs = silenceLimitMs();
  const clock = new HeadFileClock();
  const counts = { passed: 0, failed: 0 };
  const timer = setInterval(
    () => {
      const silent = clock.silentHead(Date.now(), limitMs);
      if (silent !== undefined) killRun(silent.file, limitMs, counts);
    },
    Math.min(1000, Math.ceil(limitMs / 4)),
  );
  // The check alone must not keep the run alive once every file is done.
  timer.unref();
  try {
    for await (const event of source) {
      clock.record(event.type, event.data, Date.now());
      countResult(event, counts);
    }
  } finally {
    clearInterval(timer);
  }
}

/** Counts as node's closing summary does: every test but suites, skipped and todo ones. */
function countResult({ type, data }, counts) {
  if ((type !== 'test:pass' && type !== 'test:fail') || data?.details?.type === 'suite') return;
  if (type === 'test:fail') counts.failed++;
  else if (data?.skip === undefined && data?.todo === undefined) counts.passed++;
}

function killRun(file, limitMs, counts) {
  const name = path.relative(process.cwd(), file) || file;
  // Synchronous writes: the process exits right after, and nothing else may come between.
  fs.writeSync(
    2,
    `\nwatchdog: ${name} reported nothing for ${limitMs / 1000} s (REVOKD_TEST_SILENCE_MS=${limitMs}): ` +
      'it hangs. Killing it, every process it started and the rest of the run.\n',
  );
  const killed = killDescendants();
  fs.writeSync(2, `watchdog: killed ${killed} process(es); failing the run on ${name}.\n`);
  // The closing summary CI reads, the hung file counted as one failure.
  fs.writeSync(1, `\n${counts.passed} passed, ${counts.failed + 1} failed\n`);
  process.exit(1);
}
