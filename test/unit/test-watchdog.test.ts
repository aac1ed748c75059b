/**
 * `npm test`'s watchdog (scripts/run-tests.mjs, scripts/test-watchdog/): a test file that falls
 * silent fails the run within REVOKD_TEST_SILENCE_MS, named, with every process it started killed
 * (issue 17, item 11: a hang used to freeze CI for 90 minutes). Healthy files that run longer than
 * the limit, or wait behind another file, are left alone, and node's closing summary stays. Runs the
 * real runner on fixture files outside the test/*\/*.test.ts glob, with limits of seconds.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { runBounded } from '../support/bounded-child.js';
import { REPO_ROOT, tempDir } from '../support/server-process.js';
import { until } from '../support/until.js';

const RUNNER = path.join(REPO_ROOT, 'scripts/run-tests.mjs');
/**
 * The limits given to the runner. A file's clock starts when its process does, so a limit must
 * cover starting node with tsx: 5 s seen for a one-line file on a loaded 2-core machine.
 */
const SILENT_FILE_LIMIT_MS = 10_000;
const HEALTHY_FILES_LIMIT_MS = 15_000;
/** Bounds this test's own wait on the runner: a watchdog that never fires fails here, not by hanging. */
const OUTER_SILENCE_MS = 60_000;

const dir = tempDir('watchdog');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Running, and not a zombie (a killed process whose parent is gone may wait as one for init to reap it). */
function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    if (fs.existsSync('/proc/self/stat')) return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function runTests(
  files: readonly string[],
  silenceMs: number,
  env: Record<string, string> = {},
): Promise<Awaited<ReturnType<typeof runBounded>>> {
  // Without this file's NODE_TEST_CONTEXT, or the inner `node --test` takes itself for a nested run and skips its files.
  const { NODE_TEST_CONTEXT: _nested, ...outer } = process.env;
  return runBounded(process.execPath, [RUNNER, ...files], {
    cwd: REPO_ROOT,
    silenceMs: OUTER_SILENCE_MS,
    env: { ...outer, REVOKD_TEST_SILENCE_MS: String(silenceMs), ...env },
  });
}

test('a silent test file fails the run: named, killed with every process it started, with a closing summary', async () => {
  const pidsFile = path.join(dir, 'pids.json');
  const run = await runTests(['test/fixtures/silent-forever.fixture.ts'], SILENT_FILE_LIMIT_MS, {
    SILENT_FOREVER_PIDS_FILE: pidsFile,
  });
  assert.equal(run.killedForSilence, false, `the watchdog never ended the run:\n${run.output}`);
  assert.notEqual(run.code, 0, run.output);
  assert.match(
    run.output,
    new RegExp(
      `watchdog: test/fixtures/silent-forever\\.fixture\\.ts reported nothing for ${SILENT_FILE_LIMIT_MS / 1000} s`,
    ),
  );
  assert.match(
    run.output,
    /^1 passed, 1 failed$/m,
    'the closing summary counts the hung file as a failure',
  );
  const pids = JSON.parse(fs.readFileSync(pidsFile, 'utf8')) as number[];
  assert.equal(pids.length, 3);
  // Killed before the runner exited; reaping (by init, for the orphans) may trail a little.
  await until(
    'no process of the silent file alive',
    () => (pids.some(isAlive) ? undefined : true),
    10_000,
  );
});

test("files that keep reporting, or wait quietly behind another, finish even past the limit; node's summary stays", async () => {
  const run = await runTests(
    [
      'test/fixtures/watchdog-1-talks-slowly.fixture.ts',
      'test/fixtures/watchdog-2-quiet-behind.fixture.ts',
    ],
    HEALTHY_FILES_LIMIT_MS,
  );
  assert.doesNotMatch(run.output, /watchdog:/);
  assert.equal(run.code, 0, run.output);
  // Not a terminal here, so node's default reporter (TAP on node 20) and its closing summary.
  assert.match(run.output, /^# pass 21$/m);
  assert.match(run.output, /^# fail 0$/m);
});

test('a limit that is not a positive number of milliseconds is refused before any test runs', async () => {
  const run = await runTests(['test/fixtures/watchdog-1-talks-slowly.fixture.ts'], 0);
  assert.equal(run.code, 2);
  assert.match(run.output, /REVOKD_TEST_SILENCE_MS must be a positive whole number/);
  assert.doesNotMatch(run.output, /step 1/);
});
