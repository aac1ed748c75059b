/**
 * The watchdog's clock (scripts/test-watchdog/head-file-clock.mjs) as node's test runner feeds it:
 * only the head file is judged, and its clock is restarted only when it becomes the head. A file
 * behind the head finishing must not restart it — that bug let a hung file (a verifier close() that
 * never resolved) sit at the head for 15 minutes while short files kept finishing in the other slot.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
// @ts-expect-error — a plain .mjs module of the test runner, without type declarations
import { HeadFileClock } from '../../scripts/test-watchdog/head-file-clock.mjs';

const LIMIT_MS = 180_000;
const fileA = path.resolve('test/e2e/a.test.ts');
const fileB = path.resolve('test/e2e/b.test.ts');
const fileC = path.resolve('test/e2e/c.test.ts');
/** The file-level events node sends live for every file: enqueue, then pass/complete at its end. */
const enqueue = (file: string) => ['test:enqueue', { file, name: file, nesting: 0 }] as const;
const finish = (file: string) => ['test:pass', { file, name: file, nesting: 0 }] as const;
const progress = (file: string) => ['test:pass', { file, name: 'a test', nesting: 1 }] as const;

test('a hung head file is caught even while files behind it keep finishing', () => {
  const clock = new HeadFileClock();
  clock.record(...enqueue(fileA), 0);
  clock.record(...enqueue(fileB), 0);
  clock.record(...progress(fileA), 1_000);
  // A hangs from 1 s on; B finishes, C starts and finishes behind it, every minute.
  clock.record(...finish(fileB), 60_000);
  clock.record(...enqueue(fileC), 60_000);
  clock.record(...finish(fileC), 120_000);
  assert.equal(clock.silentHead(180_000, LIMIT_MS), undefined, 'not yet: 179 s of silence');
  assert.equal(
    clock.silentHead(181_000, LIMIT_MS)?.file,
    fileA,
    'A, silent since 1 s, is named at 181 s',
  );
});

test('a file that becomes the head starts its clock then, not when it started', () => {
  const clock = new HeadFileClock();
  clock.record(...enqueue(fileA), 0);
  clock.record(...enqueue(fileB), 0);
  // B's events are held back by node while A is the head: B looks silent, and must not be judged.
  clock.record(...progress(fileA), 170_000);
  assert.equal(clock.silentHead(200_000, LIMIT_MS), undefined);
  clock.record(...finish(fileA), 300_000);
  assert.equal(clock.head()?.file, fileB);
  assert.equal(clock.silentHead(479_000, LIMIT_MS), undefined, 'B became the head at 300 s');
  assert.equal(clock.silentHead(480_000, LIMIT_MS)?.file, fileB);
});
