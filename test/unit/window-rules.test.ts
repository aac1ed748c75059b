/** Core window rules: only past windows (the clock tolerance allowed), and an entry lifetime that outlasts every token covered. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRevokdError } from '../../src/core/errors.js';
import { assertWindowInPast, windowEntryExpiryMs } from '../../src/core/revocation/window-rules.js';

const NOW_MS = 1_800_000_000_000;
const NOW_SEC = NOW_MS / 1000;

test('a window ending in the future beyond the clock tolerance is a 400; up to now + tolerance is allowed', () => {
  assertWindowInPast(NOW_SEC, NOW_MS, 5);
  assertWindowInPast(NOW_SEC + 5, NOW_MS, 5);
  assert.throws(
    () => assertWindowInPast(NOW_SEC + 6, NOW_MS, 5),
    (err) => isRevokdError(err) && err.status === 400,
  );
  assert.throws(
    () => assertWindowInPast(NOW_SEC + 1, NOW_MS, 0),
    (err) => isRevokdError(err) && err.code === 'ERR_VALIDATION',
  );
});

test('a window entry outlives the longest token it covers (refresh tokens are covered too)', () => {
  assert.equal(
    windowEntryExpiryMs(1000, {
      accessTtlSeconds: 900,
      refreshTtlSeconds: 604_800,
      clockToleranceSeconds: 5,
    }),
    (1000 + 604_800 + 5 + 1) * 1000,
  );
  assert.equal(
    windowEntryExpiryMs(1000, {
      accessTtlSeconds: 900,
      refreshTtlSeconds: 60,
      clockToleranceSeconds: 5,
    }),
    (1000 + 900 + 5 + 1) * 1000,
  );
});
