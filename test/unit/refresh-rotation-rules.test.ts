/** Core refresh rotation rules: when a presented token may rotate, and the successor clamp. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  clampRefreshExpiryMs,
  rotationRefusal,
} from '../../src/core/revocation/refresh-rotation.js';

const NOW = 1_800_000_000_000;
const LIVE_SESSION = { revokedAtMs: null, expiresAtMs: NOW + 60_000 };
const LIVE_TOKEN = { consumedAtMs: null, expiresAtMs: NOW + 10_000 };

test('a live token in a live session may rotate', () => {
  assert.equal(rotationRefusal(LIVE_TOKEN, LIVE_SESSION, NOW), null);
});

test('an already consumed token is reuse, checked before expiry and session state', () => {
  assert.equal(
    rotationRefusal(
      { consumedAtMs: NOW - 1, expiresAtMs: NOW - 5 },
      { revokedAtMs: NOW, expiresAtMs: NOW },
      NOW,
    ),
    'already_consumed',
  );
});

test('a token expiring at this very instant is expired (same-instant), and expiry is checked before the session', () => {
  assert.equal(
    rotationRefusal({ consumedAtMs: null, expiresAtMs: NOW }, LIVE_SESSION, NOW),
    'expired',
  );
  assert.equal(
    rotationRefusal(
      { consumedAtMs: null, expiresAtMs: NOW },
      { revokedAtMs: NOW, expiresAtMs: NOW },
      NOW,
    ),
    'expired',
  );
});

test('a revoked session, or one ending at this very instant, is inactive', () => {
  assert.equal(
    rotationRefusal(LIVE_TOKEN, { revokedAtMs: NOW - 1, expiresAtMs: NOW + 60_000 }, NOW),
    'session_inactive',
  );
  assert.equal(
    rotationRefusal(LIVE_TOKEN, { revokedAtMs: null, expiresAtMs: NOW }, NOW),
    'session_inactive',
  );
});

test('a successor never outlives its session, and keeps its own expiry when that is sooner', () => {
  assert.equal(clampRefreshExpiryMs(NOW + 100, NOW + 50), NOW + 50);
  assert.equal(clampRefreshExpiryMs(NOW + 50, NOW + 100), NOW + 50);
  assert.equal(clampRefreshExpiryMs(NOW, NOW), NOW);
});
