/**
 * Group commit (src/stores/sql/revoke-batch.ts): revocations started together are committed
 * together, and what readers get is what they would get had each committed alone — the feed in
 * the order the revocations were made (commit order), the stored chain the fold of chainAfter over
 * those records one by one, each caller handed exactly its own records; and one revocation the
 * store refuses fails alone.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type AuditEntry, truncateId, verifyChain } from '../../../src/core/audit/audit-event.js';
import { chainAfter } from '../../../src/core/revocation/feed-chain.js';
import type { FeedRecord } from '../../../src/core/revocation/feed.js';
import type { RevocationRecord } from '../../../src/core/revocation/types.js';
import { newId } from '../../../src/core/tokens/opaque.js';
import type { FeedCursor, RevocationContext, RevokdStore } from '../../../src/stores/types.js';
import { TEST_AUDIT_KEY } from '../../support/audit-key.js';
import { type StoreBackend, useStore } from './backend.js';
import { NOW, ctx } from './fixtures.js';

async function readAll(store: RevokdStore, after: FeedCursor): Promise<FeedRecord[]> {
  const all: FeedRecord[] = [];
  for (let cursor = after; ;) {
    const page = await store.readFeed(cursor, 50);
    if (page.records.length === 0) return all;
    all.push(...page.records);
    cursor = page.cursor;
  }
}

async function readAudit(store: RevokdStore, afterSeq: number): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  for (let after = afterSeq; ;) {
    const page = await store.listAudit({ afterSeq: after, limit: 500 });
    if (page.length === 0) return entries;
    entries.push(...page);
    after = page.at(-1)!.seq;
  }
}

export function describeGroupCommitConformance(backend: StoreBackend): void {
  describe('group commit', () => {
    let store!: RevokdStore;
    const { newUser, newSession } = useStore(backend, (opened) => {
      store = opened;
    });

    test(
      'revocations started at once: the feed holds them in the order they were made, ' +
        'chained one by one',
      async () => {
        const user = await newUser();
        const sessions = await Promise.all(
          [...Array(5)].map((_, i) => newSession(user.id, `198.18.7.${i + 1}`)),
        );
        const from = await store.loadSnapshot(NOW);
        const jtis = [...Array(40)].map(() => newId());
        // All started in one turn of the event loop: they reach the store together.
        const reports = await Promise.all(
          jtis.map((jti, i) =>
            store.revoke(
              i % 8 === 0
                ? { scope: 'session', sessionId: sessions[i / 8]!.id }
                : { scope: 'token', issuer: 'i', jti, expiresAtMs: NOW + 60_000 },
              ctx({ nowMs: NOW + i }),
            ),
          ),
        );

        const feed = await readAll(store, from.cursor);
        const handedOut = reports.flatMap((r) => r.records);
        assert.deepEqual(feed, handedOut, "every caller's records, in call order");
        for (const [i, report] of reports.entries()) {
          const target = i % 8 === 0 ? sessions[i / 8]!.id : jtis[i];
          const own = report.records.length > 0 && report.records.every((r) => r.target === target);
          assert.ok(own, `call ${i} got its own records`);
          const clock = report.records.every((r) => r.createdAtMs === NOW + i);
          assert.ok(clock, `call ${i}'s records carry its own clock`);
        }
        const oneByOne = feed.reduce((c, r) => chainAfter(c, r), from.chain);
        assert.equal((await store.loadSnapshot(NOW)).chain, oneByOne);
      },
    );

    test(
      "the same token revoked twice at once: the second finds the first's entry, " +
        'as if one after the other',
      async () => {
        const from = await store.loadSnapshot(NOW);
        const target = { scope: 'token' as const, issuer: 'i', jti: newId(), expiresAtMs: NOW + 9 };
        const both = await Promise.all([0, 1].map(() => store.revoke(target, ctx())));
        const [first, second] = [both[0]!, both[1]!];
        assert.deepEqual([first.changed, first.records.length], [true, 1]);
        assert.deepEqual([second.changed, second.records.length], [false, 0]);
        assert.equal((await readAll(store, from.cursor)).length, 1);
      },
    );

    test(
      'token revocations at once, one repeated: one audit entry per change, in call order, ' +
        'each at its own time, and the audit chain verifies',
      async () => {
        const before = await readAudit(store, 0);
        const jtis = [...Array(12)].map(() => newId());
        // The token of call 3 is named again by call 7: that repeat changes nothing.
        const calls = jtis.map((jti, i) => (i === 7 ? jtis[3]! : jti));
        const reports = await Promise.all(
          calls.map((jti, i) =>
            store.revoke(
              { scope: 'token', issuer: 'i', jti, expiresAtMs: NOW + 60_000 },
              ctx({ nowMs: NOW + 100 + i }),
            ),
          ),
        );
        assert.deepEqual(
          reports.map((r) => r.changed),
          calls.map((_, i) => i !== 7),
        );
        const all = await readAudit(store, 0);
        assert.deepEqual(verifyChain(all, TEST_AUDIT_KEY), { ok: true, entries: all.length });
        const added = all.slice(before.length);
        const changedCalls = [...calls.keys()].filter((i) => i !== 7);
        assert.deepEqual(
          added.map((e) => [e.type, e.targetId, e.atMs]),
          changedCalls.map((i) => ['token.revoked', truncateId(calls[i]!), NOW + 100 + i]),
        );
      },
    );

    test(
      'a revocation the store refuses fails alone: the others started with it commit ' +
        'and chain',
      async () => {
        const from = await store.loadSnapshot(NOW);
        const jtis = [...Array(6)].map(() => newId());
        // A NOT NULL column left null: the store refuses this one (a conflict on both backends).
        const refused = ctx({ initiator: null as unknown as RevocationContext['initiator'] });
        const outcomes = await Promise.allSettled(
          jtis.map((jti, i) =>
            store.revoke(
              { scope: 'token', issuer: 'i', jti, expiresAtMs: NOW + 60_000 },
              i === 2 ? refused : ctx(),
            ),
          ),
        );
        const fulfilled = outcomes.map((o) => o.status === 'fulfilled');
        assert.deepEqual(fulfilled, [true, true, false, true, true, true]);
        assert.equal((outcomes[2] as PromiseRejectedResult).reason?.code, 'ERR_CONFLICT');
        const feed = await readAll(store, from.cursor);
        const others = jtis.filter((_, i) => i !== 2);
        assert.deepEqual(
          feed.map((r) => r.target),
          others,
          'the others, in order',
        );
        const oneByOne = feed.reduce((c, r) => chainAfter(c, r as RevocationRecord), from.chain);
        assert.equal((await store.loadSnapshot(NOW)).chain, oneByOne);
      },
    );
  });
}
