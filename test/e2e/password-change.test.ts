/**
 * Must-show 2 of issue 12, against a real server process and a real SMTP server: a password change
 * from one of two sessions kills the other session's access AND refresh tokens while the current
 * one keeps working (re-issued: new tokens for the same session, issue 17); `password_change` is the audited reason; the owner is mailed; a common
 * password is refused with a reason. Also the admin side: a reset revokes every session of the
 * user, enable lets a disabled user back in (old tokens stay dead), and bad input changes nothing.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { type LoginResult, createUserViaAdmin, login, request } from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess } from '../support/server-process.js';
import { type ReceivedMail, SmtpSink } from '../support/smtp-sink.js';
import { until } from '../support/until.js';

const FIRST = 'Ochre lanterns drift past 7 sleepy harbours';
const SECOND = 'Granite owls debate 4 silver marmalades';
const THIRD = 'Nimble cactus orchestra plays 12 tangos';

describe('password change and admin reset', () => {
  let sink: SmtpSink;
  let server: ServerProcess;
  let admin: string;
  const received: ReceivedMail[] = [];

  before(async () => {
    sink = await SmtpSink.start(0, received);
    server = await ServerProcess.start({
      env: { REVOKD_SMTP_URL: `smtp://127.0.0.1:${sink.port}`, REVOKD_MAIL_POLL_MS: '50' },
    });
    admin = (await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
  });
  after(async () => {
    await server?.stop();
    await sink?.close();
  });

  const me = (token: string) => request(`${server.url}/api/v1/auth/me`, { bearer: token });
  const refresh = (r: LoginResult) =>
    request(`${server.url}/api/v1/auth/refresh`, {
      method: 'POST',
      json: { refresh_token: r.refresh_token },
    });
  const change = (token: string, body: unknown) =>
    request(`${server.url}/api/v1/auth/password`, { method: 'POST', bearer: token, json: body });
  const auditOf = async (userId: string) => {
    const res = await request(`${server.url}/api/v1/security/audit?limit=1000`, { bearer: admin });
    assert.equal(res.status, 200, res.text);
    return (
      res.body.entries as Array<{
        type: string;
        reason: string | null;
        target_id: string | null;
        actor_id: string | null;
        details: Record<string, unknown>;
      }>
    ).filter((e) => e.target_id === userId || e.actor_id === userId);
  };
  /** What a refused request must leave as it was: the stored hash, the audit log, the revocations. */
  const snapshot = (userId: string) => {
    const db = new Database(path.join(server.dataDir, 'revokd.db'), {
      readonly: true,
      fileMustExist: true,
    });
    try {
      return {
        hash: db.prepare('SELECT password_hash FROM users WHERE id = ?').pluck().get(userId),
        revocations: db.prepare('SELECT COUNT(*) FROM revocations').pluck().get(),
        liveSessions: db
          .prepare('SELECT COUNT(*) FROM sessions WHERE user_id = ? AND revoked_at IS NULL')
          .pluck()
          .get(userId),
      };
    } finally {
      db.close();
    }
  };

  test('change from one of two sessions: the other dies (access and refresh), this one lives, audited, mailed', async () => {
    const email = 'changer@example.com';
    const id = (await createUserViaAdmin(server.url, admin, email, FIRST)).id;
    const laptop = await login(server.url, email, FIRST);
    const phone = await login(server.url, email, FIRST);

    const res = await change(laptop.access_token, {
      current_password: FIRST,
      new_password: SECOND,
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const reissued = res.body as LoginResult;

    // The other session: its access token and its refresh token are both refused.
    assert.equal((await me(phone.access_token)).status, 401);
    const phoneRefresh = await refresh(phone);
    assert.equal(phoneRefresh.status, 401, phoneRefresh.text);
    // The session that changed it lives on, re-issued: the tokens it presented are covered by the
    // change's one user-wide revocation too, the new ones (same session) work, refresh included.
    assert.equal(reissued.session_id, laptop.session_id);
    assert.equal((await me(laptop.access_token)).status, 401);
    assert.equal((await refresh(laptop)).status, 401);
    assert.equal((await me(reissued.access_token)).status, 200);
    const rotated = await refresh(reissued);
    assert.equal(rotated.status, 200, rotated.text);
    assert.equal((await me(rotated.body.access_token)).status, 200);

    // The old password is gone, the new one signs in.
    assert.equal(
      (
        await request(`${server.url}/api/v1/auth/login`, {
          method: 'POST',
          json: { email, password: FIRST },
        })
      ).status,
      401,
    );
    await login(server.url, email, SECOND);

    const audit = await auditOf(id);
    const changed = audit.filter((e) => e.type === 'user.password_changed');
    assert.equal(changed.length, 1);
    assert.equal(changed[0]!.reason, 'password_change');
    // One user-wide revocation in the change's commit, reporting the one other session it ended.
    const revoked = audit.filter((e) => e.type === 'user.tokens_revoked');
    assert.equal(revoked.length, 1);
    assert.equal(revoked[0]!.reason, 'password_change');
    assert.equal(revoked[0]!.details.sessions, 1, 'one other session revoked');
    const sessions = await request(`${server.url}/api/v1/sessions`, {
      bearer: rotated.body.access_token,
    });
    assert.ok(
      !sessions.body.some((s: { id: string }) => s.id === phone.session_id),
      'the other session is no longer listed',
    );

    const [mail] = await until('the owner email', () => {
      const mails = received.filter((m) => m.envelopeTo.includes(email));
      return mails.length > 0 ? mails : undefined;
    });
    assert.match(mail!.subject, /password was changed/);
    assert.match(mail!.text, /Every other session of your account was signed out/);
    for (const secret of [FIRST, SECOND])
      assert.ok(!mail!.raw.includes(secret), 'no password in the mail');
    for (const secret of [FIRST, SECOND])
      assert.ok(!server.output.includes(secret), 'no password in the logs');
  });

  test('a common password is refused with the reason, and nothing changes', async () => {
    const email = 'weakling@example.com';
    const id = (await createUserViaAdmin(server.url, admin, email, FIRST)).id;
    const a = await login(server.url, email, FIRST);
    const b = await login(server.url, email, FIRST);
    const before = snapshot(id);
    const res = await change(a.access_token, {
      current_password: FIRST,
      new_password: 'password123',
    });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.code, 'ERR_WEAK_PASSWORD');
    assert.match(
      res.body.error_description,
      /^new_password is too easy to guess: .*commonly used password/,
    );
    // Built from the user's own email: refused too.
    const own = await change(a.access_token, {
      current_password: FIRST,
      new_password: 'weakling@example.com',
    });
    assert.equal(own.status, 400, own.text);
    assert.equal(own.body.code, 'ERR_WEAK_PASSWORD');
    assert.deepEqual(snapshot(id), before);
    assert.equal((await me(b.access_token)).status, 200, 'the other session was not touched');
    // The same rule when an admin creates a user.
    const created = await request(`${server.url}/api/v1/admin/users`, {
      method: 'POST',
      bearer: admin,
      json: { email: 'weak2@example.com', password: 'qwerty12345' },
    });
    assert.equal(created.status, 400, created.text);
    assert.equal(created.body.code, 'ERR_WEAK_PASSWORD');
  });

  test('bad input is a 4xx that changes nothing; wrong current passwords count like failed sign-ins', async () => {
    const email = 'careful@example.com';
    const id = (await createUserViaAdmin(server.url, admin, email, FIRST)).id;
    const a = await login(server.url, email, FIRST);
    const before = snapshot(id);
    const bad: Array<[unknown, number]> = [
      [{}, 400],
      [{ current_password: FIRST }, 400],
      [{ new_password: SECOND }, 400],
      [{ current_password: FIRST, new_password: ['x'] }, 400],
      [{ current_password: FIRST, new_password: 'short' }, 400],
      [{ current_password: FIRST, new_password: FIRST }, 400],
      [{ current_password: FIRST, new_password: 'x'.repeat(2000) }, 400],
      [[], 400],
      [null, 400],
    ];
    for (const [body, status] of bad) {
      const res = await change(a.access_token, body);
      assert.equal(res.status, status, `${JSON.stringify(body)}: ${res.text}`);
      assert.equal(typeof res.body.code, 'string');
    }
    const form = await request(`${server.url}/api/v1/auth/password`, {
      method: 'POST',
      bearer: a.access_token,
      form: { current_password: FIRST, new_password: SECOND },
    });
    assert.equal(form.status, 415);
    assert.equal(
      (
        await request(`${server.url}/api/v1/auth/password`, {
          method: 'POST',
          json: { current_password: FIRST, new_password: SECOND },
        })
      ).status,
      401,
    );
    const apiToken = await request(`${server.url}/api/v1/tokens`, {
      method: 'POST',
      bearer: a.access_token,
      json: { name: 'script' },
    });
    assert.equal(
      (await change(apiToken.body.token, { current_password: FIRST, new_password: SECOND })).status,
      401,
      'an API token cannot change the password',
    );

    // A stolen access token is no password oracle: wrong guesses are limited (10 per email and address per hour).
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++)
      statuses.push(
        (
          await change(a.access_token, {
            current_password: `guess-${i}-nope`,
            new_password: SECOND,
          })
        ).status,
      );
    assert.deepEqual(statuses, [...Array(10).fill(401), 429]);
    const right = await change(a.access_token, { current_password: FIRST, new_password: SECOND });
    assert.equal(right.status, 429, 'even the right password waits now');
    assert.ok(Number(right.headers.get('retry-after')) > 0);
    const failures = (await auditOf(id)).filter((e) => e.type === 'user.login_failed');
    assert.equal(failures.length, 10);
    assert.ok(failures.every((e) => e.details.reason === 'wrong_current_password'));
    assert.deepEqual(
      { ...snapshot(id), revocations: 0 },
      { ...before, revocations: 0 },
      'the password and the sessions are as they were',
    );
  });

  test('admin reset revokes every session of the user; enable lets a disabled user back in, old tokens stay dead', async () => {
    const email = 'forgetful@example.com';
    const id = (await createUserViaAdmin(server.url, admin, email, FIRST)).id;
    const a = await login(server.url, email, FIRST);
    const b = await login(server.url, email, FIRST);
    const reset = (body: unknown, userId = id) =>
      request(`${server.url}/api/v1/admin/users/${userId}/password`, {
        method: 'POST',
        bearer: admin,
        json: body,
      });

    const before = snapshot(id);
    assert.equal((await reset({ new_password: 'password123' })).body.code, 'ERR_WEAK_PASSWORD');
    assert.equal((await reset({})).status, 400);
    assert.equal(
      (await reset({ new_password: SECOND }, '00000000-0000-4000-8000-000000000000')).status,
      404,
    );
    assert.equal(
      (
        await request(`${server.url}/api/v1/admin/users/${id}/password`, {
          method: 'POST',
          bearer: a.access_token,
          json: { new_password: SECOND },
        })
      ).status,
      403,
    );
    assert.deepEqual(snapshot(id), before, 'refused resets change nothing');

    const res = await reset({ new_password: SECOND });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { user_id: id, password_reset: true, revoked: { sessions: 2 } });
    for (const s of [a, b]) {
      assert.equal((await me(s.access_token)).status, 401);
      assert.equal((await refresh(s)).status, 401);
    }
    assert.equal(
      (
        await request(`${server.url}/api/v1/auth/login`, {
          method: 'POST',
          json: { email, password: FIRST },
        })
      ).status,
      401,
    );
    const c = await login(server.url, email, SECOND);
    const audit = await auditOf(id);
    assert.equal(
      audit.filter((e) => e.type === 'user.password_reset' && e.reason === 'password_reset').length,
      1,
    );
    assert.equal(
      audit.filter((e) => e.type === 'user.tokens_revoked' && e.reason === 'password_reset').length,
      1,
    );

    // Disable, then enable: signing in works again; what the disable revoked stays revoked.
    assert.equal(
      (
        await request(`${server.url}/api/v1/admin/users/${id}/disable`, {
          method: 'POST',
          bearer: admin,
        })
      ).status,
      200,
    );
    assert.equal(
      (
        await request(`${server.url}/api/v1/auth/login`, {
          method: 'POST',
          json: { email, password: SECOND },
        })
      ).status,
      401,
    );
    const enabled = await request(`${server.url}/api/v1/admin/users/${id}/enable`, {
      method: 'POST',
      bearer: admin,
    });
    assert.equal(enabled.status, 200, enabled.text);
    assert.deepEqual(enabled.body, { user_id: id, disabled: false, changed: true });
    const again = await request(`${server.url}/api/v1/admin/users/${id}/enable`, {
      method: 'POST',
      bearer: admin,
    });
    assert.deepEqual(
      again.body,
      { user_id: id, disabled: false, changed: false },
      'enabling an active user changes nothing',
    );
    assert.equal(
      (await me(c.access_token)).status,
      401,
      'a token revoked by the disable stays revoked',
    );
    assert.equal((await refresh(c)).status, 401);
    const d = await login(server.url, email, SECOND);
    assert.equal((await me(d.access_token)).status, 200);
    assert.equal((await auditOf(id)).filter((e) => e.type === 'user.enabled').length, 1);
  });

  test('the CLI: user set-password (from stdin) revokes every session; user enable', async () => {
    const email = 'cli-reset@example.com';
    const id = (await createUserViaAdmin(server.url, admin, email, FIRST)).id;
    const a = await login(server.url, email, FIRST);
    const weak = await server.cli(['user', 'set-password', email], 'password123\n');
    assert.equal(weak.code, 2, weak.stderr);
    assert.match(weak.stderr, /too easy to guess/);
    const out = await server.cli(['user', 'set-password', email, '--json'], `${THIRD}\n`);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(JSON.parse(out.stdout), {
      user_id: id,
      password_reset: true,
      revoked: { sessions: 1 },
    });
    // The CLI commits to the store; this server sees it through the change feed.
    await until('the session revoked on the server', async () =>
      (await me(a.access_token)).status === 401 ? true : undefined,
    );
    await login(server.url, email, THIRD);
    assert.equal((await server.cli(['user', 'disable', id])).code, 0);
    const enable = await server.cli(['user', 'enable', email]);
    assert.equal(enable.code, 0, enable.stderr);
    assert.equal(enable.stdout.trim(), `enabled ${email}`);
    await login(server.url, email, THIRD);
  });
});
