/**
 * What must hold when two instances (two stores opened on one database, as two revokd processes
 * would) write at the same moment: the feed is read in commit order by a reader that follows it,
 * the audit log stays one chain, and a refresh token rotates exactly once. Run against every
 * backend that can open a peer (`StoreBackend.openPeer`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { verifyChain } from '../../../src/core/audit/audit-event.js';
import { newId } from '../../../src/core/tokens/opaque.js';
import type { AuditEntry } from '../../../src/core/audit/audit-event.js';
import type { FeedRecord } from '../../../src/core/revocation/feed.js';
import type { FeedCursor, RevokdStore } from '../../../src/stores/types.js';
import { TEST_AUDIT_KEY } from '../../support/audit-key.js';
import { type StoreBackend, useStore } from './backend.js';
import { NOW, audit, ctx, storeFixtures } from './fixtures.js';

const WRITERS_PER_INSTANCE = 4;
const REVOKES_PER_WRITER = 25;

export function describeConcurrencyConformance(backend: StoreBackend): void {
  const openPeer = backend.openPeer?.bind(backend);
  if (openPeer === undefined) return;
  describe('two instances at once', () => {
    let store!: RevokdStore;
    let peer!: RevokdStore;
    const { newUser, newSession } = useStore(backend, (s) => {
      store = s;
    });
    before(async () => {
      peer = await openPeer(store);
    });
    after(async () => {
      await backend.close(peer);
    });

    test('the feed is read in commit order: a reader following it while both instances revoke sees every record exactly once', async () => {
      let cursor: FeedCursor = (await store.loadSnapshot(NOW)).cursor;
      const seen: FeedRecord[] = [];
      let writing = true;
      // The reader polls as fast as it can, so it reads while transactions are in flight: a backend
      // whose cursor is a sequence value that commits can overtake would skip records here.
      const reader = (async () => {
        for (;;) {
          const stillWriting = writing;
          const page = await peer.readFeed(cursor, 1000);
          seen.push(...page.records);
          cursor = page.cursor;
          if (!stillWriting && page.records.length === 0) return;
          // Let the event loop turn, as a real reader does between polls: on SQLite every call
          // settles in microtasks, so without this the loop would starve the writers, whose
          // revocations commit at the end of a turn (group commit, src/stores/sql/revoke-batch.ts).
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      const writer = (s: RevokdStore) => async () => {
        const made: number[] = [];
        for (let i = 0; i < REVOKES_PER_WRITER; i++) {
          const report = await s.revoke(
            { scope: 'token', issuer: 'i', jti: newId(), expiresAtMs: NOW + 60_000 },
            ctx(),
          );
          made.push(...report.records.map((r) => r.seq));
        }
        return made;
      };
      const writers = [...Array(WRITERS_PER_INSTANCE)].flatMap(() => [
        writer(store)(),
        writer(peer)(),
      ]);
      const acknowledged = (await Promise.all(writers)).flat();
      writing = false;
      await reader;
      const seenIds = seen.map((r) => r.seq);
      assert.equal(new Set(seenIds).size, seenIds.length, 'no record read twice');
      assert.deepEqual(
        [...seenIds].sort((a, b) => a - b),
        [...acknowledged].sort((a, b) => a - b),
        'every acknowledged record read, none missed',
      );
    });

    test('the audit log stays one chain when both instances append at once', async () => {
      const appends = [...Array(40)].map((_, i) =>
        (i % 2 === 0 ? store : peer).appendAudit([audit('user.logged_in')], NOW),
      );
      const user = await newUser();
      const revokes = [...Array(10)].map((_, i) =>
        (i % 2 === 0 ? store : peer).revoke({ scope: 'user', userId: user.id }, ctx()),
      );
      await Promise.all([...appends, ...revokes]);
      const entries: AuditEntry[] = [];
      for (let after = 0; ;) {
        const page = await store.listAudit({ afterSeq: after, limit: 1000 });
        if (page.length === 0) break;
        entries.push(...page);
        after = page[page.length - 1]!.seq;
      }
      assert.deepEqual(verifyChain(entries, TEST_AUDIT_KEY), { ok: true, entries: entries.length });
      assert.equal(
        entries.filter((e) => e.type === 'user.tokens_revoked' && e.targetId === user.id).length,
        10,
      );
    });

    test('20 concurrent refreshes of one token over both instances leave one live successor', async () => {
      const user = await newUser();
      const session = await newSession(user.id);
      const onStore = storeFixtures(() => store);
      const onPeer = storeFixtures(() => peer);
      const outcomes = await Promise.all(
        [...Array(20)].map((_, i) => (i % 2 === 0 ? onStore : onPeer).consume(session.token)),
      );
      const rotated = outcomes.filter((o) => o.outcome.kind === 'rotated');
      assert.equal(rotated.length, 1, 'exactly one caller rotated the token');
      assert.ok(
        outcomes.every(
          (o) => o.outcome.kind === 'rotated' || o.outcome.kind === 'already_consumed',
        ),
      );
      assert.equal(
        await store.countLiveRefreshTokens([session.id], NOW + 1000),
        1,
        'one live refresh token in the session',
      );
    });

    test('a generation bumped on one instance is what the other stamps next', async () => {
      const user = await newUser();
      await Promise.all(
        [...Array(6)].map((_, i) =>
          (i % 2 === 0 ? store : peer).revoke({ scope: 'user', userId: user.id }, ctx()),
        ),
      );
      assert.equal((await peer.readGenerations(user.id, 'revokd')).ugen, 6, 'no bump lost');
      const s = await storeFixtures(() => peer).newSession(user.id);
      assert.equal(s.gens.ugen, 6);
    });
  });
}
