/** Core entry lifetimes: what a snapshot loads and what prune may delete agree at every instant. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  SEALED_SUCCESSOR_RETENTION_MS,
  entryIsLive,
  entryMayBePruned,
  refreshRowsMayBePruned,
  sealedSuccessorsDroppableBeforeMs,
  sessionEntryExpiryMs,
} from '../../src/core/revocation/entry-lifetime.js';

const NOW = 1_800_000_000_000;

test('an entry expiring at this very instant is still live and not prunable (same-instant)', () => {
  assert.equal(entryIsLive(NOW, NOW), true);
  assert.equal(entryMayBePruned(NOW, NOW), false);
});

test('an expired entry is no longer live and may be pruned; a future one stays', () => {
  assert.equal(entryIsLive(NOW - 1, NOW), false);
  assert.equal(entryMayBePruned(NOW - 1, NOW), true);
  assert.equal(entryMayBePruned(NOW + 1, NOW), false);
});

test('an entry without expiry (generation counters, keys) is never pruned', () => {
  assert.equal(entryIsLive(null, Number.MAX_SAFE_INTEGER), true);
  assert.equal(entryMayBePruned(null, Number.MAX_SAFE_INTEGER), false);
});

test('a session entry lives accessCover past the session end', () => {
  assert.equal(sessionEntryExpiryMs(NOW, 905_000), NOW + 905_000);
  assert.equal(sessionEntryExpiryMs(NOW, 0), NOW);
});

test('refresh rows are kept for reuse detection until their session has ended (not at the instant it ends)', () => {
  assert.equal(refreshRowsMayBePruned(NOW, NOW), false);
  assert.equal(refreshRowsMayBePruned(NOW - 1, NOW), true);
});

test('sealed successors are kept for twice the longest grace window after consumption', () => {
  assert.equal(SEALED_SUCCESSOR_RETENTION_MS, 120_000);
  assert.equal(sealedSuccessorsDroppableBeforeMs(NOW), NOW - 120_000);
});
