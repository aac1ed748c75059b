/**
 * Remedies are final (SPEC §5.2): a disable or a new password wins over a login, a refresh or the
 * owner's own session that was in flight when it committed. The store carries this in its commits:
 * createSession's precondition (`ifUserUnchanged`), the new password with its user-scope
 * revocation and the kept session's re-issue in one commit (`endSessions`), and refresh rotation
 * re-checking the user and the generations.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { newId, sha256Hex } from '../../../src/core/tokens/opaque.js';
import type { NewSession, PasswordSessionsEnd, RevokdStore } from '../../../src/stores/types.js';
import { type StoreBackend, useStore } from './backend.js';
import { NOW, audit, ctx } from './fixtures.js';

const conflict = (err: { code?: string }) => err.code === 'ERR_CONFLICT';

export function describeRemediesConformance(backend: StoreBackend): void {
  describe('remedies', () => {
    let store!: RevokdStore;
    const { newUser, newSession, consume, newApiToken } = useStore(backend, (opened) => {
      store = opened;
    });

    /** A password login's session: only if the user is enabled and the hash is still `verifiedHash`. */
    const loginSession = (userId: string, verifiedHash: string, on: RevokdStore = store) => {
      const id = newId();
      const token = `rt_${newId()}${newId()}`;
      const input: NewSession = {
        session: {
          id,
          userId,
          clientId: 'revokd',
          createdAtMs: NOW,
          expiresAtMs: NOW + 3_600_000,
          ip: '192.0.2.7',
          userAgent: 'ua',
          scope: '',
        },
        refresh: {
          id: newId(),
          tokenHash: sha256Hex(token),
          createdAtMs: NOW,
          expiresAtMs: NOW + 600_000,
        },
        audit: audit('user.logged_in'),
        ifUserUnchanged: { passwordHash: verifiedHash },
      };
      return on.createSession(input).then((gens) => ({ id, token, gens }));
    };
    const newPassword = (
      userId: string,
      hash: string,
      end: PasswordSessionsEnd,
      on: RevokdStore = store,
    ) =>
      on.setUserPassword(
        userId,
        { passwordHash: hash, mustChangePassword: false, nowMs: NOW, endSessions: end },
        audit('user.password_reset'),
      );

    test('a login session is created while the verified hash is current and the user enabled', async () => {
      const user = await newUser();
      const s = await loginSession(user.id, user.passwordHash);
      assert.equal((await store.findSession(s.id))?.revokedAtMs, null);
      assert.equal((await consume(s.token)).outcome.kind, 'rotated');
    });

    test('a login whose verified hash was replaced meanwhile creates nothing (ERR_CONFLICT)', async () => {
      const user = await newUser();
      await store.setUserPassword(
        user.id,
        { passwordHash: 'scrypt$new', mustChangePassword: false, nowMs: NOW },
        audit('user.password_reset'),
      );
      const attempt = loginSession(user.id, user.passwordHash);
      await assert.rejects(attempt, conflict);
      assert.deepEqual(await store.listLiveSessions(user.id, NOW), [], 'no session written');
      // The new hash is the one that signs in now.
      await loginSession(user.id, 'scrypt$new');
    });

    test("a login for a user disabled meanwhile creates nothing (ERR_CONFLICT), even before the disable's revocation", async () => {
      const user = await newUser();
      await store.disableUser(user.id, NOW, audit('user.disabled'));
      await assert.rejects(loginSession(user.id, user.passwordHash), conflict);
      assert.deepEqual(await store.listLiveSessions(user.id, NOW), []);
      const unknown = loginSession(randomUUID(), user.passwordHash);
      await assert.rejects(unknown, conflict, 'an unknown user is refused too');
    });

    test("a refresh of a disabled user's session does not rotate, before the disable's revocation commits", async () => {
      const user = await newUser();
      const s = await newSession(user.id);
      await store.disableUser(user.id, NOW, audit('user.disabled'));
      assert.equal((await consume(s.token)).outcome.kind, 'session_inactive');
    });

    /** A user with a session and a live API token, another user's token, and a mail recorder. */
    const userWithHoldings = async () => {
      const user = await newUser();
      const s = await newSession(user.id);
      const live = await newApiToken(user.id);
      const untouched = await newApiToken((await newUser()).id);
      const mailed: string[] = [];
      const notify = (token: { id: string }): null => {
        mailed.push(token.id);
        return null;
      };
      return { user, s, live, untouched, mailed, notify };
    };

    test("a disable with its revocations is one commit: the user-scope bump, every live API token, and the owner's mail", async () => {
      const { user, s, live, untouched, mailed, notify } = await userWithHoldings();
      const report = await store.disableUserAndRevoke(user.id, NOW, audit('user.disabled'), {
        context: ctx({ reason: 'user_disabled' }),
        revokedBy: null,
        notify,
      });
      assert.equal(report.disabled, true);
      assert.equal(report.revocation.generation, s.gens.ugen + 1);
      assert.deepEqual(
        report.revocation.records.map((r) => [r.scope, r.target]),
        [['user', user.id]],
      );
      assert.deepEqual(
        report.apiTokens.map((t) => [t.id, t.isActive, t.revokeReason]),
        [[live, false, 'user_disabled']],
      );
      assert.deepEqual(mailed, [live]);
      assert.notEqual((await store.findUserById(user.id))?.disabledAtMs, null);
      assert.equal((await consume(s.token)).outcome.kind, 'session_inactive');
      // The feed holds the user record and the token's, in that order, from the one commit.
      const feed = await store.readFeed('0', 100_000);
      const mine = feed.records.filter((r) => r.target === user.id || r.target === live);
      assert.deepEqual(
        mine.map((r) => r.scope),
        ['user', 'api_token'],
      );
      assert.equal((await store.findApiTokenById(untouched))?.isActive, true);
      // Again: already disabled, still revokes (a second bump, nothing left to revoke).
      const again = await store.disableUserAndRevoke(user.id, NOW, audit('user.disabled'), {
        context: ctx({ reason: 'user_disabled' }),
        revokedBy: null,
        notify: () => null,
      });
      assert.equal(again.disabled, false);
      assert.deepEqual(again.apiTokens, []);
    });

    test("revoking a user's holdings is one commit: the user-scope bump and every live API token, the user left enabled", async () => {
      const { user, s, live, untouched, mailed, notify } = await userWithHoldings();
      const before = await store.readFeed('0', 100_000);
      const report = await store.revokeUserHoldings(user.id, {
        context: ctx({ reason: 'compromised' }),
        revokedBy: null,
        notify,
      });
      assert.equal(report.revocation.generation, s.gens.ugen + 1);
      assert.equal(report.revocation.sessions, 1);
      assert.deepEqual(
        report.apiTokens.map((t) => [t.id, t.isActive, t.revokeReason]),
        [[live, false, 'compromised']],
      );
      assert.deepEqual(mailed, [live]);
      assert.equal((await store.findUserById(user.id))?.disabledAtMs, null, 'not a disable');
      assert.equal((await consume(s.token)).outcome.kind, 'session_inactive');
      // Both records, in this order, and nothing between them: the one commit's.
      const after = await store.readFeed(before.cursor, 100_000);
      assert.deepEqual(
        after.records.map((r) => [r.scope, r.target]),
        [
          ['user', user.id],
          ['api_token', live],
        ],
      );
      assert.equal((await store.findApiTokenById(untouched))?.isActive, true);
      await assert.rejects(
        store.revokeUserHoldings(randomUUID(), {
          context: ctx(),
          revokedBy: null,
          notify: () => null,
        }),
        (err: { code?: string }) => err.code === 'ERR_NOT_FOUND',
      );
      assert.deepEqual(
        (await store.readFeed(after.cursor, 100_000)).records,
        [],
        'nothing written',
      );
    });

    test('a disable of an unknown user is refused (ERR_NOT_FOUND) and writes nothing', async () => {
      const before = await store.readFeed('0', 100_000);
      await assert.rejects(
        store.disableUserAndRevoke(randomUUID(), NOW, audit('user.disabled'), {
          context: ctx(),
          revokedBy: null,
          notify: () => null,
        }),
        (err: { code?: string }) => err.code === 'ERR_NOT_FOUND',
      );
      const after = await store.readFeed('0', 100_000);
      assert.equal(after.records.length, before.records.length, 'no feed record written');
    });

    test("findApiTokenWithOwner: the token and its owner's disabled state in one read", async () => {
      const user = await newUser();
      const id = await newApiToken(user.id);
      const hash = sha256Hex(id);
      const found = await store.findApiTokenWithOwner(hash);
      assert.deepEqual(found?.token, await store.findApiTokenByHash(hash));
      assert.deepEqual(found?.owner, { disabledAtMs: null });
      await store.disableUser(user.id, NOW + 5, audit('user.disabled'));
      assert.deepEqual((await store.findApiTokenWithOwner(hash))?.owner, {
        disabledAtMs: NOW + 5,
      });
      assert.equal(await store.findApiTokenWithOwner(sha256Hex('nobody')), undefined);
    });

    test('a new password with endSessions: one generation bump and every session ended, in its commit', async () => {
      const user = await newUser();
      const a = await newSession(user.id);
      const b = await newSession(user.id);
      const report = await newPassword(user.id, 'scrypt$reset', {
        context: ctx({ reason: 'password_reset' }),
      });
      assert.ok(report !== undefined && report.revocation !== null);
      assert.equal(report.kept, null);
      assert.equal(report.revocation.sessions, 2);
      assert.equal(report.revocation.generation, a.gens.ugen + 1);
      assert.deepEqual(
        report.revocation.records.map((r) => [r.scope, r.target, r.reason]),
        [['user', user.id, 'password_reset']],
        'one feed record',
      );
      assert.deepEqual(await store.listLiveSessions(user.id, NOW), []);
      for (const s of [a, b])
        assert.equal((await consume(s.token)).outcome.kind, 'session_inactive');
      assert.equal((await store.readGenerations(user.id, 'revokd')).ugen, a.gens.ugen + 1);
      assert.equal(
        await newPassword(randomUUID(), 'x', { context: ctx() }),
        undefined,
        'an unknown user: nothing',
      );
    });

    test("the owner's change keeps its session, re-issued past the bump; its old refresh token and every other session are dead", async () => {
      const user = await newUser();
      const mine = await newSession(user.id);
      const other = await newSession(user.id);
      const fresh = `rt_${newId()}${newId()}`;
      const report = await store.setUserPassword(
        user.id,
        {
          passwordHash: 'scrypt$changed',
          mustChangePassword: false,
          nowMs: NOW,
          ifPasswordHash: user.passwordHash,
          endSessions: {
            context: ctx({ initiator: 'user', reason: 'password_change' }),
            keep: {
              sessionId: mine.id,
              refresh: {
                id: newId(),
                tokenHash: sha256Hex(fresh),
                createdAtMs: NOW,
                expiresAtMs: NOW + 600_000,
              },
            },
          },
        },
        audit('user.password_changed'),
      );
      assert.ok(report !== undefined && report.revocation !== null && report.kept !== null);
      assert.equal(report.revocation.sessions, 1, 'only the other session is marked');
      assert.equal(report.kept.session.id, mine.id);
      assert.equal(
        report.kept.refresh.ugen,
        report.revocation.generation,
        'the new refresh token is stamped past the bump',
      );
      assert.deepEqual(
        (await store.listLiveSessions(user.id, NOW)).map((s) => s.id),
        [mine.id],
      );
      assert.equal((await consume(other.token)).outcome.kind, 'session_inactive');
      assert.equal(
        (await consume(mine.token)).outcome.kind,
        'session_inactive',
        "the kept session's old token is below the bump",
      );
      assert.equal((await consume(fresh)).outcome.kind, 'rotated');
    });

    test("the owner's change from a session revoked meanwhile is refused and changes nothing", async () => {
      const user = await newUser();
      const mine = await newSession(user.id);
      await store.revoke({ scope: 'session', sessionId: mine.id }, ctx({ reason: 'logout' }));
      const attempt = store.setUserPassword(
        user.id,
        {
          passwordHash: 'scrypt$changed',
          mustChangePassword: false,
          nowMs: NOW,
          ifPasswordHash: user.passwordHash,
          endSessions: {
            context: ctx({ reason: 'password_change' }),
            keep: {
              sessionId: mine.id,
              refresh: {
                id: newId(),
                tokenHash: sha256Hex(`rt_${newId()}`),
                createdAtMs: NOW,
                expiresAtMs: NOW + 600_000,
              },
            },
          },
        },
        audit('user.password_changed'),
      );
      await assert.rejects(attempt, (err: { code?: string }) => err.code === 'ERR_TOKEN_REVOKED');
      assert.equal(
        (await store.findUserById(user.id))?.passwordHash,
        user.passwordHash,
        'the hash is unchanged',
      );
      assert.equal(
        (await store.readGenerations(user.id, 'revokd')).ugen,
        mine.gens.ugen,
        'no bump',
      );
    });

    test('logins racing a new password (through two instances when the backend has them) leave no live session', async () => {
      const peer = backend.openPeer === undefined ? store : await backend.openPeer(store);
      try {
        const user = await newUser();
        const logins = Array.from({ length: 20 }, (_, i) =>
          loginSession(user.id, user.passwordHash, i % 2 === 0 ? store : peer).then(
            (s) => s,
            (err: { code?: string }) => {
              if (!conflict(err)) throw err;
              return undefined;
            },
          ),
        );
        const reset = newPassword(
          user.id,
          'scrypt$raced',
          { context: ctx({ reason: 'password_reset' }) },
          peer,
        );
        const [created, report] = await Promise.all([Promise.all(logins), reset]);
        assert.ok(report !== undefined);
        for (const s of created) {
          if (s === undefined) continue;
          // Committed before the reset: the reset's own commit ended it.
          assert.notEqual(
            (await store.findSession(s.id))?.revokedAtMs,
            null,
            `session ${s.id} outlived the reset`,
          );
          assert.equal((await consume(s.token)).outcome.kind, 'session_inactive');
        }
        assert.deepEqual(await store.listLiveSessions(user.id, NOW), []);
      } finally {
        if (peer !== store) await backend.close(peer);
      }
    });
  });
}
