/**
 * The audit log port: appending, listing (by seq, type and user), counting by type, and the chain.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { verifyChain } from '../../../src/core/audit/audit-event.js';
import type { RevokdStore } from '../../../src/stores/types.js';
import { TEST_AUDIT_KEY } from '../../support/audit-key.js';
import { type StoreBackend, useStore } from './backend.js';
import { NOW, audit, ctx } from './fixtures.js';

export function describeAuditLogConformance(backend: StoreBackend): void {
  describe('audit log', () => {
    let store!: RevokdStore;
    const { newUser, newSession, consume, newApiToken, apiCtx } = useStore(backend, (opened) => {
      store = opened;
    });

    test('read-only summaries: live refresh tokens of sessions, audit counts by type, audit filtered by type and user', async () => {
      const user = await newUser();
      const a = await newSession(user.id);
      const b = await newSession(user.id);
      assert.equal(await store.countLiveRefreshTokens([a.id, b.id], NOW), 2);
      await consume(a.token);
      assert.equal(
        await store.countLiveRefreshTokens([a.id, b.id], NOW + 2000),
        2,
        'a rotation replaces, it does not add',
      );
      await store.revoke({ scope: 'session', sessionId: b.id }, ctx());
      const counts = await store.countAuditByType(null);
      assert.ok((counts['session.revoked'] ?? 0) >= 1);
      assert.equal(Object.keys(await store.countAuditByType(NOW + 10 ** 12)).length, 0);
      const revokedOnly = await store.listAudit({ limit: 1000, type: 'session.revoked' });
      assert.ok(revokedOnly.length >= 1 && revokedOnly.every((e) => e.type === 'session.revoked'));
      await store.appendAudit(
        [{ ...audit('user.logged_in'), actorType: 'user', actorId: user.id }],
        NOW,
      );
      await store.appendAudit(
        [{ ...audit('user.disabled'), targetType: 'user', targetId: user.id }],
        NOW,
      );
      const mine = await store.listAuditForUser(user.id, 100);
      assert.deepEqual(
        mine.map((e) => e.type),
        ['user.disabled', 'user.logged_in'],
        'newest first, as actor or target',
      );
      const counts2 = await store.countAlerts();
      for (const severity of ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const) {
        assert.ok(counts2[severity].total >= counts2[severity].unacknowledged, severity);
      }
    });

    test('one write with more audit entries than one INSERT carries: all of them, in order, chained', async () => {
      const user = await newUser();
      // 70 revoked API tokens + the "all revoked" entry: more rows than ROWS_PER_INSERT (64).
      const ids: string[] = [];
      for (let i = 0; i < 70; i++) ids.push(await newApiToken(user.id));
      const { seq: before } = (await store.listAudit({ afterSeq: 0, limit: 100_000 })).at(-1)!;
      assert.equal((await store.revokeApiTokens(apiCtx(user.id))).length, 70);
      const entries = await store.listAudit({ afterSeq: 0, limit: 100_000 });
      assert.deepEqual(verifyChain(entries, TEST_AUDIT_KEY), { ok: true, entries: entries.length });
      const added = entries.filter((e) => e.seq > before);
      assert.deepEqual(
        added.map((e) => e.seq),
        added.map((_, i) => before + 1 + i),
      );
      assert.deepEqual(
        added.map((e) => e.type),
        [...ids.map(() => 'api_token.revoked'), 'api_token.all_revoked'],
      );
    });

    test('every write is in the audit log and the chain verifies', async () => {
      const user = await newUser();
      await store.revoke({ scope: 'user', userId: user.id }, ctx({ note: 'conformance' }));
      const entries = [];
      let after = 0;
      for (;;) {
        const page = await store.listAudit({ afterSeq: after, limit: 500 });
        if (page.length === 0) break;
        entries.push(...page);
        after = page[page.length - 1]!.seq;
      }
      assert.deepEqual(verifyChain(entries, TEST_AUDIT_KEY), { ok: true, entries: entries.length });
      const last = entries[entries.length - 1]!;
      assert.equal(last.type, 'user.tokens_revoked');
      assert.equal(last.targetId, user.id);
      assert.equal(last.details.note, 'conformance');
    });
    test('the last entry is the one with the highest seq', async () => {
      const user = await newUser();
      await store.appendAudit(
        [
          { ...audit('user.logged_in'), actorType: 'user', actorId: user.id },
          { ...audit('user.disabled'), targetType: 'user', targetId: user.id },
        ],
        NOW,
      );
      const last = await store.lastAuditEntry();
      assert.ok(last !== undefined);
      assert.equal(last.type, 'user.disabled');
      assert.equal(last.targetId, user.id);
      assert.deepEqual(
        await store.listAudit({ afterSeq: last.seq, limit: 10 }),
        [],
        'nothing after it',
      );
      assert.deepEqual((await store.listAudit({ afterSeq: last.seq - 1, limit: 1 }))[0], last);
    });

    test('audit for a user: at most limit entries, the newest ones', async () => {
      const user = await newUser();
      for (const type of ['user.logged_in', 'user.login_failed', 'api_token.created'] as const) {
        await store.appendAudit([{ ...audit(type), actorType: 'user', actorId: user.id }], NOW);
      }
      const all = await store.listAuditForUser(user.id, 100);
      assert.deepEqual(
        all.map((e) => e.type),
        ['api_token.created', 'user.login_failed', 'user.logged_in'],
        'newest first',
      );
      assert.deepEqual(await store.listAuditForUser(user.id, 2), all.slice(0, 2));
    });
  });
}
