/**
 * The outbox port: queued mail claimed under a lease, retried after failures, marked sent.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RevokdStore } from '../../../src/stores/types.js';
import { type StoreBackend, useStore } from './backend.js';
import { NOW } from './fixtures.js';

export function describeOutboxConformance(backend: StoreBackend): void {
  describe('outbox', () => {
    let store!: RevokdStore;
    const { newUser, newApiToken, apiCtx } = useStore(backend, (opened) => {
      store = opened;
    });

    test('outbox: a claim leases messages; failures come back after their backoff; sent ones never', async () => {
      const user = await newUser();
      const id = await newApiToken(user.id);
      await store.revokeApiTokens(apiCtx(user.id, [id]));
      const t0 = NOW + 10;
      const claimed = (await store.claimOutbox(t0, 30_000, 100)).filter(
        (m) => m.recipient === user.email,
      );
      assert.equal(claimed.length, 1);
      assert.equal(claimed[0]?.attempts, 1);
      assert.equal(
        (await store.claimOutbox(t0 + 1, 30_000, 100)).filter((m) => m.recipient === user.email)
          .length,
        0,
        'leased',
      );
      await store.markOutboxFailed(claimed[0].id, 'smtp down', t0 + 5000);
      assert.equal(
        (await store.claimOutbox(t0 + 100, 30_000, 100)).filter((m) => m.recipient === user.email)
          .length,
        0,
        'backing off',
      );
      const retry = (await store.claimOutbox(t0 + 5000, 30_000, 100)).filter(
        (m) => m.recipient === user.email,
      );
      assert.equal(retry[0]?.attempts, 2);
      assert.equal(retry[0]?.lastError, 'smtp down');
      await store.markOutboxSent(retry[0].id, t0 + 5001);
      assert.equal(
        (await store.claimOutbox(t0 + 999_999, 30_000, 100)).filter(
          (m) => m.recipient === user.email,
        ).length,
        0,
        'sent',
      );
    });

    test('outbox: pending counts every message not yet sent, leased and failed ones included', async () => {
      const user = await newUser();
      const ids = [await newApiToken(user.id), await newApiToken(user.id)];
      const before = await store.countPendingOutbox();
      await store.revokeApiTokens(apiCtx(user.id, ids));
      assert.equal(
        await store.countPendingOutbox(),
        before + 2,
        'one owner mail per revoked token',
      );
      const mine = (await store.claimOutbox(NOW + 10, 30_000, 1000)).filter(
        (m) => m.recipient === user.email,
      );
      assert.equal(mine.length, 2);
      assert.equal(
        await store.countPendingOutbox(),
        before + 2,
        'a leased message is still pending',
      );
      await store.markOutboxFailed(mine[0]!.id, 'smtp down', NOW + 5000);
      assert.equal(
        await store.countPendingOutbox(),
        before + 2,
        'a failed message waits for its retry',
      );
      await store.markOutboxSent(mine[1]!.id, NOW + 20);
      assert.equal(await store.countPendingOutbox(), before + 1);
    });
  });
}
