/**
 * Detectors → alerts and automatic blocks, against one real server process (SPEC §5.4):
 * honeypot paths and a canary API token block the address and alert; a revoked access token
 * presented again alerts exactly once; brute force on one user is refused per (email, IP) and
 * alerted, without locking the user out from elsewhere; refresh-token reuse alerts once.
 *
 * The server trusts X-Forwarded-For from 127.0.0.1, so each scenario plays its "attacker" from its
 * own documentation address while the test's own admin calls (no header) stay unblocked. The
 * detectors work asynchronously: alerts are polled for with a generous deadline, read straight
 * from the SQLite file (read-only), so these tests do not depend on the alerts API.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess, sleep } from '../support/server-process.js';
import {
  type LoginResult,
  createClientViaAdmin,
  createUserViaAdmin,
  introspect,
  login,
  request,
} from '../support/http-client.js';

const DEADLINE_MS = 15_000;

interface AlertRow {
  readonly id: string;
  readonly severity: string;
  readonly type: string;
  readonly subject: string | null;
  readonly ip: string | null;
  readonly details: Record<string, unknown>;
}

const xff = (ip: string): Record<string, string> => ({ 'x-forwarded-for': ip });

function jwtSub(token: string): string {
  const payload = JSON.parse(
    Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8'),
  ) as { sub: string };
  return payload.sub;
}

describe('detectors and alerts', () => {
  let server: ServerProcess;
  let admin: LoginResult;
  let userCount = 0;

  /** Alerts of one type (optionally narrowed), straight from the database. */
  function alerts(type: string, where: { subject?: string; ip?: string } = {}): AlertRow[] {
    const db = new Database(path.join(server.dataDir, 'revokd.db'), {
      readonly: true,
      fileMustExist: true,
    });
    try {
      const rows = db
        .prepare(
          'SELECT id, severity, type, subject, ip, details FROM alerts WHERE type = ? ORDER BY created_at',
        )
        .all(type) as Array<Omit<AlertRow, 'details'> & { details: string }>;
      return rows
        .map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> }))
        .filter(
          (r) =>
            (where.subject === undefined || r.subject === where.subject) &&
            (where.ip === undefined || r.ip === where.ip),
        );
    } finally {
      db.close();
    }
  }

  /** Waits until at least one matching alert exists; fails with what was there at the deadline. */
  async function waitForAlerts(
    type: string,
    where: { subject?: string; ip?: string } = {},
  ): Promise<AlertRow[]> {
    const deadline = Date.now() + DEADLINE_MS;
    for (;;) {
      const found = alerts(type, where);
      if (found.length > 0) return found;
      if (Date.now() > deadline)
        assert.fail(
          `no ${type} alert matching ${JSON.stringify(where)}; all ${type}: ${JSON.stringify(alerts(type))}`,
        );
      await sleep(50);
    }
  }

  /** Waits until requests from `ip` are refused with 403 ERR_IP_BLOCKED. */
  async function waitForBlocked(ip: string): Promise<void> {
    const deadline = Date.now() + DEADLINE_MS;
    for (;;) {
      const res = await request(`${server.url}/api/v1/auth/revocation-status`, {
        headers: xff(ip),
      });
      if (res.status === 403) {
        assert.equal(res.body.code, 'ERR_IP_BLOCKED', res.text);
        return;
      }
      if (Date.now() > deadline)
        assert.fail(`${ip} was never blocked (last answer ${res.status} ${res.text})`);
      await sleep(50);
    }
  }

  async function newUser(label: string): Promise<{ id: string; email: string; password: string }> {
    const email = `${label}-${++userCount}@example.com`;
    const password = `pw-${label}-correct-horse`;
    const { id } = await createUserViaAdmin(server.url, admin.access_token, email, password);
    return { id, email, password };
  }

  before(async () => {
    server = await ServerProcess.start({
      env: { REVOKD_TRUSTED_PROXIES: '127.0.0.1', REVOKD_LOG_LEVEL: 'warn' },
    });
    admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  });

  after(async () => {
    await server?.stop();
  });

  test('three honeypot hits from one address block it (403 on any route, login included) and raise one HIGH honeypot_triggered alert', async () => {
    const attacker = '203.0.113.50';
    for (const p of ['/.env', '/wp-login.php', '/.git/config']) {
      const res = await request(`${server.url}${p}`, { headers: xff(attacker) });
      assert.equal(res.status, 404, `${p} answers like any unknown path: ${res.text}`);
      assert.equal(res.body.code, 'ERR_NOT_FOUND');
    }
    // The third hit's answer waited for the block to commit: the very next request is refused.
    const health = await request(`${server.url}/api/v1/auth/revocation-status`, {
      headers: xff(attacker),
    });
    assert.equal(health.status, 403, health.text);
    assert.deepEqual(Object.keys(health.body).sort(), ['code', 'error', 'error_description']);
    assert.equal(health.body.code, 'ERR_IP_BLOCKED');
    const loginAttempt = await request(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      json: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
      headers: xff(attacker),
    });
    assert.equal(loginAttempt.status, 403, 'blocked before routing, even with the right password');
    assert.equal(loginAttempt.body.code, 'ERR_IP_BLOCKED');

    const [alert, ...more] = await waitForAlerts('honeypot_triggered', { ip: attacker });
    assert.deepEqual(more, [], 'one alert per address and window');
    assert.equal(alert!.severity, 'HIGH');
    assert.equal(alert!.details.blocked, true);

    // The admin (no X-Forwarded-For: 127.0.0.1) is unaffected.
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: admin.access_token })).status,
      200,
    );
  });

  test('one use of a canary API token: 401 like an unknown token, then the address is blocked and a CRITICAL canary_triggered alert exists', async () => {
    const planted = await request(`${server.url}/api/v1/security/canaries`, {
      method: 'POST',
      bearer: admin.access_token,
      json: { name: 'ci-deploy-key' },
    });
    assert.equal(planted.status, 201, planted.text);
    const canary = planted.body.token as string;
    const attacker = '198.51.100.77';

    const used = await request(`${server.url}/api/v1/auth/me`, {
      bearer: canary,
      headers: xff(attacker),
    });
    assert.equal(used.status, 401, used.text);
    assert.equal(used.body.code, 'ERR_INVALID_TOKEN');
    assert.match(used.headers.get('www-authenticate') ?? '', /^Bearer /);

    await waitForBlocked(attacker);
    const [alert, ...more] = await waitForAlerts('canary_triggered', { ip: attacker });
    assert.deepEqual(more, []);
    assert.equal(alert!.severity, 'CRITICAL');
    // Someone else's address is not touched.
    assert.equal(
      (
        await request(`${server.url}/api/v1/auth/revocation-status`, {
          headers: xff('198.51.100.78'),
        })
      ).status,
      200,
    );
  });

  test('a revoked access token presented again (3× on a bearer route, 1× to introspection) raises exactly one CRITICAL revoked_token_replay alert for its sub', async () => {
    const user = await newUser('replay');
    const session = await login(server.url, user.email, user.password, xff('192.0.2.30'));
    const sub = jwtSub(session.access_token);
    assert.equal(sub, user.id);
    const revoked = await request(`${server.url}/api/v1/auth/revoke`, {
      method: 'POST',
      bearer: session.access_token,
    });
    assert.equal(revoked.status, 200, revoked.text);

    for (let i = 0; i < 3; i++) {
      const res = await request(`${server.url}/api/v1/auth/me`, {
        bearer: session.access_token,
        headers: xff('192.0.2.31'),
      });
      assert.equal(res.status, 401, res.text);
      assert.equal(res.body.code, 'ERR_TOKEN_REVOKED');
    }
    const client = await createClientViaAdmin(
      server.url,
      admin.access_token,
      'replay-introspector',
    );
    const inspected = await introspect(server.url, client, session.access_token);
    assert.equal(inspected.status, 200, inspected.text);
    assert.deepEqual(inspected.body, { active: false });

    const found = await waitForAlerts('revoked_token_replay', { subject: sub });
    // Four presentations; the alert is deduplicated per token. Give any straggling detector work a
    // moment to land before counting (a second row would be a bug, not a timing question).
    await sleep(500);
    const all = alerts('revoked_token_replay', { subject: sub });
    assert.equal(all.length, 1, JSON.stringify(all));
    assert.equal(found[0]!.severity, 'CRITICAL');
    assert.equal(all[0]!.id, found[0]!.id);
  });

  test('brute force: 11 wrong passwords from one address → 429 with Retry-After from the 11th on, a HIGH brute_force_user alert; the right password works from elsewhere, not from there', async () => {
    const victim = await newUser('brute');
    const attacker = '192.0.2.10';
    const attempt = (password: string, ip: string) =>
      request(`${server.url}/api/v1/auth/login`, {
        method: 'POST',
        json: { email: victim.email, password },
        headers: xff(ip),
      });

    for (let i = 1; i <= 10; i++) {
      const res = await attempt(`wrong-password-${i}`, attacker);
      assert.equal(res.status, 401, `attempt ${i}: ${res.text}`);
      assert.equal(res.body.code, 'ERR_INVALID_CREDENTIALS');
    }
    for (const password of ['wrong-password-11', 'wrong-password-12']) {
      const res = await attempt(password, attacker);
      assert.equal(res.status, 429, res.text);
      assert.equal(res.body.code, 'ERR_RATE_LIMITED');
      assert.equal(res.body.error, 'slow_down');
      const retryAfter = Number(res.headers.get('retry-after'));
      assert.ok(
        Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 3600,
        `Retry-After: ${res.headers.get('retry-after')}`,
      );
    }

    const [alert] = await waitForAlerts('brute_force_user', { subject: victim.id });
    assert.equal(alert!.severity, 'HIGH');
    assert.equal(alert!.ip, attacker);

    // Limited per (email, IP): the owner, from their own address, is not locked out …
    const owner = await attempt(victim.password, '192.0.2.20');
    assert.equal(owner.status, 200, owner.text);
    assert.ok(typeof owner.body.access_token === 'string');
    // … while from the attacker's address even the right password is refused until the window ends
    // (documented: the limit is checked before the password, so it cannot be probed).
    const fromAttacker = await attempt(victim.password, attacker);
    assert.equal(fromAttacker.status, 429, fromAttacker.text);
    assert.ok(Number(fromAttacker.headers.get('retry-after')) >= 1);
  });

  test('refresh-token reuse revokes the session and raises exactly one CRITICAL refresh_token_reuse alert', async () => {
    const user = await newUser('reuse');
    const first = await login(server.url, user.email, user.password, xff('192.0.2.40'));
    const refresh = (token: string) =>
      request(`${server.url}/api/v1/auth/refresh`, {
        method: 'POST',
        json: { refresh_token: token },
        headers: xff('192.0.2.40'),
      });
    const second = await refresh(first.refresh_token);
    assert.equal(second.status, 200, second.text);
    const third = await refresh(second.body.refresh_token);
    assert.equal(third.status, 200, third.text);

    // The first token is two rotations old: not a grace-window retry, but theft.
    const replayed = await refresh(first.refresh_token);
    assert.equal(replayed.status, 401, replayed.text);
    assert.equal(replayed.body.code, 'ERR_REFRESH_REUSED');
    const again = await refresh(first.refresh_token);
    assert.equal(again.status, 401, again.text);
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: third.body.access_token })).status,
      401,
      'the session is revoked',
    );

    const found = await waitForAlerts('refresh_token_reuse', { subject: user.id });
    await sleep(500);
    const all = alerts('refresh_token_reuse', { subject: user.id });
    assert.equal(all.length, 1, JSON.stringify(all));
    assert.equal(found[0]!.severity, 'CRITICAL');
    assert.equal(found[0]!.details.session, first.session_id);
  });
});
