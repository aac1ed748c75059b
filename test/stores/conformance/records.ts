/**
 * The records port: users, clients, signing keys, sessions, refresh tokens and API tokens.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { newId, sha256Hex } from '../../../src/core/tokens/opaque.js';
import type { RevokdStore } from '../../../src/stores/types.js';
import { type StoreBackend, useStore } from './backend.js';
import { COVER, NOW, activeKey, audit, ctx } from './fixtures.js';

export function describeRecordsConformance(backend: StoreBackend): void {
  describe('records', () => {
    let store!: RevokdStore;
    const { newUser, newSession, consume, newApiToken, apiCtx } = useStore(backend, (opened) => {
      store = opened;
    });

    test('users: found by id and by email ignoring case; a second user with the same email is a conflict', async () => {
      const user = await newUser(`Mixed-${randomUUID()}@Example.com`);
      assert.equal((await store.findUserById(user.id))?.email, user.email);
      assert.equal((await store.findUserByEmail(user.email.toLowerCase()))?.id, user.id);
      await assert.rejects(
        newUser(user.email.toUpperCase()),
        (err: { code?: string }) => err.code === 'ERR_CONFLICT',
      );
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
      await store.createUser(
        { ...admin, email: `admin-${admin.id}@example.com`, role: 'admin' },
        audit('user.created'),
      );
      await store.createUser(
        { ...admin, id: other, email: `admin-${other}@example.com`, role: 'admin' },
        audit('user.created'),
      );
      assert.equal(
        await store.countActiveUsersWithRole('admin'),
        before + 2,
        'new admins count; the plain user does not',
      );
      await store.disableUser(admin.id, NOW, audit('user.disabled'));
      assert.equal(
        await store.countActiveUsersWithRole('admin'),
        before + 1,
        'a disabled admin does not',
      );
      assert.ok(
        (await store.countUsersWithRole('admin')) >= before + 2,
        'though it is still an admin',
      );
    });

    test('users: the last active admin cannot be disabled, even by two disables at once', async () => {
      const ids: string[] = [randomUUID(), randomUUID()];
      const base = await newUser();
      for (const id of ids)
        await store.createUser(
          { ...base, id, email: `last-${id}@example.com`, role: 'admin' },
          audit('user.created'),
        );
      // Leave exactly these two admins active (earlier tests may have made others).
      for (const u of await store.listUsers({ limit: 1000, offset: 0 })) {
        if (u.role === 'admin' && u.disabledAtMs === null && !ids.includes(u.id))
          await store.disableUser(u.id, NOW, audit('user.disabled'));
      }
      assert.equal(await store.countActiveUsersWithRole('admin'), 2);
      const outcomes = await Promise.allSettled(
        ids.map((id) => store.disableUser(id, NOW, audit('user.disabled'))),
      );
      assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1, 'one disable wins');
      const refused = outcomes.find((o) => o.status === 'rejected');
      assert.equal((refused as PromiseRejectedResult).reason.code, 'ERR_CONFLICT');
      assert.equal(await store.countActiveUsersWithRole('admin'), 1, 'an active admin is left');
    });

    test('users: a create only-if-no-active-admin is refused, and writes nothing, once an active admin exists', async () => {
      assert.ok(
        (await store.countActiveUsersWithRole('admin')) > 0,
        'the test above left an active admin',
      );
      const base = await newUser();
      const id = randomUUID();
      await assert.rejects(
        store.createUser(
          { ...base, id, email: `first-${id}@example.com`, role: 'admin' },
          audit('user.created'),
          { onlyIfNoActiveAdmin: true },
        ),
        (err: { code?: string }) => err.code === 'ERR_CONFLICT',
      );
      assert.equal(await store.findUserById(id), undefined, 'nothing written');
    });

    test('users: disable is recorded once', async () => {
      const user = await newUser();
      assert.equal(await store.disableUser(user.id, NOW, audit('user.disabled')), true);
      assert.equal(await store.disableUser(user.id, NOW, audit('user.disabled')), false);
      assert.equal((await store.findUserById(user.id))?.disabledAtMs, NOW);
    });

    test('users: enable clears the disable once; an active or unknown user is not changed', async () => {
      const user = await newUser();
      assert.equal(
        await store.enableUser(user.id, NOW, audit('user.enabled')),
        false,
        'not disabled',
      );
      await store.disableUser(user.id, NOW, audit('user.disabled'));
      assert.equal(await store.enableUser(user.id, NOW + 1, audit('user.enabled')), true);
      assert.equal((await store.findUserById(user.id))?.disabledAtMs, null);
      assert.equal(
        await store.enableUser(user.id, NOW + 2, audit('user.enabled')),
        false,
        'already enabled',
      );
      assert.equal(await store.enableUser(randomUUID(), NOW, audit('user.enabled')), false);
    });

    test('users: the must-change-password flag is stored at creation and replaced with the password', async () => {
      const base = await newUser();
      const flagged = {
        ...base,
        id: randomUUID(),
        email: `flag-${randomUUID()}@example.com`,
        mustChangePassword: true,
      };
      await store.createUser(flagged, audit('user.created'));
      assert.equal((await store.findUserById(flagged.id))?.mustChangePassword, true);
      assert.equal((await store.findUserByEmail(flagged.email))?.mustChangePassword, true);
      assert.equal(
        (await store.findUserById(base.id))?.mustChangePassword,
        false,
        'absent means false',
      );
      const mail = {
        kind: 'user.password_changed',
        recipient: flagged.email,
        subject: 's',
        body: 'b',
      };
      assert.ok(
        await store.setUserPassword(
          flagged.id,
          { passwordHash: 'scrypt$new', mustChangePassword: false, nowMs: NOW },
          audit('user.password_changed'),
          mail,
        ),
      );
      const after = await store.findUserById(flagged.id);
      assert.equal(after?.passwordHash, 'scrypt$new');
      assert.equal(after?.mustChangePassword, false);
      const queued = (await store.claimOutbox(NOW + 999_999, 30_000, 1000)).filter(
        (m) => m.recipient === flagged.email,
      );
      assert.deepEqual(
        queued.map((m) => m.kind),
        ['user.password_changed'],
        'the owner mail is queued in the same commit',
      );
      assert.equal(
        await store.setUserPassword(
          randomUUID(),
          { passwordHash: 'x', mustChangePassword: false, nowMs: NOW },
          audit('user.password_reset'),
        ),
        undefined,
      );
    });

    test('users: a password change conditioned on the old hash lands once, even when two race', async () => {
      const user = await newUser();
      const change = (hash: string) =>
        store.setUserPassword(
          user.id,
          {
            passwordHash: hash,
            mustChangePassword: false,
            nowMs: NOW,
            ifPasswordHash: user.passwordHash,
          },
          audit('user.password_changed'),
        );
      const outcomes = await Promise.all([change('scrypt$a'), change('scrypt$b')]);
      assert.deepEqual(outcomes.filter(Boolean).length, 1, 'exactly one change is applied');
      const stored = (await store.findUserById(user.id))?.passwordHash;
      assert.equal(stored, outcomes[0] ? 'scrypt$a' : 'scrypt$b');
      assert.equal(await change('scrypt$c'), undefined, 'the old hash no longer matches');
    });

    test('a session is created with the current generations and listed until revoked', async () => {
      const user = await newUser();
      await store.revoke({ scope: 'user', userId: user.id }, ctx());
      const s = await newSession(user.id);
      assert.equal(s.gens.ugen, 1);
      assert.deepEqual(
        (await store.listLiveSessions(user.id, NOW)).map((x) => x.id),
        [s.id],
      );
      const report = await store.revoke(
        { scope: 'session', sessionId: s.id },
        ctx({ reason: 'logout' }),
      );
      assert.equal(report.sessions, 1);
      assert.equal(report.refreshTokens, 1);
      assert.equal(report.records.length, 1);
      assert.equal(report.records[0]?.expiresAtMs, NOW + 3_600_000 + COVER);
      assert.deepEqual(await store.listLiveSessions(user.id, NOW), []);
      assert.equal((await store.findSession(s.id))?.revokeReason, 'logout');
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
      const report = await store.revoke(
        { scope: 'ip', cidr: '203.0.113.0/24' },
        ctx({ reason: 'ip_block' }),
      );
      assert.equal(report.sessions, 1);
      assert.equal((await store.findSession(s.id))?.revokedAtMs, NOW);
      assert.equal((await store.findSession(other.id))?.revokedAtMs, null);
      assert.equal((await store.findSession(s.id))?.lastIp, '203.0.113.77');
    });

    test('rotating keys retires the previous active key in the same commit', async () => {
      const a = `a${newId()}`;
      const b = `b${newId()}`;
      const key = (kid: string, privateKeySealed: string | null) =>
        activeKey(kid, { privateKeySealed });
      await store.insertSigningKey(key(a, null), true, audit('key.rotated'));
      await store.insertSigningKey(key(b, `v1.sealed-${b}`), true, audit('key.rotated'));
      const keys = await store.listSigningKeys();
      assert.deepEqual(
        keys.filter((k) => k.status === 'active').map((k) => k.kid),
        [b],
      );
      assert.equal(keys.find((k) => k.kid === a)?.status, 'retired');
      assert.deepEqual(
        keys.find((k) => k.kid === b),
        key(b, `v1.sealed-${b}`),
        'read back as written: public JWK and the sealed private half',
      );
      assert.equal(keys.find((k) => k.kid === a)?.privateKeySealed, null);
    });

    test('a key without a sealed private half gets one once; a second, an HS256 kid and an unknown kid change nothing', async () => {
      const legacy = `l${newId()}`;
      const hs = `hs256-${newId()}`;
      await store.insertSigningKey(activeKey(legacy), true, audit('key.rotated'));
      await store.insertSigningKey(
        {
          kid: hs,
          alg: 'HS256',
          publicJwk: {},
          status: 'retired',
          createdAtMs: NOW,
          retiredAtMs: NOW,
          revokedAtMs: null,
          privateKeySealed: null,
        },
        false,
        audit('key.created'),
      );
      assert.equal(await store.storeSealedPrivateKey(legacy, `v1.first-${legacy}`), true);
      assert.equal(await store.storeSealedPrivateKey(legacy, `v1.second-${legacy}`), false);
      assert.equal(await store.storeSealedPrivateKey(hs, `v1.sealed-${hs}`), false);
      assert.equal(await store.storeSealedPrivateKey(`u${newId()}`, 'v1.sealed'), false);
      const keys = await store.listSigningKeys();
      assert.equal(
        keys.find((k) => k.kid === legacy)?.privateKeySealed,
        `v1.first-${legacy}`,
        'the first one stays',
      );
      assert.equal(
        keys.find((k) => k.kid === legacy)?.status,
        'active',
        'nothing else about the key changes',
      );
      assert.equal(keys.find((k) => k.kid === hs)?.privateKeySealed, null);
    });

    test('a client is disabled and enabled once each: repeats change nothing and write no audit row', async () => {
      const clientId = `cl_${newId()}`;
      await store.createClient(
        {
          id: clientId,
          name: 'c',
          secretHash: 'a'.repeat(64),
          grants: [],
          scopes: [],
          createdAtMs: NOW,
          disabledAtMs: null,
        },
        audit('client.created'),
      );
      assert.equal(
        await store.setClientDisabled(clientId, true, NOW + 1, audit('client.disabled')),
        true,
      );
      assert.equal((await store.findClient(clientId))?.disabledAtMs, NOW + 1);
      assert.equal(
        await store.setClientDisabled(clientId, true, NOW + 2, audit('client.disabled')),
        false,
      );
      assert.equal((await store.findClient(clientId))?.disabledAtMs, NOW + 1);
      assert.equal(
        await store.setClientDisabled(clientId, false, NOW + 3, audit('client.enabled')),
        true,
      );
      assert.equal((await store.findClient(clientId))?.disabledAtMs, null);
      assert.equal(
        await store.setClientDisabled(clientId, false, NOW + 4, audit('client.enabled')),
        false,
      );
      assert.equal(
        await store.setClientDisabled(`cl_${newId()}`, true, NOW, audit('client.disabled')),
        false,
      );
    });

    test("a confidential client's secret hash is replaced; a public or unknown client has none to replace", async () => {
      const confidential = `cl_${newId()}`;
      const publicId = `cl_${newId()}`;
      await store.createClient(
        {
          id: confidential,
          name: 'c',
          secretHash: 'a'.repeat(64),
          grants: [],
          scopes: [],
          createdAtMs: NOW,
          disabledAtMs: null,
        },
        audit('client.created'),
      );
      await store.createClient(
        {
          id: publicId,
          name: 'p',
          secretHash: null,
          grants: [],
          scopes: [],
          createdAtMs: NOW,
          disabledAtMs: null,
        },
        audit('client.created'),
      );
      assert.equal(
        await store.replaceClientSecret(
          confidential,
          'b'.repeat(64),
          NOW,
          audit('client.secret_rotated'),
        ),
        true,
      );
      assert.equal((await store.findClient(confidential))?.secretHash, 'b'.repeat(64));
      assert.equal(
        await store.replaceClientSecret(
          publicId,
          'b'.repeat(64),
          NOW,
          audit('client.secret_rotated'),
        ),
        false,
      );
      assert.equal((await store.findClient(publicId))?.secretHash, null);
      assert.equal(
        await store.replaceClientSecret(
          `cl_${newId()}`,
          'b'.repeat(64),
          NOW,
          audit('client.secret_rotated'),
        ),
        false,
      );
    });

    test('api tokens: found by id and hash; the per-user cap counts only live tokens', async () => {
      const user = await newUser();
      const a = await newApiToken(user.id, {}, 2);
      await newApiToken(user.id, {}, 2);
      await assert.rejects(
        newApiToken(user.id, {}, 2),
        (err: { code?: string }) => err.code === 'ERR_CONFLICT',
      );
      assert.equal((await store.findApiTokenByHash(sha256Hex(a)))?.id, a);
      await store.revokeApiTokens(apiCtx(user.id, [a]));
      await newApiToken(user.id, {}, 2);
      assert.equal((await store.listApiTokens(user.id)).length, 3);
    });

    test('api tokens: revocation is soft, permanent, once; it feeds replicas, the audit log and the outbox', async () => {
      const user = await newUser();
      const id = await newApiToken(user.id);
      const pendingBefore = await store.countPendingOutbox();
      const feedStart = (await store.loadSnapshot(NOW)).cursor;
      const [revoked] = await store.revokeApiTokens(apiCtx(user.id, [id]));
      assert.equal(revoked?.isActive, false);
      assert.equal(revoked?.revokedAtMs, NOW);
      assert.equal(revoked?.revokedBy, user.id);
      assert.equal(
        revoked?.revokedByType,
        'cli',
        'the type of the revoking actor is kept with its id',
      );
      assert.equal(revoked?.revokeReason, 'admin');
      assert.deepEqual(
        await store.revokeApiTokens(apiCtx(user.id, [id])),
        [],
        'a second revocation changes nothing',
      );
      assert.equal((await store.countPendingOutbox()) - pendingBefore, 1);
      const feed = (await store.readFeed(feedStart, 10)).records;
      assert.deepEqual(
        feed.map((r) => [r.scope, r.target]),
        [['api_token', id]],
      );
      const found = await store.findApiTokenById(id);
      assert.equal(found?.isActive, false);
      assert.deepEqual([found?.revokedBy, found?.revokedByType], [user.id, 'cli']);
      assert.equal(
        (await store.listApiTokens(user.id)).find((t) => t.id === id)?.revokedByType,
        'cli',
      );
    });

    test('api tokens: an id of another user is not revoked when the owner is named', async () => {
      const owner = await newUser();
      const other = await newUser();
      const id = await newApiToken(owner.id);
      assert.deepEqual(await store.revokeApiTokens(apiCtx(other.id, [id])), []);
      assert.equal((await store.findApiTokenById(id))?.isActive, true);
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

    test('users: counted per role, disabled ones included, the other role not', async () => {
      const admins = await store.countUsersWithRole('admin');
      const users = await store.countUsersWithRole('user');
      const base = await newUser();
      const [a, b] = [randomUUID(), randomUUID()];
      for (const id of [a, b])
        await store.createUser(
          { ...base, id, email: `role-${id}@example.com`, role: 'admin' },
          audit('user.created'),
        );
      assert.equal(await store.countUsersWithRole('admin'), admins + 2);
      assert.equal(
        await store.countUsersWithRole('user'),
        users + 1,
        'the plain user counts as a user only',
      );
      assert.equal(await store.disableUser(a, NOW, audit('user.disabled')), true);
      assert.equal(
        await store.countUsersWithRole('admin'),
        admins + 2,
        'a disabled admin is still an admin',
      );
    });

    test('users: a decoy mark is set and cleared, and shows wherever the user is found; marking an unknown id creates nothing', async () => {
      const user = await newUser();
      assert.equal(
        (await store.findUserById(user.id))?.isDecoy ?? false,
        false,
        'not a decoy unless marked',
      );
      await store.setUserDecoy(user.id, true);
      assert.equal((await store.findUserById(user.id))?.isDecoy, true);
      assert.equal((await store.findUserByEmail(user.email))?.isDecoy, true);
      assert.equal(
        (await store.listUsers({ limit: 10, offset: 0, search: user.email })).find(
          (u) => u.id === user.id,
        )?.isDecoy,
        true,
      );
      await store.setUserDecoy(user.id, false);
      assert.equal((await store.findUserById(user.id))?.isDecoy ?? false, false);
      const unknown = randomUUID();
      await store.setUserDecoy(unknown, true);
      assert.equal(await store.findUserById(unknown), undefined);
    });

    test('clients: listed with every field as created, disabled ones included', async () => {
      const confidential = {
        id: `cl_${newId()}`,
        name: 'a',
        secretHash: 'a'.repeat(64),
        grants: ['client_credentials'],
        scopes: ['read', 'write'],
        createdAtMs: NOW,
        disabledAtMs: null,
      };
      const publicClient = {
        id: `cl_${newId()}`,
        name: 'b',
        secretHash: null,
        grants: ['authorization_code', 'refresh_token'],
        scopes: [],
        createdAtMs: NOW + 1,
        disabledAtMs: null,
      };
      await store.createClient(confidential, audit('client.created'));
      await store.createClient(publicClient, audit('client.created'));
      await store.setClientDisabled(publicClient.id, true, NOW + 2, audit('client.disabled'));
      const byId = new Map((await store.listClients()).map((c) => [c.id, c]));
      assert.deepEqual(byId.get(confidential.id), confidential);
      assert.deepEqual(byId.get(publicClient.id), { ...publicClient, disabledAtMs: NOW + 2 });
      assert.deepEqual(await store.findClient(confidential.id), confidential);
      assert.equal(await store.findClient(`cl_${newId()}`), undefined);
    });

    test('refresh tokens: found by hash and by id, stamped with the generations at creation; a rotation links the consumed token and its successor; unknown is undefined', async () => {
      const user = await newUser();
      await store.revoke({ scope: 'user', userId: user.id }, ctx());
      const s = await newSession(user.id);
      const first = await store.findRefreshByHash(sha256Hex(s.token));
      assert.ok(first);
      assert.equal(first.sessionId, s.id);
      assert.equal(first.tokenHash, sha256Hex(s.token));
      assert.equal(first.ugen, 1, 'stamped after the user revocation');
      assert.deepEqual([first.gen, first.ugen, first.cgen], [s.gens.gen, s.gens.ugen, s.gens.cgen]);
      assert.deepEqual([first.createdAtMs, first.expiresAtMs], [NOW, NOW + 600_000]);
      assert.deepEqual(
        [first.parentId, first.consumedAtMs, first.successorId, first.successorSealed],
        [null, null, null, null],
      );
      assert.deepEqual(await store.findRefreshById(first.id), first);

      const { outcome, next } = await consume(s.token, NOW + 1000);
      assert.equal(outcome.kind, 'rotated');
      const consumed = await store.findRefreshById(first.id);
      const successor = await store.findRefreshByHash(sha256Hex(next));
      assert.equal(consumed?.consumedAtMs, NOW + 1000);
      assert.equal(consumed?.successorSealed, 'sealed');
      assert.ok(successor);
      assert.equal(consumed?.successorId, successor.id);
      assert.deepEqual(
        [successor.parentId, successor.sessionId, successor.consumedAtMs],
        [first.id, s.id, null],
      );
      assert.deepEqual(await store.findRefreshById(successor.id), successor);

      assert.equal(await store.findRefreshByHash(sha256Hex('rt_nope')), undefined);
      assert.equal(await store.findRefreshById(newId()), undefined);
    });
    test('users: pages by limit and offset never overlap, and together list every match', async () => {
      const tag = randomUUID().slice(0, 8);
      const made = [
        await newUser(`${tag}-1@example.com`),
        await newUser(`${tag}-2@example.com`),
        await newUser(`${tag}-3@example.com`),
      ];
      const page = async (offset: number) =>
        (await store.listUsers({ limit: 2, offset, search: tag })).map((u) => u.id);
      const [first, second, third] = [await page(0), await page(2), await page(4)];
      assert.deepEqual([first.length, second.length, third.length], [2, 1, 0]);
      assert.deepEqual([...first, ...second].sort(), made.map((u) => u.id).sort());
    });

    test('sessions: live ones are listed newest first, and one past its absolute end is not live', async () => {
      const user = await newUser();
      const make = async (createdAtMs: number, expiresAtMs: number) => {
        const id = newId();
        await store.createSession({
          session: {
            id,
            userId: user.id,
            clientId: 'revokd',
            createdAtMs,
            expiresAtMs,
            ip: '192.0.2.1',
            userAgent: 'ua',
            scope: '',
          },
          refresh: null,
          audit: audit(),
        });
        return id;
      };
      const ended = await make(NOW - 3000, NOW - 1);
      const older = await make(NOW - 2000, NOW + 3_600_000);
      const newer = await make(NOW - 1000, NOW + 3_600_000);
      assert.deepEqual(
        (await store.listLiveSessions(user.id, NOW)).map((x) => x.id),
        [newer, older],
      );
      assert.deepEqual(
        (await store.listLiveSessions(user.id, NOW - 2)).map((x) => x.id),
        [newer, older, ended],
        'live until its end',
      );
      assert.deepEqual(await store.listLiveSessions(randomUUID(), NOW), []);
    });
  });
}
