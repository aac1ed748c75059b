/**
 * The store contract's conformance suite (src/stores/types.ts). Every backend runs exactly this:
 * SQLite now; PostgreSQL and Redis later. Each test uses its own ids, so one store instance can
 * serve the whole suite.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { verifyChain } from '../../src/core/audit/audit-event.js';
import type { AuditEventInput } from '../../src/core/audit/audit-event.js';
import { RevocationState } from '../../src/core/revocation/revocation-state.js';
import { newId, sha256Hex } from '../../src/core/tokens/opaque.js';
import type { RevocationContext, RevokdStore } from '../../src/stores/types.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';

const NOW = 1_800_000_000_000;
const COVER = 906_000;

const audit = (type: AuditEventInput['type'] = 'session.created'): AuditEventInput => ({
  type, actorType: 'system', actorId: null, targetType: null, targetId: null, ip: null, details: {},
});
const ctx = (over: Partial<RevocationContext> = {}): RevocationContext => ({
  initiator: 'admin', reason: 'admin', actor: { type: 'cli', id: null }, nowMs: NOW, accessCoverMs: COVER, ...over,
});

export function describeStoreConformance(name: string, open: () => Promise<RevokdStore>, close: (s: RevokdStore) => Promise<void>): void {
  describe(`store conformance: ${name}`, () => {
    let store: RevokdStore;
    before(async () => { store = await open(); });
    after(async () => { await close(store); });

    async function newUser(email = `${randomUUID()}@example.com`) {
      const user = { id: randomUUID(), email, role: 'user' as const, passwordHash: 'scrypt$x', createdAtMs: NOW, disabledAtMs: null };
      await store.createUser(user, audit('user.created'));
      return user;
    }

    async function newSession(userId: string, ip = '192.0.2.1', opts: { expiresAtMs?: number; clientId?: string } = {}) {
      const id = newId();
      const token = `rt_${newId()}${newId()}`;
      const gens = await store.createSession({
        session: { id, userId, clientId: opts.clientId ?? 'revokd', createdAtMs: NOW, expiresAtMs: opts.expiresAtMs ?? NOW + 3_600_000, ip, userAgent: 'ua', scope: '' },
        refresh: { id: newId(), tokenHash: sha256Hex(token), createdAtMs: NOW, expiresAtMs: NOW + 600_000 },
        audit: audit(),
      });
      return { id, token, gens };
    }

    const consume = (token: string, nowMs = NOW + 1000, ip = '192.0.2.1') => {
      const next = `rt_${newId()}${newId()}`;
      return store.consumeRefresh({
        tokenHash: sha256Hex(token), nowMs, ip, successorSealed: 'sealed',
        successor: { id: newId(), tokenHash: sha256Hex(next), createdAtMs: nowMs, expiresAtMs: nowMs + 600_000 },
        audit: audit('refresh_token.rotated'),
      }).then((outcome) => ({ outcome, next }));
    };

    test('users: found by id and by email ignoring case; a second user with the same email is a conflict', async () => {
      const user = await newUser(`Mixed-${randomUUID()}@Example.com`);
      assert.equal((await store.findUserById(user.id))?.email, user.email);
      assert.equal((await store.findUserByEmail(user.email.toLowerCase()))?.id, user.id);
      await assert.rejects(newUser(user.email.toUpperCase()), (err: { code?: string }) => err.code === 'ERR_CONFLICT');
      assert.equal(await store.findUserById(randomUUID()), undefined);
    });

    test('users: list searches by email substring and treats % and _ literally', async () => {
      const tag = randomUUID().slice(0, 8);
      await newUser(`${tag}-a@example.com`);
      await newUser(`${tag}-b@example.com`);
      assert.equal((await store.listUsers({ limit: 10, offset: 0, search: tag })).length, 2);
      assert.equal((await store.listUsers({ limit: 10, offset: 0, search: `${tag}%` })).length, 0);
      assert.equal((await store.listUsers({ limit: 1, offset: 0, search: tag })).length, 1);
    });

    test('users: active admins exclude disabled ones and plain users', async () => {
      const before = await store.countActiveUsersWithRole('admin');
      const admin = { ...(await newUser()), id: randomUUID() };
      const other = randomUUID();
      await store.createUser({ ...admin, email: `admin-${admin.id}@example.com`, role: 'admin' }, audit('user.created'));
      await store.createUser({ ...admin, id: other, email: `admin-${other}@example.com`, role: 'admin' }, audit('user.created'));
      assert.equal(await store.countActiveUsersWithRole('admin'), before + 2, 'new admins count; the plain user does not');
      await store.disableUser(admin.id, NOW, audit('user.disabled'));
      assert.equal(await store.countActiveUsersWithRole('admin'), before + 1, 'a disabled admin does not');
      assert.ok((await store.countUsersWithRole('admin')) >= before + 2, 'though it is still an admin');
    });

    test('users: the last active admin cannot be disabled, even by two disables at once', async () => {
      const ids: string[] = [randomUUID(), randomUUID()];
      const base = await newUser();
      for (const id of ids) await store.createUser({ ...base, id, email: `last-${id}@example.com`, role: 'admin' }, audit('user.created'));
      // Leave exactly these two admins active (earlier tests may have made others).
      for (const u of await store.listUsers({ limit: 1000, offset: 0 })) {
        if (u.role === 'admin' && u.disabledAtMs === null && !ids.includes(u.id)) await store.disableUser(u.id, NOW, audit('user.disabled'));
      }
      assert.equal(await store.countActiveUsersWithRole('admin'), 2);
      const outcomes = await Promise.allSettled(ids.map((id) => store.disableUser(id, NOW, audit('user.disabled'))));
      assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1, 'one disable wins');
      const refused = outcomes.find((o) => o.status === 'rejected');
      assert.equal((refused as PromiseRejectedResult).reason.code, 'ERR_CONFLICT');
      assert.equal(await store.countActiveUsersWithRole('admin'), 1, 'an active admin is left');
    });

    test('users: disable is recorded once', async () => {
      const user = await newUser();
      assert.equal(await store.disableUser(user.id, NOW, audit('user.disabled')), true);
      assert.equal(await store.disableUser(user.id, NOW, audit('user.disabled')), false);
      assert.equal((await store.findUserById(user.id))?.disabledAtMs, NOW);
    });

    test('generations start at zero and a user revocation bumps only that user', async () => {
      const a = await newUser();
      const b = await newUser();
      assert.deepEqual(await store.readGenerations(a.id, 'revokd'), (await store.readGenerations(b.id, 'revokd')));
      const before = await store.readGenerations(a.id, 'revokd');
      const report = await store.revoke({ scope: 'user', userId: a.id }, ctx());
      assert.equal(report.generation, before.ugen + 1);
      assert.equal((await store.readGenerations(a.id, 'revokd')).ugen, before.ugen + 1);
      assert.equal((await store.readGenerations(b.id, 'revokd')).ugen, 0);
    });

    test('a session is created with the current generations and listed until revoked', async () => {
      const user = await newUser();
      await store.revoke({ scope: 'user', userId: user.id }, ctx());
      const s = await newSession(user.id);
      assert.equal(s.gens.ugen, 1);
      assert.deepEqual((await store.listLiveSessions(user.id, NOW)).map((x) => x.id), [s.id]);
      const report = await store.revoke({ scope: 'session', sessionId: s.id }, ctx({ reason: 'logout' }));
      assert.equal(report.sessions, 1);
      assert.equal(report.refreshTokens, 1);
      assert.equal(report.records.length, 1);
      assert.equal(report.records[0]?.expiresAtMs, NOW + 3_600_000 + COVER);
      assert.deepEqual(await store.listLiveSessions(user.id, NOW), []);
      assert.equal((await store.findSession(s.id))?.revokeReason, 'logout');
    });

    test('revoking the same session twice changes nothing the second time', async () => {
      const user = await newUser();
      const s = await newSession(user.id);
      assert.equal((await store.revoke({ scope: 'session', sessionId: s.id }, ctx())).changed, true);
      const again = await store.revoke({ scope: 'session', sessionId: s.id }, ctx());
      assert.equal(again.changed, false);
      assert.equal(again.records.length, 0);
    });

    test('refresh: exactly one rotation per token; then already_consumed naming the successor', async () => {
      const user = await newUser();
      const s = await newSession(user.id);
      const first = await consume(s.token);
      assert.equal(first.outcome.kind, 'rotated');
      const second = await consume(s.token);
      assert.equal(second.outcome.kind, 'already_consumed');
      if (first.outcome.kind !== 'rotated' || second.outcome.kind !== 'already_consumed') return;
      assert.equal(second.outcome.successor?.id, first.outcome.successor.id);
      assert.equal(second.outcome.token.successorSealed, 'sealed');
      assert.equal(first.outcome.successor.parentId, first.outcome.consumed.id);
      // The successor rotates in turn.
      assert.equal((await consume(first.next)).outcome.kind, 'rotated');
    });

    test('refresh: concurrent consumers of one token — exactly one rotates', async () => {
      const user = await newUser();
      const s = await newSession(user.id);
      const results = await Promise.all(Array.from({ length: 20 }, () => consume(s.token)));
      assert.equal(results.filter((r) => r.outcome.kind === 'rotated').length, 1);
    });

    test('refresh: unknown, expired, and revoked-session tokens are reported as such', async () => {
      assert.equal((await consume('rt_nope')).outcome.kind, 'unknown');
      const user = await newUser();
      const s = await newSession(user.id);
      assert.equal((await consume(s.token, NOW + 700_000)).outcome.kind, 'expired');
      const t = await newSession(user.id);
      await store.revoke({ scope: 'session', sessionId: t.id }, ctx());
      assert.equal((await consume(t.token)).outcome.kind, 'session_inactive');
    });

    test('refresh: the session records every address it was refreshed from, and an IP revocation finds it', async () => {
      const user = await newUser();
      const s = await newSession(user.id, '198.51.100.1');
      await consume(s.token, NOW + 1000, '203.0.113.77');
      const other = await newSession(user.id, '198.51.100.2');
      const report = await store.revoke({ scope: 'ip', cidr: '203.0.113.0/24' }, ctx({ reason: 'ip_block' }));
      assert.equal(report.sessions, 1);
      assert.equal((await store.findSession(s.id))?.revokedAtMs, NOW);
      assert.equal((await store.findSession(other.id))?.revokedAtMs, null);
      assert.equal((await store.findSession(s.id))?.lastIp, '203.0.113.77');
    });

    test('token revocations are idempotent and carry their expiry', async () => {
      const jti = newId();
      const first = await store.revoke({ scope: 'token', issuer: 'https://iss', jti, expiresAtMs: NOW + 5000 }, ctx());
      assert.equal(first.changed, true);
      assert.equal(first.records[0]?.expiresAtMs, NOW + 5000);
      assert.equal((await store.revoke({ scope: 'token', issuer: 'https://iss', jti, expiresAtMs: NOW + 5000 }, ctx())).changed, false);
    });

    test('window entries: listed while live, with their bounds and expiry; gone from the list and the snapshot once expired and pruned', async () => {
      const from = 10_000 + Math.floor(Math.random() * 1_000_000);
      await store.revoke({ scope: 'window', fromSec: from, toSec: from + 10, expiresAtMs: NOW + 1000 }, ctx());
      const mine = <R extends { scope: string; windowFrom: number | null }>(records: readonly R[]) => records.filter((r) => r.scope === 'window' && r.windowFrom === from);
      const listed = mine(await store.listWindowRevocations(NOW));
      assert.equal(listed.length, 1);
      assert.deepEqual([listed[0]!.windowTo, listed[0]!.expiresAtMs, listed[0]!.reason], [from + 10, NOW + 1000, 'admin']);
      assert.deepEqual(mine(await store.listWindowRevocations(NOW + 1001)), [], 'an expired entry is not listed');
      await store.prune(NOW + 1001);
      assert.deepEqual(mine((await store.loadSnapshot(NOW)).records), [], 'pruned from the store');
    });

    test('the feed is ordered by seq, and a snapshot plus the feed rebuild the same decisions', async () => {
      const start = (await store.loadSnapshot(NOW)).lastSeq;
      const user = await newUser();
      const s = await newSession(user.id);
      await store.revoke({ scope: 'session', sessionId: s.id }, ctx());
      await store.revoke({ scope: 'global' }, ctx());
      await store.revoke({ scope: 'window', fromSec: 100, toSec: 200 }, ctx());
      const feed = await store.readFeed(start, 100);
      assert.deepEqual(feed.map((r) => r.scope), ['session', 'global', 'window']);
      assert.ok(feed.every((r, i) => i === 0 || r.seq > (feed[i - 1]?.seq ?? 0)));
      assert.equal((await store.readFeed(feed[0]!.seq, 100)).length, 2);

      const snap = await store.loadSnapshot(NOW);
      const state = new RevocationState();
      state.setGenerations(snap.globalGeneration, snap.userGenerations, snap.clientGenerations);
      for (const r of snap.records) state.apply(r);
      const stamp = { iss: 'x', jti: newId(), sid: s.id, sub: user.id, clientId: 'revokd', iat: 150, ...s.gens };
      assert.deepEqual(state.check(stamp), { revoked: true, scope: 'session' });
      assert.deepEqual(state.check({ ...stamp, sid: 'other' }), { revoked: true, scope: 'global' });
      assert.deepEqual(state.check({ ...stamp, sid: 'other', gen: snap.globalGeneration }), { revoked: true, scope: 'window' });
      assert.deepEqual(state.check({ ...stamp, sid: 'other', gen: snap.globalGeneration, iat: 300 }), { revoked: false });
    });

    test('expired entries leave the snapshot and are pruned; counters stay', async () => {
      const jti = newId();
      await store.revoke({ scope: 'token', issuer: 'i', jti, expiresAtMs: NOW + 10 }, ctx());
      const later = NOW + 1000;
      assert.ok(!(await store.loadSnapshot(later)).records.some((r) => r.target === jti));
      const pruned = await store.prune(later);
      assert.ok(pruned.feedRecords >= 1);
      assert.ok((await store.loadSnapshot(NOW)).globalGeneration >= 1);
    });

    test('key revocation flips status once and is in the feed', async () => {
      const kid = `k${newId()}`;
      await store.insertSigningKey({ kid, alg: 'EdDSA', publicJwk: { kty: 'OKP' }, status: 'active', createdAtMs: NOW, retiredAtMs: null, revokedAtMs: null }, true, audit('key.rotated'));
      const report = await store.revoke({ scope: 'key', kid }, ctx({ reason: 'key_revoked' }));
      assert.equal(report.records[0]?.scope, 'key');
      assert.equal((await store.listSigningKeys()).find((k) => k.kid === kid)?.status, 'revoked');
      assert.equal((await store.revoke({ scope: 'key', kid }, ctx())).changed, false);
    });

    test('rotating keys retires the previous active key in the same commit', async () => {
      const a = `a${newId()}`;
      const b = `b${newId()}`;
      const key = (kid: string) => ({ kid, alg: 'EdDSA', publicJwk: {}, status: 'active' as const, createdAtMs: NOW, retiredAtMs: null, revokedAtMs: null });
      await store.insertSigningKey(key(a), true, audit('key.rotated'));
      await store.insertSigningKey(key(b), true, audit('key.rotated'));
      const keys = await store.listSigningKeys();
      assert.deepEqual(keys.filter((k) => k.status === 'active').map((k) => k.kid), [b]);
      assert.equal(keys.find((k) => k.kid === a)?.status, 'retired');
    });

    test('client revocation bumps the client generation and revokes its sessions', async () => {
      const clientId = `cl_${newId()}`;
      await store.createClient({ id: clientId, name: 'c', secretHash: null, grants: [], scopes: [], createdAtMs: NOW, disabledAtMs: null }, audit('client.created'));
      const user = await newUser();
      const s = await newSession(user.id, '192.0.2.1', { clientId });
      const report = await store.revoke({ scope: 'client', clientId }, ctx());
      assert.equal(report.generation, 1);
      assert.equal(report.sessions, 1);
      assert.equal((await store.readGenerations(user.id, clientId)).cgen, 1);
      assert.equal((await store.findSession(s.id))?.revokedAtMs, NOW);
    });

    test('a client is disabled and enabled once each: repeats change nothing and write no audit row', async () => {
      const clientId = `cl_${newId()}`;
      await store.createClient({ id: clientId, name: 'c', secretHash: 'a'.repeat(64), grants: [], scopes: [], createdAtMs: NOW, disabledAtMs: null }, audit('client.created'));
      assert.equal(await store.setClientDisabled(clientId, true, NOW + 1, audit('client.disabled')), true);
      assert.equal((await store.findClient(clientId))?.disabledAtMs, NOW + 1);
      assert.equal(await store.setClientDisabled(clientId, true, NOW + 2, audit('client.disabled')), false);
      assert.equal((await store.findClient(clientId))?.disabledAtMs, NOW + 1);
      assert.equal(await store.setClientDisabled(clientId, false, NOW + 3, audit('client.enabled')), true);
      assert.equal((await store.findClient(clientId))?.disabledAtMs, null);
      assert.equal(await store.setClientDisabled(clientId, false, NOW + 4, audit('client.enabled')), false);
      assert.equal(await store.setClientDisabled(`cl_${newId()}`, true, NOW, audit('client.disabled')), false);
    });

    test('a confidential client\'s secret hash is replaced; a public or unknown client has none to replace', async () => {
      const confidential = `cl_${newId()}`;
      const publicId = `cl_${newId()}`;
      await store.createClient({ id: confidential, name: 'c', secretHash: 'a'.repeat(64), grants: [], scopes: [], createdAtMs: NOW, disabledAtMs: null }, audit('client.created'));
      await store.createClient({ id: publicId, name: 'p', secretHash: null, grants: [], scopes: [], createdAtMs: NOW, disabledAtMs: null }, audit('client.created'));
      assert.equal(await store.replaceClientSecret(confidential, 'b'.repeat(64), NOW, audit('client.secret_rotated')), true);
      assert.equal((await store.findClient(confidential))?.secretHash, 'b'.repeat(64));
      assert.equal(await store.replaceClientSecret(publicId, 'b'.repeat(64), NOW, audit('client.secret_rotated')), false);
      assert.equal((await store.findClient(publicId))?.secretHash, null);
      assert.equal(await store.replaceClientSecret(`cl_${newId()}`, 'b'.repeat(64), NOW, audit('client.secret_rotated')), false);
    });

    async function newApiToken(userId: string, over: Partial<{ expiresAtMs: number | null; isCanary: boolean; createdIp: string | null }> = {}, cap: number | null = null) {
      const id = randomUUID();
      await store.createApiToken({
        id, userId, name: `t-${id.slice(0, 4)}`, tokenHash: sha256Hex(id), tokenPrefix: 'rvk_abcd', scopes: ['read'], createdAtMs: NOW,
        expiresAtMs: over.expiresAtMs ?? null, isCanary: over.isCanary ?? false, createdIp: over.createdIp ?? null,
      }, { maxLivePerUser: cap }, audit('api_token.created'));
      return id;
    }
    const apiCtx = (userId: string, ids?: string[], rateWindow?: { key: string; windowMs: number }, nowMs = NOW) => ({
      selection: ids === undefined ? { kind: 'all_of_user' as const, userId } : { kind: 'ids' as const, ids, userId },
      context: ctx({ nowMs }), revokedBy: userId, ...(rateWindow === undefined ? {} : { rateWindow }),
      notify: (t: { name: string }, owner: { email: string }) => ({ kind: 'api_token.revoked', recipient: owner.email, subject: `revoked ${t.name}`, body: 'b' }),
    });

    test('api tokens: found by id and hash; the per-user cap counts only live tokens', async () => {
      const user = await newUser();
      const a = await newApiToken(user.id, {}, 2);
      await newApiToken(user.id, {}, 2);
      await assert.rejects(newApiToken(user.id, {}, 2), (err: { code?: string }) => err.code === 'ERR_CONFLICT');
      assert.equal((await store.findApiTokenByHash(sha256Hex(a)))?.id, a);
      await store.revokeApiTokens(apiCtx(user.id, [a]));
      await newApiToken(user.id, {}, 2);
      assert.equal((await store.listApiTokens(user.id)).length, 3);
    });

    test('api tokens: revocation is soft, permanent, once; it feeds replicas, the audit log and the outbox', async () => {
      const user = await newUser();
      const id = await newApiToken(user.id);
      const pendingBefore = await store.countPendingOutbox();
      const feedStart = (await store.loadSnapshot(NOW)).lastSeq;
      const [revoked] = await store.revokeApiTokens(apiCtx(user.id, [id]));
      assert.equal(revoked?.isActive, false);
      assert.equal(revoked?.revokedAtMs, NOW);
      assert.equal(revoked?.revokedBy, user.id);
      assert.equal(revoked?.revokeReason, 'admin');
      assert.deepEqual(await store.revokeApiTokens(apiCtx(user.id, [id])), [], 'a second revocation changes nothing');
      assert.equal((await store.countPendingOutbox()) - pendingBefore, 1);
      const feed = await store.readFeed(feedStart, 10);
      assert.deepEqual(feed.map((r) => [r.scope, r.target]), [['api_token', id]]);
      const found = await store.findApiTokenById(id);
      assert.equal(found?.isActive, false);
    });

    test('api tokens: an id of another user is not revoked when the owner is named', async () => {
      const owner = await newUser();
      const other = await newUser();
      const id = await newApiToken(owner.id);
      assert.deepEqual(await store.revokeApiTokens(apiCtx(other.id, [id])), []);
      assert.equal((await store.findApiTokenById(id))?.isActive, true);
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

    test('api tokens: last use is recorded in bulk and only moves forward; unused ones are found', async () => {
      const user = await newUser();
      const used = await newApiToken(user.id);
      const idle = await newApiToken(user.id);
      await store.recordApiTokenUse([{ id: used, atMs: NOW + 5000, ip: '192.0.2.5' }]);
      await store.recordApiTokenUse([{ id: used, atMs: NOW + 1000, ip: '192.0.2.6' }]);
      const t = await store.findApiTokenById(used);
      assert.equal(t?.lastUsedAtMs, NOW + 5000);
      assert.equal(t?.lastUsedIp, '192.0.2.5');
      const unused = (await store.listUnusedApiTokens(NOW + 2000, 1000)).map((x) => x.id);
      assert.ok(unused.includes(idle));
      assert.ok(!unused.includes(used));
    });

    test('outbox: a claim leases messages; failures come back after their backoff; sent ones never', async () => {
      const user = await newUser();
      const id = await newApiToken(user.id);
      await store.revokeApiTokens(apiCtx(user.id, [id]));
      const t0 = NOW + 10;
      const claimed = (await store.claimOutbox(t0, 30_000, 100)).filter((m) => m.recipient === user.email);
      assert.equal(claimed.length, 1);
      assert.equal(claimed[0]?.attempts, 1);
      assert.equal((await store.claimOutbox(t0 + 1, 30_000, 100)).filter((m) => m.recipient === user.email).length, 0, 'leased');
      await store.markOutboxFailed(claimed[0]!.id, 'smtp down', t0 + 5000);
      assert.equal((await store.claimOutbox(t0 + 100, 30_000, 100)).filter((m) => m.recipient === user.email).length, 0, 'backing off');
      const retry = (await store.claimOutbox(t0 + 5000, 30_000, 100)).filter((m) => m.recipient === user.email);
      assert.equal(retry[0]?.attempts, 2);
      assert.equal(retry[0]?.lastError, 'smtp down');
      await store.markOutboxSent(retry[0]!.id, t0 + 5001);
      assert.equal((await store.claimOutbox(t0 + 999_999, 30_000, 100)).filter((m) => m.recipient === user.email).length, 0, 'sent');
    });

    test('ip blocks: creating one revokes matching sessions in the same commit; lifting keeps them revoked', async () => {
      const user = await newUser();
      const hit = await newSession(user.id, '203.0.113.9');
      const miss = await newSession(user.id, '198.51.100.9');
      const id = randomUUID();
      const report = await store.createIpBlock({ id, cidr: '203.0.113.0/24', reason: 'test', source: 'manual', createdAtMs: NOW, expiresAtMs: NOW + 1000, createdBy: null },
        ctx({ reason: 'ip_block' }), { notify: () => null });
      assert.equal(report.sessions, 1);
      assert.equal((await store.findSession(hit.id))?.revokeReason, 'ip_block');
      assert.equal((await store.findSession(miss.id))?.revokedAtMs, null);
      assert.ok((await store.listIpBlocks(NOW)).some((b) => b.id === id));
      assert.ok(!(await store.listIpBlocks(NOW + 1000)).some((b) => b.id === id), 'expired blocks are not active');
      const lifted = await store.liftIpBlock(id, NOW + 1, null, audit('ip.unblocked'));
      assert.equal(lifted?.liftedAtMs, NOW + 1);
      assert.equal(await store.liftIpBlock(id, NOW + 2, null, audit('ip.unblocked')), undefined);
      assert.ok(!(await store.listIpBlocks(NOW)).some((b) => b.id === id));
      assert.ok((await store.listIpBlocks(null)).some((b) => b.id === id));
      assert.notEqual((await store.findSession(hit.id))?.revokedAtMs, null, 'unblocking restores nothing');
    });

    const blockOf = (cidr: string) => store.createIpBlock(
      { id: randomUUID(), cidr, reason: 'test', source: 'manual', createdAtMs: NOW, expiresAtMs: NOW + 1000, createdBy: null },
      ctx({ reason: 'ip_block' }),
      { notify: (t, owner) => ({ kind: 'api_token.revoked', recipient: owner.email, subject: `revoked ${t.name}`, body: t.revokeReason ?? '' }) },
    );

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
      const feedBefore = (await store.readFeed(0, 100_000)).length;
      const report = await blockOf('203.0.118.0/24');
      assert.deepEqual(report.apiTokens.map((t) => t.id).sort(), [createdThere, usedThere].sort());
      for (const id of [createdThere, usedThere]) {
        const t = await store.findApiTokenById(id);
        assert.equal(t?.isActive, false);
        assert.equal(t?.revokeReason, 'ip_block');
      }
      assert.equal((await store.findApiTokenById(elsewhere))?.isActive, true);
      assert.equal((await store.findApiTokenById(canary))?.isActive, true);
      assert.equal((await store.findApiTokenById(createdThere))?.createdIp, '203.0.118.7');
      const feed = (await store.readFeed(0, 100_000)).slice(feedBefore);
      assert.deepEqual(feed.filter((r) => r.scope === 'api_token').map((r) => r.target).sort(), [createdThere, usedThere].sort());
      const mail = (await store.claimOutbox(NOW + 999_999, 30_000, 1000)).filter((m) => m.recipient === user.email);
      assert.equal(mail.length, 2);
      assert.ok(mail.every((m) => m.body === 'ip_block'));
    });

    test('counters: a window opens at the first event and lasts windowMs', async () => {
      const key = `c:${randomUUID()}`;
      assert.equal(await store.incrementCounter(key, 1000, NOW), 1);
      assert.equal(await store.incrementCounter(key, 1000, NOW + 999), 2);
      assert.deepEqual(await store.readCounter(key, 1000, NOW + 500), { count: 2, resetAtMs: NOW + 1000 });
      assert.equal(await store.incrementCounter(key, 1000, NOW + 1000), 1, 'a new window');
      assert.equal((await store.readCounter(key, 1000, NOW + 5000)).count, 0);
    });

    test('a deduplicated alert writes no audit row (a flood of one alert cannot grow the log)', async () => {
      const key = `k:${randomUUID()}`;
      const base = { severity: 'CRITICAL' as const, type: 'revoked_token_replay', subject: 'u', ip: '192.0.2.1', details: {}, createdAtMs: NOW, dedupeKey: key };
      const lastSeq = async () => {
        let seq = 0;
        for (let page = await store.listAudit({ afterSeq: 0, limit: 1000 }); page.length > 0; page = await store.listAudit({ afterSeq: seq, limit: 1000 })) seq = page[page.length - 1]!.seq;
        return seq;
      };
      await store.raiseAlert({ ...base, id: randomUUID() }, audit('alert.raised'));
      const afterFirst = await lastSeq();
      for (let i = 0; i < 5; i++) assert.equal((await store.raiseAlert({ ...base, id: randomUUID() }, audit('alert.raised'))).created, false);
      assert.equal(await lastSeq(), afterFirst);
    });

    test('alerts: stored once per dedupe key, filtered, acknowledged once', async () => {
      const key = `k:${randomUUID()}`;
      const base = { severity: 'CRITICAL' as const, type: 'revoked_token_replay', subject: 'u', ip: '192.0.2.1', details: { a: 1 }, createdAtMs: NOW, dedupeKey: key };
      const first = await store.raiseAlert({ ...base, id: randomUUID() }, audit('alert.raised'));
      const second = await store.raiseAlert({ ...base, id: randomUUID() }, audit('alert.raised'));
      assert.equal(first.created, true);
      assert.equal(second.created, false);
      assert.equal(second.alert.id, first.alert.id);
      const open = await store.listAlerts({ severity: 'CRITICAL', acknowledged: false, limit: 1000, offset: 0 });
      assert.ok(open.some((a) => a.id === first.alert.id));
      assert.equal((await store.acknowledgeAlert(first.alert.id, 'admin-1', NOW + 5))?.acknowledgedBy, 'admin-1');
      assert.equal(await store.acknowledgeAlert(first.alert.id, 'admin-1', NOW + 6), undefined);
      assert.ok(!(await store.listAlerts({ acknowledged: false, limit: 1000, offset: 0 })).some((a) => a.id === first.alert.id));
    });

    test('read-only summaries: live refresh tokens of sessions, audit counts by type, audit filtered by type and user', async () => {
      const user = await newUser();
      const a = await newSession(user.id);
      const b = await newSession(user.id);
      assert.equal(await store.countLiveRefreshTokens([a.id, b.id], NOW), 2);
      await consume(a.token);
      assert.equal(await store.countLiveRefreshTokens([a.id, b.id], NOW + 2000), 2, 'a rotation replaces, it does not add');
      await store.revoke({ scope: 'session', sessionId: b.id }, ctx());
      const counts = await store.countAuditByType(null);
      assert.ok((counts['session.revoked'] ?? 0) >= 1);
      assert.equal(Object.keys(await store.countAuditByType(NOW + 10 ** 12)).length, 0);
      const revokedOnly = await store.listAudit({ limit: 1000, type: 'session.revoked' });
      assert.ok(revokedOnly.length >= 1 && revokedOnly.every((e) => e.type === 'session.revoked'));
      await store.appendAudit([{ ...audit('user.logged_in'), actorType: 'user', actorId: user.id }], NOW);
      await store.appendAudit([{ ...audit('user.disabled'), targetType: 'user', targetId: user.id }], NOW);
      const mine = await store.listAuditForUser(user.id, 100);
      assert.deepEqual(mine.map((e) => e.type), ['user.disabled', 'user.logged_in'], 'newest first, as actor or target');
      const counts2 = await store.countAlerts();
      for (const severity of ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const) {
        assert.ok(counts2[severity].total >= counts2[severity].unacknowledged, severity);
      }
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
  });
}
