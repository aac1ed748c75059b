/**
 * The containment port: IP blocks (and what creating one revokes), alerts, decoys.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { RevokdStore } from '../../../src/stores/types.js';
import { type StoreBackend, useStore } from './backend.js';
import { NOW, audit, ctx } from './fixtures.js';

export function describeContainmentConformance(backend: StoreBackend): void {
  describe('containment', () => {
    let store!: RevokdStore;
    const { newUser, newSession, consume, newApiToken, blockOf } = useStore(backend, (opened) => {
      store = opened;
    });

    test('ip blocks: creating one revokes matching sessions in the same commit; lifting keeps them revoked', async () => {
      const user = await newUser();
      const hit = await newSession(user.id, '203.0.113.9');
      const miss = await newSession(user.id, '198.51.100.9');
      const id = randomUUID();
      const report = await store.createIpBlock(
        {
          id,
          cidr: '203.0.113.0/24',
          reason: 'test',
          source: 'manual',
          createdAtMs: NOW,
          expiresAtMs: NOW + 1000,
          createdBy: null,
        },
        ctx({ reason: 'ip_block' }),
        { notify: () => null },
      );
      assert.equal(report.sessions, 1);
      assert.equal((await store.findSession(hit.id))?.revokeReason, 'ip_block');
      assert.equal((await store.findSession(miss.id))?.revokedAtMs, null);
      assert.ok((await store.listIpBlocks(NOW)).some((b) => b.id === id));
      // What it revoked is kept with it (and still there once it is lifted or expired).
      const counts = { sessions: 1, refreshTokens: report.refreshTokens, apiTokens: 0 };
      assert.equal(report.refreshTokens, 1, "the session's live refresh token");
      assert.deepEqual((await store.listIpBlocks(NOW)).find((b) => b.id === id)?.revoked, counts);
      assert.ok(
        !(await store.listIpBlocks(NOW + 1000)).some((b) => b.id === id),
        'expired blocks are not active',
      );
      const lifted = await store.liftIpBlock(id, NOW + 1, null, audit('ip.unblocked'));
      assert.equal(lifted?.liftedAtMs, NOW + 1);
      assert.equal(await store.liftIpBlock(id, NOW + 2, null, audit('ip.unblocked')), undefined);
      assert.ok(!(await store.listIpBlocks(NOW)).some((b) => b.id === id));
      assert.deepEqual((await store.listIpBlocks(null)).find((b) => b.id === id)?.revoked, counts);
      assert.notEqual(
        (await store.findSession(hit.id))?.revokedAtMs,
        null,
        'unblocking restores nothing',
      );
    });

    test('findIpBlock: one block by id, active, expired or lifted alike; undefined when unknown', async () => {
      const id = randomUUID();
      await store.createIpBlock(
        {
          id,
          cidr: '198.51.100.64/26',
          reason: 'find one',
          source: 'manual',
          createdAtMs: NOW,
          expiresAtMs: NOW + 1000,
          createdBy: null,
        },
        ctx({ reason: 'ip_block' }),
        { notify: () => null },
      );
      const found = await store.findIpBlock(id);
      assert.deepEqual(
        found,
        (await store.listIpBlocks(null)).find((b) => b.id === id),
        'the same record the list gives',
      );
      assert.equal(found?.cidr, '198.51.100.64/26');
      assert.equal(found?.reason, 'find one');
      assert.equal(found?.expiresAtMs, NOW + 1000);
      assert.equal(found?.liftedAtMs, null);
      await store.liftIpBlock(id, NOW + 1, null, audit('ip.unblocked'));
      assert.equal(
        (await store.findIpBlock(id))?.liftedAtMs,
        NOW + 1,
        'a lifted block is still found (the caller judges it inactive)',
      );
      assert.equal(await store.findIpBlock(randomUUID()), undefined);
    });

    test('ip blocks: creating and lifting one appends block changes to the feed in the same commit, before what it revokes; the snapshot leaves them out', async () => {
      const user = await newUser();
      await newSession(user.id, '192.0.2.77');
      const from = (await store.loadSnapshot(NOW)).cursor;
      const id = randomUUID();
      const report = await store.createIpBlock(
        {
          id,
          cidr: '192.0.2.0/24',
          reason: 'feed',
          source: 'manual',
          createdAtMs: NOW,
          expiresAtMs: NOW + 5000,
          createdBy: null,
        },
        ctx({ reason: 'ip_block' }),
        { notify: () => null },
      );
      const afterBlock = await store.readFeed(from, 100);
      assert.deepEqual(afterBlock.records[0], {
        seq: afterBlock.records[0]!.seq,
        scope: 'ip_block',
        target: id,
        cidr: '192.0.2.0/24',
        expiresAtMs: NOW + 5000,
        createdAtMs: NOW,
      });
      assert.deepEqual(
        afterBlock.records.slice(1),
        report.records,
        'then the revocations it caused',
      );
      assert.equal(report.records.length, 1, 'the session from the range');
      await store.liftIpBlock(id, NOW + 1, null, audit('ip.unblocked'));
      const afterLift = await store.readFeed(afterBlock.cursor, 100);
      assert.deepEqual(
        afterLift.records.map((r) => [r.scope, r.target]),
        [['ip_unblock', id]],
      );
      const snapshot = await store.loadSnapshot(NOW);
      assert.ok(
        !snapshot.records.some(
          (r) => (r.scope as string) === 'ip_block' || (r.scope as string) === 'ip_unblock',
        ),
        'a snapshot holds revocations only',
      );
      assert.equal(snapshot.cursor, afterLift.cursor, 'its cursor is past the block changes');
    });

    test('cursorIsAhead: only a cursor past every record the store handed out', async () => {
      const head = (await store.loadSnapshot(NOW)).cursor;
      assert.equal(await store.cursorIsAhead(head), false);
      assert.equal(await store.cursorIsAhead('0'), false);
      assert.equal(await store.cursorIsAhead(String(Number(head) + 1000)), true);
    });

    test('ip blocks: the range match is by address value, IPv6 and IPv4-mapped included, and stops at the range edges', async () => {
      const user = await newUser();
      const inside = await newSession(user.id, '2001:db8:77:1::5');
      const edge = await newSession(user.id, '2001:db8:77:1:ffff:ffff:ffff:ffff');
      const outside = await newSession(user.id, '2001:db8:77:2::1');
      const v4Inside = await newSession(user.id, '198.51.77.255');
      const v4Outside = await newSession(user.id, '198.51.78.0');
      const v6 = await blockOf('2001:db8:77:1::/64');
      assert.equal(v6.sessions, 2);
      assert.notEqual((await store.findSession(inside.id))?.revokedAtMs, null);
      assert.notEqual((await store.findSession(edge.id))?.revokedAtMs, null);
      assert.equal((await store.findSession(outside.id))?.revokedAtMs, null);
      const v4 = await blockOf('198.51.77.0/24');
      assert.equal(v4.sessions, 1);
      assert.notEqual((await store.findSession(v4Inside.id))?.revokedAtMs, null);
      assert.equal((await store.findSession(v4Outside.id))?.revokedAtMs, null);
    });

    test('ip blocks: a session refreshed from the range, or used from it without rotating (recordSessionIp), is revoked by it', async () => {
      const user = await newUser();
      const rotated = await newSession(user.id, '192.0.2.10');
      await consume(rotated.token, NOW + 1000, '203.0.119.4');
      const touched = await newSession(user.id, '192.0.2.11');
      await store.recordSessionIp(touched.id, '203.0.119.5', NOW + 1000);
      assert.equal((await store.findSession(touched.id))?.lastIp, '203.0.119.5');
      const report = await blockOf('203.0.119.0/24');
      assert.equal(report.sessions, 2);
      assert.notEqual((await store.findSession(rotated.id))?.revokedAtMs, null);
      assert.notEqual((await store.findSession(touched.id))?.revokedAtMs, null);
    });

    test('ip blocks: revoke API tokens created or last used from the range (reason ip_block, owner mailed, feed record), never canaries', async () => {
      const user = await newUser();
      const createdThere = await newApiToken(user.id, { createdIp: '203.0.118.7' });
      const usedThere = await newApiToken(user.id, { createdIp: '192.0.2.1' });
      await store.recordApiTokenUse([{ id: usedThere, atMs: NOW + 10, ip: '203.0.118.8' }]);
      const elsewhere = await newApiToken(user.id, { createdIp: '192.0.2.1' });
      const canary = await newApiToken(user.id, { createdIp: '203.0.118.9', isCanary: true });
      const feedBefore = (await store.loadSnapshot(NOW)).cursor;
      const report = await blockOf('203.0.118.0/24');
      assert.deepEqual(report.apiTokens.map((t) => t.id).sort(), [createdThere, usedThere].sort());
      const block = (await store.listIpBlocks(null)).find((b) => b.cidr === '203.0.118.0/24');
      assert.deepEqual(
        block?.revoked,
        { sessions: 0, refreshTokens: 0, apiTokens: 2 },
        'the block keeps what it revoked',
      );
      assert.equal(
        (await store.findApiTokenById(createdThere))?.revokedByType,
        'cli',
        "revoked by the block's actor",
      );
      for (const id of [createdThere, usedThere]) {
        const t = await store.findApiTokenById(id);
        assert.equal(t?.isActive, false);
        assert.equal(t?.revokeReason, 'ip_block');
      }
      assert.equal((await store.findApiTokenById(elsewhere))?.isActive, true);
      assert.equal((await store.findApiTokenById(canary))?.isActive, true);
      assert.equal((await store.findApiTokenById(createdThere))?.createdIp, '203.0.118.7');
      const feed = (await store.readFeed(feedBefore, 100_000)).records;
      assert.deepEqual(
        feed
          .filter((r) => r.scope === 'api_token')
          .map((r) => r.target)
          .sort(),
        [createdThere, usedThere].sort(),
      );
      const mail = (await store.claimOutbox(NOW + 999_999, 30_000, 1000)).filter(
        (m) => m.recipient === user.email,
      );
      assert.equal(mail.length, 2);
      assert.ok(mail.every((m) => m.body === 'ip_block'));
    });

    test('a deduplicated alert writes no audit row (a flood of one alert cannot grow the log)', async () => {
      const key = `k:${randomUUID()}`;
      const base = {
        severity: 'CRITICAL' as const,
        type: 'revoked_token_replay',
        subject: 'u',
        ip: '192.0.2.1',
        details: {},
        createdAtMs: NOW,
        dedupeKey: key,
      };
      const lastSeq = async () => {
        let seq = 0;
        for (
          let page = await store.listAudit({ afterSeq: 0, limit: 1000 });
          page.length > 0;
          page = await store.listAudit({ afterSeq: seq, limit: 1000 })
        )
          seq = page[page.length - 1]!.seq;
        return seq;
      };
      await store.raiseAlert({ ...base, id: randomUUID() }, audit('alert.raised'));
      const afterFirst = await lastSeq();
      for (let i = 0; i < 5; i++)
        assert.equal(
          (await store.raiseAlert({ ...base, id: randomUUID() }, audit('alert.raised'))).created,
          false,
        );
      assert.equal(await lastSeq(), afterFirst);
    });

    test('alerts: stored once per dedupe key, filtered, acknowledged once', async () => {
      const key = `k:${randomUUID()}`;
      const base = {
        severity: 'CRITICAL' as const,
        type: 'revoked_token_replay',
        subject: 'u',
        ip: '192.0.2.1',
        details: { a: 1 },
        createdAtMs: NOW,
        dedupeKey: key,
      };
      const first = await store.raiseAlert({ ...base, id: randomUUID() }, audit('alert.raised'));
      const second = await store.raiseAlert({ ...base, id: randomUUID() }, audit('alert.raised'));
      assert.equal(first.created, true);
      assert.equal(second.created, false);
      assert.equal(second.alert.id, first.alert.id);
      const open = await store.listAlerts({
        severity: 'CRITICAL',
        acknowledged: false,
        limit: 1000,
        offset: 0,
      });
      assert.ok(open.some((a) => a.id === first.alert.id));
      assert.equal(
        (await store.acknowledgeAlert(first.alert.id, 'admin-1', NOW + 5))?.acknowledgedBy,
        'admin-1',
      );
      assert.equal(await store.acknowledgeAlert(first.alert.id, 'admin-1', NOW + 6), undefined);
      assert.ok(
        !(await store.listAlerts({ acknowledged: false, limit: 1000, offset: 0 })).some(
          (a) => a.id === first.alert.id,
        ),
      );
    });

    test('alerts: counted per severity; acknowledging one moves it out of the unacknowledged count only', async () => {
      const raise = (severity: 'HIGH' | 'LOW') =>
        store.raiseAlert(
          {
            id: randomUUID(),
            severity,
            type: 'decoy_login',
            subject: null,
            ip: null,
            details: {},
            createdAtMs: NOW,
            dedupeKey: null,
          },
          audit('alert.raised'),
        );
      const before = await store.countAlerts();
      const high = await raise('HIGH');
      await raise('HIGH');
      await raise('LOW');
      await store.acknowledgeAlert(high.alert.id, 'admin-1', NOW + 1);
      const after = await store.countAlerts();
      assert.deepEqual(after.HIGH, {
        total: before.HIGH.total + 2,
        unacknowledged: before.HIGH.unacknowledged + 1,
      });
      assert.deepEqual(after.LOW, {
        total: before.LOW.total + 1,
        unacknowledged: before.LOW.unacknowledged + 1,
      });
      assert.deepEqual(
        [after.CRITICAL, after.MEDIUM],
        [before.CRITICAL, before.MEDIUM],
        'other severities unchanged',
      );
    });
  });
}
