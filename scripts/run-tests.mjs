// `npm test`'s test run: `node --import tsx --test --test-concurrency=2 <files>` with node's usual
// reporter, plus the watchdog (test-watchdog/reporter.mjs) that fails the run within
// REVOKD_TEST_SILENCE_MS (default 180000 ms) of a test file falling silent, naming the file,
// instead of letting a hang freeze CI. Exit code and closing summary are node's own, unless the
// watchdog fires: then exit 1 after a `N passed, N failed` line.
//
//   node scripts/run-tests.mjs test/*/*.test.ts
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { silenceLimitMs } from './test-watchdog/reporter.mjs';

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node scripts/run-tests.mjs <test files…>\n');
  process.exit(2);
}
try {
  silenceLimitMs(); // a bad value fails here, before any test runs
} catch (err) {
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
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
    '--test-concurrency=2',
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
