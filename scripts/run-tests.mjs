// `npm test`'s test run: `node --import tsx --test --test-concurrency=N <files>` with node's usual
// reporter (N: REVOKD_TEST_CONCURRENCY, default 3; the slow files first, see SLOW_FILES), plus the watchdog (test-watchdog/reporter.mjs) that fails the run within
// REVOKD_TEST_SILENCE_MS (default 180000 ms) of a test file falling silent, naming the file,
// instead of letting a hang freeze CI. Exit code and closing summary are node's own, unless the
// watchdog fires: then exit 1 after a `N passed, N failed` line.
//
//   node scripts/run-tests.mjs test/*/*.test.ts
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { silenceLimitMs } from './test-watchdog/reporter.mjs';

/**
 * Files that take 25 s or more (most of it waiting: a TTL running out, a SIGKILL and restart, a
 * watchdog's limit), longest first. Node starts files in the order given; started first, they
 * overlap the many short files instead of running alone at the end of the run (measured: a file
 * list in glob order ended on a 71 s file with one lane idle). A file missing from this list only
 * runs later; a stale entry is ignored.
 */
const SLOW_FILES = [
  'test/e2e/window-revocations.test.ts',
  'test/python/verifier-python.test.ts',
  'test/e2e/start-at-scale.test.ts',
  'test/e2e/revocation-stream-snapshot-at-scale.test.ts',
  'test/e2e/cluster-sigkill.test.ts',
  'test/e2e/login-races-remedy.test.ts',
  'test/e2e/group-commit-crash.test.ts',
  'test/e2e/stalled-body-is-cut.test.ts',
  'test/unit/test-watchdog.test.ts',
  'test/unit/outbox-worker.test.ts',
  'test/e2e/key-rotation-reaches-every-instance.test.ts',
  'test/e2e/client-secret-rotation.test.ts',
  'test/e2e/crash-durability.test.ts',
  'test/e2e/cluster-postgres-outage.test.ts',
  'test/e2e/cli.test.ts',
];

/** The test files are mostly waiting on servers they started: three at once keep two cores busy. */
const DEFAULT_CONCURRENCY = 3;

const given = process.argv.slice(2);
if (given.length === 0) {
  process.stderr.write('usage: node scripts/run-tests.mjs <test files…>\n');
  process.exit(2);
}
let concurrency;
try {
  silenceLimitMs(); // a bad value fails here, before any test runs
  concurrency = concurrencyFrom(process.env.REVOKD_TEST_CONCURRENCY);
} catch (err) {
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
}
const rank = (file) => {
  const i = SLOW_FILES.indexOf(file.replace(/^\.\//, ''));
  return i === -1 ? SLOW_FILES.length : i;
};
// A stable sort: the other files keep the order they were given in.
const files = [...given].sort((a, b) => rank(a) - rank(b));

/** @returns {number} */
function concurrencyFrom(raw) {
  if (raw === undefined || raw === '') return DEFAULT_CONCURRENCY;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new Error(
      `REVOKD_TEST_CONCURRENCY must be a whole number ≥ 1, got ${JSON.stringify(raw)}`,
    );
  return n;
}

// Naming any reporter replaces node's default, so name the one node would pick: spec on a
// terminal, TAP otherwise (node < 23) — the output and summary CI has always read.
const nodeMajor = Number(process.versions.node.split('.')[0]);
const humanReporter = process.stdout.isTTY || nodeMajor >= 23 ? 'spec' : 'tap';
const watchdog = fileURLToPath(new URL('./test-watchdog/reporter.mjs', import.meta.url));

const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    `--test-reporter=${humanReporter}`,
    '--test-reporter-destination=stdout',
    `--test-reporter=${watchdog}`,
    '--test-reporter-destination=stderr',
    ...files,
  ],
  { stdio: 'inherit' },
);

// Ctrl-C reaches the whole foreground group, the test run included: wait for it to end, then
// exit as it did. A SIGTERM sent to this process alone is passed on.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => {
  if (signal !== null) process.stderr.write(`test run ended by ${signal}\n`);
  process.exit(code ?? 1);
});
