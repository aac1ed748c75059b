/**
 * The revocation log port: revoke by every scope, the feed, the snapshot, window entries, prune, and
 * the generation counters revocations bump.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RevocationState } from '../../../src/core/revocation/revocation-state.js';
import type { SnapshotHead } from '../../../src/core/revocation/snapshot-stream.js';
import { GENERATION_SCOPES } from '../../../src/core/revocation/types.js';
import { toWire } from '../../../src/core/revocation/wire-format.js';
import { newId } from '../../../src/core/tokens/opaque.js';
import type { RevokdStore } from '../../../src/stores/types.js';
import { type StoreBackend, useStore } from './backend.js';
import { NOW, activeKey, audit, ctx } from './fixtures.js';

export function describeRevocationLogConformance(backend: StoreBackend): void {
  describe('revocation log', () => {
    let store!: RevokdStore;
    const { newUser, newSession } = useStore(backend, (opened) => {
      store = opened;
    });

    test('generations start at zero and a user revocation bumps only that user', async () => {
      const a = await newUser();
      const b = await newUser();
      assert.deepEqual(
        await store.readGenerations(a.id, 'revokd'),
        await store.readGenerations(b.id, 'revokd'),
      );
      const before = await store.readGenerations(a.id, 'revokd');
      const report = await store.revoke({ scope: 'user', userId: a.id }, ctx());
      assert.equal(report.generation, before.ugen + 1);
      assert.equal((await store.readGenerations(a.id, 'revokd')).ugen, before.ugen + 1);
      assert.equal((await store.readGenerations(b.id, 'revokd')).ugen, 0);
    });

    test('revoking the same session twice changes nothing the second time', async () => {
      const user = await newUser();
      const s = await newSession(user.id);
      assert.equal(
        (await store.revoke({ scope: 'session', sessionId: s.id }, ctx())).changed,
        true,
      );
      const again = await store.revoke({ scope: 'session', sessionId: s.id }, ctx());
      assert.equal(again.changed, false);
      assert.equal(again.records.length, 0);
    });

    test('token revocations are idempotent and carry their expiry', async () => {
      const jti = newId();
      const first = await store.revoke(
        { scope: 'token', issuer: 'https://iss', jti, expiresAtMs: NOW + 5000 },
        ctx(),
      );
      assert.equal(first.changed, true);
      assert.equal(first.records[0]?.expiresAtMs, NOW + 5000);
      assert.equal(
        (
          await store.revoke(
            { scope: 'token', issuer: 'https://iss', jti, expiresAtMs: NOW + 5000 },
            ctx(),
          )
        ).changed,
        false,
      );
    });

    test(
      'window entries: listed while live, with their bounds and expiry; gone from the list ' +
        'and the snapshot once expired and pruned',
      async () => {
        const from = 10_000 + Math.floor(Math.random() * 1_000_000);
        await store.revoke(
          { scope: 'window', fromSec: from, toSec: from + 10, expiresAtMs: NOW + 1000 },
          ctx(),
        );
        const mine = <R extends { scope: string; windowFrom: number | null }>(
          records: readonly R[],
        ) => records.filter((r) => r.scope === 'window' && r.windowFrom === from);
        const listed = mine(await store.listWindowRevocations(NOW));
        assert.equal(listed.length, 1);
        assert.deepEqual(
          [listed[0]!.windowTo, listed[0]!.expiresAtMs, listed[0]!.reason],
          [from + 10, NOW + 1000, 'admin'],
        );
        assert.deepEqual(
          mine(await store.listWindowRevocations(NOW + 1001)),
          [],
          'an expired entry is not listed',
        );
        await store.prune(NOW + 1001);
        assert.deepEqual(
          mine((await store.loadSnapshot(NOW)).records),
          [],
          'pruned from the store',
        );
      },
    );

    test(
      'the feed is in commit order and resumes from its cursor, and a snapshot plus the feed ' +
        'rebuild the same decisions',
      async () => {
        const start = (await store.loadSnapshot(NOW)).cursor;
        const user = await newUser();
        const s = await newSession(user.id);
        await store.revoke({ scope: 'session', sessionId: s.id }, ctx());
        await store.revoke({ scope: 'global' }, ctx());
        await store.revoke({ scope: 'window', fromSec: 100, toSec: 200 }, ctx());
        const page = await store.readFeed(start, 100);
        const feed = page.records;
        assert.deepEqual(
          feed.map((r) => r.scope),
          ['session', 'global', 'window'],
        );
        assert.equal(new Set(feed.map((r) => r.seq)).size, 3, 'each record has its own id');
        const first = await store.readFeed(start, 1);
        assert.deepEqual(first.records, feed.slice(0, 1));
        assert.deepEqual(
          (await store.readFeed(first.cursor, 100)).records,
          feed.slice(1),
          'resuming from a cursor continues right after it',
        );
        assert.deepEqual(
          await store.readFeed(page.cursor, 100),
          { records: [], cursors: [], cursor: page.cursor },
          'at the head: nothing, and the cursor stays',
        );
        assert.equal(page.cursors.length, 3, 'a cursor per record');
        assert.equal(page.cursors[2], page.cursor, "the last record's cursor is the page's");
        assert.deepEqual(
          (await store.readFeed(page.cursors[0]!, 100)).records,
          feed.slice(1),
          "resuming from a record's cursor continues right after it",
        );
        assert.equal(
          store.parseFeedCursor(page.cursors[1]!),
          page.cursors[1],
          'a cursor handed back is recognised',
        );
        for (const junk of ['', '-1', 'abc', '1e3', '01', ' 1', '9'.repeat(40)])
          assert.equal(
            store.parseFeedCursor(junk),
            undefined,
            `not a cursor: ${JSON.stringify(junk)}`,
          );

        const snap = await store.loadSnapshot(NOW);
        const state = new RevocationState();
        state.setGenerations(snap.globalGeneration, snap.userGenerations, snap.clientGenerations);
        for (const r of snap.records) state.apply(r);
        const stamp = {
          iss: 'x',
          jti: newId(),
          sid: s.id,
          sub: user.id,
          clientId: 'revokd',
          iat: 150,
          ...s.gens,
        };
        assert.deepEqual(state.check(stamp), { revoked: true, scope: 'session' });
        assert.deepEqual(state.check({ ...stamp, sid: 'other' }), {
          revoked: true,
          scope: 'global',
        });
        assert.deepEqual(state.check({ ...stamp, sid: 'other', gen: snap.globalGeneration }), {
          revoked: true,
          scope: 'window',
        });
        assert.deepEqual(
          state.check({ ...stamp, sid: 'other', gen: snap.globalGeneration, iat: 300 }),
          { revoked: false },
        );
      },
    );

    test('expired entries leave the snapshot and are pruned; counters stay', async () => {
      const jti = newId();
      await store.revoke({ scope: 'token', issuer: 'i', jti, expiresAtMs: NOW + 10 }, ctx());
      const later = NOW + 1000;
      assert.ok(!(await store.loadSnapshot(later)).records.some((r) => r.target === jti));
      const pruned = await store.prune(later);
      assert.ok(pruned.feedRecords >= 1);
      assert.ok((await store.loadSnapshot(NOW)).globalGeneration >= 1);
    });

    test(
      'an entry expiring at this very instant is still in the snapshot and survives a prune ' +
        'at that instant (core entryIsLive / entryMayBePruned)',
      async () => {
        const jti = newId();
        const at = NOW + 50;
        await store.revoke({ scope: 'token', issuer: 'i', jti, expiresAtMs: at }, ctx());
        const mine = async (nowMs: number) =>
          (await store.loadSnapshot(nowMs)).records.filter((r) => r.target === jti);
        await store.prune(at);
        assert.equal((await mine(at)).length, 1, 'loaded and kept at its expiry instant');
        assert.equal((await mine(at + 1)).length, 0, 'no longer loaded one ms later');
        await store.prune(at + 1);
        assert.equal((await mine(NOW)).length, 0, 'pruned one ms later');
      },
    );

    test('key revocation flips status once and is in the feed', async () => {
      const kid = `k${newId()}`;
      await store.insertSigningKey(activeKey(kid), true, audit('key.rotated'));
      const report = await store.revoke({ scope: 'key', kid }, ctx({ reason: 'key_revoked' }));
      assert.equal(report.records[0]?.scope, 'key');
      assert.equal((await store.listSigningKeys()).find((k) => k.kid === kid)?.status, 'revoked');
      assert.equal((await store.revoke({ scope: 'key', kid }, ctx())).changed, false);
    });

    test('client revocation bumps the client generation and revokes its sessions', async () => {
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
      const user = await newUser();
      const s = await newSession(user.id, '192.0.2.1', { clientId });
      const report = await store.revoke({ scope: 'client', clientId }, ctx());
      assert.equal(report.generation, 1);
      assert.equal(report.sessions, 1);
      assert.equal((await store.readGenerations(user.id, clientId)).cgen, 1);
      assert.equal((await store.findSession(s.id))?.revokedAtMs, NOW);
    });

    test(
      'feed: a read returns at most limit records, the first ones after the ' + 'cursor',
      async () => {
        const start = (await store.loadSnapshot(NOW)).cursor;
        for (let i = 0; i < 3; i++)
          await store.revoke(
            { scope: 'token', issuer: null, jti: newId(), expiresAtMs: NOW + 60_000 },
            ctx(),
          );
        const all = (await store.readFeed(start, 100)).records;
        assert.equal(all.length, 3);
        const two = await store.readFeed(start, 2);
        assert.deepEqual(two.records, all.slice(0, 2));
        const rest = await store.readFeed(two.cursor, 2);
        assert.deepEqual(rest.records, all.slice(2));
        assert.deepEqual(
          (await store.readFeed(rest.cursor, 2)).records,
          [],
          'nothing after the last record',
        );
      },
    );

    test(
      'the paged snapshot (readSnapshotHead, readSnapshotPage) is loadSnapshot read in ' + 'pieces',
      async () => {
        const live = [newId(), newId(), newId()];
        const expiring = newId();
        for (const jti of live)
          await store.revoke(
            { scope: 'token', issuer: 'i', jti, expiresAtMs: NOW + 60_000 },
            ctx(),
          );
        await store.revoke(
          { scope: 'token', issuer: 'i', jti: expiring, expiresAtMs: NOW + 10 },
          ctx(),
        );
        const at = NOW + 1_000;
        const head = await store.readSnapshotHead(at);
        const later = newId();
        await store.revoke(
          { scope: 'token', issuer: 'i', jti: later, expiresAtMs: NOW + 60_000 },
          ctx(),
        );
        const whole = await store.loadSnapshot(at);
        assert.equal(head.asOfMs, at);
        const texts: string[] = [];
        for (let after = head.start; ;) {
          const page = await store.readSnapshotPage(head, after);
          assert.equal(page.cursors.length, page.revocations.length);
          texts.push(...page.revocations);
          if (page.done) break;
          after = page.cursor;
        }
        const targets = texts.map((t) => (JSON.parse(t) as { jti?: string }).jti);
        for (const jti of live) assert.ok(targets.includes(jti), 'every live entry');
        assert.ok(!targets.includes(expiring), 'not an entry expired at the head instant');
        assert.ok(!targets.includes(later), 'nothing committed after the head');
        // What loadSnapshot read a moment later, less what came after the head, as the wire says it.
        assert.deepEqual(
          texts,
          whole.records.filter((r) => r.target !== later).map((r) => JSON.stringify(toWire(r))),
        );
        const first = await store.readSnapshotPage(head, head.start);
        const resumed = await store.readSnapshotPage(head, first.cursors[0]!);
        assert.equal(
          resumed.revocations[0],
          first.revocations[1],
          'resuming after a record continues with the next',
        );
      },
    );

    test("a snapshot page's wire text is toWire's, byte for byte: every scope, odd characters, a reason newer than the wire", async () => {
      const user = await newUser();
      const s = await newSession(user.id);
      const kid = `k${newId()}`;
      await store.insertSigningKey(activeKey(kid), true, audit('key.rotated'));
      const odd = `q"b\\s\nn\tt\u0001c\u001fé中🙂'</x>${newId()}`;
      await store.revoke(
        { scope: 'token', issuer: odd, jti: odd, expiresAtMs: NOW + 60_000 },
        ctx({ initiator: 'user', reason: 'revoke_all_api_tokens' }),
      );
      await store.revoke(
        { scope: 'token', issuer: null, jti: newId(), expiresAtMs: NOW + 60_000 },
        ctx({ initiator: 'system', reason: 'refresh_reuse' }),
      );
      await store.revoke({ scope: 'session', sessionId: s.id }, ctx({ reason: 'logout' }));
      await store.revoke({ scope: 'key', kid }, ctx({ reason: 'key_revoked' }));
      await store.revoke({ scope: 'window', fromSec: 100, toSec: 200 }, ctx());
      await store.revoke({ scope: 'user', userId: user.id }, ctx({ reason: 'password_change' }));
      await store.revoke({ scope: 'global' }, ctx());
      const at = NOW + 1_000;
      const head = await store.readSnapshotHead(at);
      const texts: string[] = [];
      for (let after = head.start; ;) {
        const page = await store.readSnapshotPage(head, after);
        texts.push(...page.revocations);
        if (page.done) break;
        after = page.cursor;
      }
      const records = (await store.loadSnapshot(at)).records;
      assert.deepEqual(
        texts,
        records.map((r) => JSON.stringify(toWire(r))),
      );
      const scopes = new Set(records.map((r) => r.scope));
      for (const scope of ['token', 'session', 'key', 'window', 'user', 'global'])
        assert.ok(scopes.has(scope as never), `a ${scope} record compared`);
      const oddText = texts.find((t) => t.includes('"reason":"logout_all"'));
      assert.ok(oddText !== undefined, 'the newer reason is sent as its wire code');
      assert.equal((JSON.parse(oddText) as { jti: string }).jti, odd);
    });

    test('streamSnapshot hands a replica the entries of loadSnapshot: entry scopes, five columns', async () => {
      const user = await newUser();
      const s = await newSession(user.id);
      const kid = `k${newId()}`;
      await store.insertSigningKey(activeKey(kid), true, audit('key.rotated'));
      const jti = newId();
      await store.revoke({ scope: 'token', issuer: 'i', jti, expiresAtMs: NOW + 60_000 }, ctx());
      await store.revoke(
        { scope: 'token', issuer: null, jti: newId(), expiresAtMs: NOW + 10 },
        ctx(),
      );
      await store.revoke({ scope: 'session', sessionId: s.id }, ctx());
      await store.revoke({ scope: 'key', kid }, ctx({ reason: 'key_revoked' }));
      await store.revoke(
        { scope: 'window', fromSec: 100, toSec: 200, expiresAtMs: NOW + 5_000 },
        ctx(),
      );
      await store.revoke({ scope: 'user', userId: user.id }, ctx());
      await store.revoke({ scope: 'global' }, ctx());
      const at = NOW + 1_000;

      const whole = await store.loadSnapshot(at);
      let head: SnapshotHead | undefined;
      const tokens: unknown[][] = [];
      const entries: unknown[][] = [];
      await store.streamSnapshot(at, {
        begin: (h) => {
          head = h;
          tokens.length = 0;
          entries.length = 0;
        },
        tokens: (batch) => {
          for (const t of batch) tokens.push([...t]);
        },
        entries: (batch) => {
          for (const e of batch) entries.push([...e]);
        },
      });
      assert.ok(head !== undefined);
      const { tokenEntries, ...rest } = head;
      const { records: _records, ...wholeHead } = whole;
      assert.deepEqual(rest, wholeHead, 'the same head: counters, cursor, chain');
      assert.ok(tokenEntries >= whole.records.filter((r) => r.scope === 'token').length);
      const generationScopes: readonly string[] = GENERATION_SCOPES;
      assert.deepEqual(
        tokens,
        whole.records.filter((r) => r.scope === 'token').map((r) => [r.target, r.expiresAtMs]),
        'every token record, in order, as jti and expiry (a number)',
      );
      assert.deepEqual(
        entries,
        whole.records
          .filter((r) => r.scope !== 'token' && !generationScopes.includes(r.scope))
          .map((r) => [r.scope, r.target, r.windowFrom, r.windowTo, r.expiresAtMs]),
        'every other entry-scope record, in order, as scope/target/window/expiry',
      );
      assert.ok(tokens.some((t) => t[0] === jti));
      for (const scope of ['session', 'key', 'window'])
        assert.ok(
          entries.some((e) => e[0] === scope),
          `a ${scope} entry`,
        );
      assert.ok(whole.records.some((r) => r.scope === 'user' && r.target === user.id));
      assert.ok(!entries.some((e) => generationScopes.includes(e[0] as string)));

      // A replica built from the entries decides as one built from the records.
      const fromEntries = new RevocationState();
      const fromRecords = new RevocationState();
      for (const state of [fromEntries, fromRecords])
        state.setGenerations(head.globalGeneration, head.userGenerations, head.clientGenerations);
      for (const t of tokens)
        fromEntries.applyEntry('token', t[0] as string, null, null, t[1] as number | null);
      for (const e of entries)
        fromEntries.applyEntry(...(e as Parameters<RevocationState['applyEntry']>));
      for (const r of whole.records) fromRecords.apply(r);
      const stamp = {
        iss: 'i',
        jti: newId(),
        sid: newId(),
        sub: newId(),
        clientId: 'c',
        iat: 50,
        gen: head.globalGeneration,
        ugen: 0,
        cgen: 0,
      };
      for (const probe of [
        { ...stamp, jti },
        { ...stamp, sid: s.id },
        { ...stamp, kid },
        { ...stamp, iat: 150 },
        { ...stamp, sub: user.id },
        stamp,
      ])
        assert.deepEqual(fromEntries.check(probe), fromRecords.check(probe));
      assert.deepEqual(fromEntries.check({ ...stamp, jti }), { revoked: true, scope: 'token' });
      assert.deepEqual(fromEntries.check({ ...stamp, sub: user.id }), {
        revoked: true,
        scope: 'user',
      });
      assert.deepEqual(fromEntries.check(stamp), { revoked: false });
    });
  });
}
