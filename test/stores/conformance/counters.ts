/**
 * The counters port (windowed counters: rate limits, lockouts, detector thresholds), run against
 * every CountersPort — the stores (through describeCountersConformance) and the Redis and memory
 * counters (test/stores/redis-counters.test.ts) — and the store's once-per-window rate windows.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { CountersPort } from '../../../src/stores/ports/counters.js';
import type { RevokdStore } from '../../../src/stores/types.js';
import { type StoreBackend, useStore } from './backend.js';
import { NOW } from './fixtures.js';

/** Registers the window cases on the enclosing describe, against the counters `current()` gives once its hooks ran. */
function windowCases(current: () => CountersPort): void {
  test('counters: a window opens at the first event and lasts windowMs', async () => {
    const counters = current();
    const key = `c:${randomUUID()}`;
    assert.equal(await counters.incrementCounter(key, 1000, NOW), 1);
    assert.equal(await counters.incrementCounter(key, 1000, NOW + 999), 2);
    assert.deepEqual(await counters.readCounter(key, 1000, NOW + 500), {
      count: 2,
      resetAtMs: NOW + 1000,
    });
    assert.equal(await counters.incrementCounter(key, 1000, NOW + 1000), 1, 'a new window');
    assert.deepEqual(
      await counters.readCounter(key, 1000, NOW + 1500),
      { count: 1, resetAtMs: NOW + 2000 },
      'the new window opened at its first event',
    );
    assert.deepEqual(await counters.readCounter(key, 1000, NOW + 5000), {
      count: 0,
      resetAtMs: NOW + 5000,
    });
  });

  test('counters: an unknown key reads 0, and reading does not open a window', async () => {
    const counters = current();
    const key = `c:${randomUUID()}`;
    assert.deepEqual(await counters.readCounter(key, 60_000, NOW), { count: 0, resetAtMs: NOW });
    assert.deepEqual(await counters.readCounter(key, 60_000, NOW + 10), {
      count: 0,
      resetAtMs: NOW + 10,
    });
    assert.equal(await counters.incrementCounter(key, 60_000, NOW + 20), 1);
    assert.deepEqual(await counters.readCounter(key, 60_000, NOW + 30), {
      count: 1,
      resetAtMs: NOW + 60_020,
    });
  });

  test('counters: keys count apart, and concurrent increments are none of them lost', async () => {
    const counters = current();
    const a = `c:${randomUUID()}`;
    const b = `c:${randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        counters.incrementCounter(i % 4 === 0 ? b : a, 3_600_000, NOW + i),
      ),
    );
    assert.deepEqual(
      results.filter((_, i) => i % 4 !== 0).sort((x, y) => x - y),
      Array.from({ length: 15 }, (_, i) => i + 1),
      'each increment of a saw its own count',
    );
    assert.equal((await counters.readCounter(a, 3_600_000, NOW + 100)).count, 15);
    assert.equal((await counters.readCounter(b, 3_600_000, NOW + 100)).count, 5);
  });
}

/**
 * The window cases against any CountersPort: `open` is called once before the cases, `close` after
 * them. Keys are random, so a shared backend (one Redis) needs no reset.
 */
export function describeCounterWindows(
  name: string,
  open: () => Promise<CountersPort>,
  close: (counters: CountersPort) => Promise<void> = async () => undefined,
): void {
  describe(`counters conformance: ${name}`, () => {
    let counters: CountersPort | undefined;
    before(async () => {
      counters = await open();
    });
    after(async () => {
      if (counters !== undefined) await close(counters);
    });
    windowCases(() => {
      if (counters === undefined) throw new Error(`the ${name} counters are not open yet`);
      return counters;
    });
  });
}

export function describeCountersConformance(backend: StoreBackend): void {
  describe('counters', () => {
    let store!: RevokdStore;
    const { newUser, newApiToken, apiCtx } = useStore(backend, (opened) => {
      store = opened;
    });

    windowCases(() => store);

    test('api tokens: bulk revocation honours its once-per-window limit atomically', async () => {
      const user = await newUser();
      await newApiToken(user.id);
      await newApiToken(user.id);
      const window = { key: `bulk:${user.id}`, windowMs: 3_600_000 };
      assert.equal(await store.findRateWindowLastUse(window.key), undefined);
      assert.equal((await store.revokeApiTokens(apiCtx(user.id, undefined, window))).length, 2);
      assert.equal(
        await store.findRateWindowLastUse(window.key),
        NOW,
        'the window records when it was used',
      );
      await newApiToken(user.id);
      await assert.rejects(
        store.revokeApiTokens(apiCtx(user.id, undefined, window, NOW + 60_000)),
        (err: { code?: string; retryAfterSeconds?: number }) =>
          err.code === 'ERR_RATE_LIMITED' && err.retryAfterSeconds === 3540,
      );
      assert.equal(
        (await store.listApiTokens(user.id)).filter((t) => t.isActive).length,
        1,
        'nothing revoked when limited',
      );
      assert.equal(
        await store.findRateWindowLastUse(window.key),
        NOW,
        'a refused use does not move the window',
      );
      assert.equal(
        (await store.revokeApiTokens(apiCtx(user.id, undefined, window, NOW + 3_600_000))).length,
        1,
      );
      assert.equal(await store.findRateWindowLastUse(window.key), NOW + 3_600_000);
    });
  });
}
