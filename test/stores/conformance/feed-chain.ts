/**
 * The feed chain the store keeps at the head of the feed (src/stores/feed-head.ts): whatever was
 * written, by whichever instance, the snapshot's chain is the fold of chainAfter over the
 * revocation records readFeed returns up to its cursor — from genesis on a fresh store — so a
 * reader that starts from any snapshot and folds what the feed brings next holds the same chain as
 * every other. IP block changes are feed records but not chained; a rolled-back write chains nothing.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { GENESIS_CHAIN, chainAfter } from '../../../src/core/revocation/feed-chain.js';
import type { FeedRecord } from '../../../src/core/revocation/feed.js';
import { isIpBlockChange } from '../../../src/core/revocation/ip-block-change.js';
import { newId } from '../../../src/core/tokens/opaque.js';
import type { FeedCursor, RevokdStore } from '../../../src/stores/types.js';
import { type StoreBackend, useStore } from './backend.js';
import { NOW, activeKey, audit, ctx } from './fixtures.js';

/** Every record after `after`, page by page. */
async function readAll(store: RevokdStore, after: FeedCursor): Promise<FeedRecord[]> {
  const all: FeedRecord[] = [];
  for (let cursor = after; ;) {
    const page = await store.readFeed(cursor, 7);
    if (page.records.length === 0) return all;
    all.push(...page.records);
    cursor = page.cursor;
  }
}

/** The independent oracle: chainAfter folded over the feed's revocations, block changes skipped. */
function fold(from: string, records: readonly FeedRecord[]): string {
  let chain = from;
  for (const r of records) if (!isIpBlockChange(r)) chain = chainAfter(chain, r);
  return chain;
}

const headChain = async (store: RevokdStore) => (await store.loadSnapshot(NOW)).chain;

export function describeFeedChainConformance(backend: StoreBackend): void {
  describe('feed chain', () => {
    let store!: RevokdStore;
    const { newUser, newSession, newApiToken, apiCtx } = useStore(backend, (opened) => {
      store = opened;
    });
    /** The fresh store's snapshot cursor: the feed's beginning. */
    let start!: FeedCursor;
    before(async () => {
      start = (await store.loadSnapshot(NOW)).cursor;
    });

    const block = async (cidr: string, notify: () => null = () => null) => {
      const id = randomUUID();
      const report = await store.createIpBlock(
        {
          id,
          cidr,
          reason: 'test',
          source: 'manual',
          createdAtMs: NOW,
          expiresAtMs: null,
          createdBy: null,
        },
        ctx({ reason: 'ip_block' }),
        { notify },
      );
      return { id, ...report };
    };

    test("a fresh store's snapshot carries the genesis chain", async () => {
      const snap = await store.loadSnapshot(NOW);
      assert.equal(snap.chain, GENESIS_CHAIN);
      assert.deepEqual(await readAll(store, start), [], 'and the feed is empty');
    });

    test('after writes of every scope, IP blocks and API-token revocations, the snapshot chain is the fold over every revocation readFeed returns', async () => {
      const user = await newUser();
      const s1 = await newSession(user.id, '198.18.1.10');
      await newSession(user.id, '198.18.2.20');
      const clientId = `cl_${newId()}`;
      await store.createClient(
        {
          id: clientId,
          name: 'c',
          secretHash: null,
          grants: [],
          scopes: [],
          createdAtMs: NOW,
          disabledAtMs: null,
        },
        audit('client.created'),
      );
      await newSession(user.id, '192.0.2.1', { clientId });
      const kid = `k${newId()}`;
      await store.insertSigningKey(activeKey(kid), true, audit('key.rotated'));

      await store.revoke(
        { scope: 'token', issuer: 'https://iss', jti: newId(), expiresAtMs: NOW + 60_000 },
        ctx({ note: 'a note — with ünïcode "quotes"' }),
      );
      await store.revoke(
        { scope: 'token', issuer: null, jti: newId(), expiresAtMs: NOW + 60_000 },
        ctx({ nowMs: NOW + 1 }),
      );
      await store.revoke({ scope: 'session', sessionId: s1.id }, ctx());
      await store.revoke({ scope: 'client', clientId }, ctx());
      await store.revoke({ scope: 'key', kid }, ctx({ reason: 'key_revoked' }));
      await store.revoke(
        { scope: 'window', fromSec: 100, toSec: 200, expiresAtMs: NOW + 5_000 },
        ctx(),
      );

      // A block over a range nothing was used from: only an IP block change, so the chain stays.
      const beforeEmptyBlock = await headChain(store);
      const empty = await block('203.0.113.0/24');
      assert.deepEqual([empty.sessions, empty.apiTokens.length], [0, 0]);
      assert.equal(
        await headChain(store),
        beforeEmptyBlock,
        'an IP block that revokes nothing leaves the chain',
      );
      // A block over s2's range and an API token's: the session and API-token records are chained.
      const t1 = await newApiToken(user.id, { createdIp: '198.18.2.99' });
      const busy = await block('198.18.2.0/24');
      assert.deepEqual([busy.sessions, busy.apiTokens.map((t) => t.id)], [1, [t1]]);
      const beforeLift = await headChain(store);
      assert.notEqual(beforeLift, beforeEmptyBlock);
      assert.ok(await store.liftIpBlock(busy.id, NOW, null, audit('ip.unblocked')));
      assert.equal(await headChain(store), beforeLift, 'lifting a block leaves the chain');

      const t2 = await newApiToken(user.id);
      const t3 = await newApiToken(user.id);
      assert.deepEqual(
        (await store.revokeApiTokens(apiCtx(user.id, [t2]))).map((t) => t.id),
        [t2],
      );
      assert.deepEqual(
        (await store.revokeApiTokens(apiCtx(user.id))).map((t) => t.id),
        [t3],
      );
      await store.revoke({ scope: 'user', userId: user.id }, ctx());
      await store.revoke({ scope: 'global' }, ctx());

      const feed = await readAll(store, start);
      const scopes = new Set<string>(feed.map((r) => r.scope));
      for (const scope of [
        'token',
        'session',
        'user',
        'client',
        'key',
        'window',
        'global',
        'api_token',
        'ip_block',
        'ip_unblock',
      ]) {
        assert.ok(scopes.has(scope), `the feed has a ${scope} record`);
      }
      const snap = await store.loadSnapshot(NOW);
      assert.equal(snap.chain, fold(GENESIS_CHAIN, feed));
      assert.deepEqual(await readAll(store, snap.cursor), [], 'the snapshot is at the head');
    });

    test("a snapshot taken midway, continued with the records read from its cursor, reaches the final snapshot's chain", async () => {
      const user = await newUser();
      await store.revoke(
        { scope: 'token', issuer: 'i', jti: newId(), expiresAtMs: NOW + 60_000 },
        ctx(),
      );
      const mid = await store.loadSnapshot(NOW);
      assert.equal(
        mid.chain,
        fold(GENESIS_CHAIN, await readAll(store, start)),
        'the midway chain is the fold up to its cursor',
      );
      const s = await newSession(user.id, '198.18.3.1');
      await store.revoke({ scope: 'session', sessionId: s.id }, ctx());
      await block('198.18.4.0/24');
      await store.revoke({ scope: 'user', userId: user.id }, ctx());
      await store.revokeApiTokens(apiCtx(user.id, [await newApiToken(user.id)]));
      const end = await store.loadSnapshot(NOW);
      assert.notEqual(end.chain, mid.chain);
      assert.equal(fold(mid.chain, await readAll(store, mid.cursor)), end.chain);
    });

    test('a write that fails after appending feed records, and one refused before, leave the chain as it was; the next write chains from it', async () => {
      const user = await newUser();
      const s = await newSession(user.id, '198.18.5.1');
      await newApiToken(user.id, { createdIp: '198.18.5.2' });
      const before = await store.loadSnapshot(NOW);
      // The session's record (and, on SQLite, the nested revocation's chain advance) is written
      // before the API-token owner's mail throws: the whole block rolls back.
      await assert.rejects(
        block('198.18.5.0/24', () => {
          throw new Error('mail template broke');
        }),
        /mail template broke/,
      );
      assert.equal(
        (await store.findSession(s.id))?.revokedAtMs,
        null,
        'the rolled-back block revoked nothing',
      );
      const window = { key: `rw-${newId()}`, windowMs: 3_600_000 };
      await store.revokeApiTokens(apiCtx(user.id, [], window));
      await assert.rejects(
        store.revokeApiTokens(apiCtx(user.id, undefined, window)),
        (err: { code?: string }) => err.code === 'ERR_RATE_LIMITED',
      );
      assert.equal(await headChain(store), before.chain, 'nothing chained');
      await store.revoke({ scope: 'session', sessionId: s.id }, ctx());
      const after = await store.loadSnapshot(NOW);
      assert.equal(after.chain, fold(before.chain, await readAll(store, before.cursor)));
      assert.equal(after.chain, fold(GENESIS_CHAIN, await readAll(store, start)));
    });

    describe('two instances', { skip: backend.openPeer === undefined }, () => {
      let peer!: RevokdStore;
      before(async () => {
        peer = await backend.openPeer!(store);
      });
      after(async () => {
        if (peer !== undefined) await backend.close(peer);
      });

      test('revocations written at once through two stores on one database still leave the stored head equal to the fold over readFeed', async () => {
        const user = await newUser();
        const sessions = await Promise.all(
          [...Array(10)].map((_, i) => newSession(user.id, `198.18.6.${i + 1}`)),
        );
        const from = await store.loadSnapshot(NOW);
        const writes = (s: RevokdStore, side: number) =>
          [...Array(20)].map((_, i) =>
            i < 5
              ? s.revoke({ scope: 'session', sessionId: sessions[side * 5 + i]!.id }, ctx())
              : s.revoke(
                  { scope: 'token', issuer: 'i', jti: newId(), expiresAtMs: NOW + 60_000 },
                  ctx({ nowMs: NOW + i }),
                ),
          );
        await Promise.all([...writes(store, 0), ...writes(peer, 1)]);
        const feed = await readAll(peer, from.cursor);
        assert.equal(feed.length, 40);
        const expected = fold(from.chain, feed);
        assert.equal(await headChain(store), expected);
        assert.equal(await headChain(peer), expected, 'both instances read the same head');
        assert.equal(expected, fold(GENESIS_CHAIN, await readAll(store, start)));
      });
    });

    test("the newest revocations pruned: a snapshot's cursor stays past them, so a reader from it never meets (and chains) them again", async () => {
      await store.revoke(
        { scope: 'token', issuer: null, jti: newId(), expiresAtMs: NOW + 500 },
        ctx(),
      );
      const withIt = await store.loadSnapshot(NOW);
      await store.prune(NOW + 10_000);
      const pruned = await store.loadSnapshot(NOW + 10_000);
      assert.equal(pruned.chain, withIt.chain, 'the chain still covers the pruned record');
      assert.equal(pruned.cursor, withIt.cursor, 'and the cursor is still past it');
      await store.revoke(
        { scope: 'token', issuer: null, jti: newId(), expiresAtMs: NOW + 60_000 },
        ctx(),
      );
      assert.equal(fold(pruned.chain, await readAll(store, pruned.cursor)), await headChain(store));
    });
  });
}
