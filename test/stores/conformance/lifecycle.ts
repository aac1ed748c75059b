/**
 * The store's own lifecycle: migrate, ping, close. Each case opens a store of its own, since
 * closing one is what it checks.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type StoreBackend } from './backend.js';
import { NOW, ctx, storeFixtures } from './fixtures.js';

export function describeLifecycleConformance(backend: StoreBackend): void {
  describe('lifecycle', () => {
    test('migrate is safe to run again on a migrated store, and keeps what the store holds', async () => {
      const store = await backend.open();
      try {
        await backend.reset?.(store);
        const user = await storeFixtures(() => store).newUser();
        await store.revoke({ scope: 'global' }, ctx());
        await store.migrate();
        await store.migrate();
        assert.equal((await store.findUserById(user.id))?.email, user.email);
        assert.equal((await store.loadSnapshot(NOW)).globalGeneration, 1);
      } finally {
        await backend.close(store);
      }
    });

    test('ping answers while the store is open; once closed it throws ERR_STORE_UNAVAILABLE', async () => {
      const store = await backend.open();
      await store.ping();
      await store.close();
      await assert.rejects(
        store.ping(),
        (err: { code?: string }) => err.code === 'ERR_STORE_UNAVAILABLE',
      );
    });
  });
}
