/**
 * The counters port: windowed counters (rate limits, lockouts) and once-per-window rate windows.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { RevokdStore } from '../../../src/stores/types.js';
import { type StoreBackend, useStore } from './backend.js';
import { NOW } from './fixtures.js';

export function describeCountersConformance(backend: StoreBackend): void {
  describe('counters', () => {
    let store!: RevokdStore;
    const { newUser, newApiToken, apiCtx } = useStore(backend, (opened) => { store = opened; });

    test('counters: a window opens at the first event and lasts windowMs', async () => {
      const key = `c:${randomUUID()}`;
      assert.equal(await store.incrementCounter(key, 1000, NOW), 1);
      assert.equal(await store.incrementCounter(key, 1000, NOW + 999), 2);
      assert.deepEqual(await store.readCounter(key, 1000, NOW + 500), { count: 2, resetAtMs: NOW + 1000 });
      assert.equal(await store.incrementCounter(key, 1000, NOW + 1000), 1, 'a new window');
      assert.equal((await store.readCounter(key, 1000, NOW + 5000)).count, 0);
    });

    test('api tokens: bulk revocation honours its once-per-window limit atomically', async () => {
      const user = await newUser();
      await newApiToken(user.id);
      await newApiToken(user.id);
      const window = { key: `bulk:${user.id}`, windowMs: 3_600_000 };
      assert.equal(await store.findRateWindowLastUse(window.key), undefined);
      assert.equal((await store.revokeApiTokens(apiCtx(user.id, undefined, window))).length, 2);
      assert.equal(await store.findRateWindowLastUse(window.key), NOW, 'the window records when it was used');
      await newApiToken(user.id);
      await assert.rejects(store.revokeApiTokens(apiCtx(user.id, undefined, window, NOW + 60_000)),
        (err: { code?: string; retryAfterSeconds?: number }) => err.code === 'ERR_RATE_LIMITED' && err.retryAfterSeconds === 3540);
      assert.equal((await store.listApiTokens(user.id)).filter((t) => t.isActive).length, 1, 'nothing revoked when limited');
      assert.equal(await store.findRateWindowLastUse(window.key), NOW, 'a refused use does not move the window');
      assert.equal((await store.revokeApiTokens(apiCtx(user.id, undefined, window, NOW + 3_600_000))).length, 1);
      assert.equal(await store.findRateWindowLastUse(window.key), NOW + 3_600_000);
    });
  });
}
