/**
 * The admin security API (SPEC §5.4): alerts (list, filter, acknowledge), revoking a user with a
 * mandatory reason — previewed by a dry run that changes nothing and reports exactly what the real
 * run then reaches — the monitoring views, decoys (a canary API token, a decoy account) whose use
 * blocks the caller's address, and the admin role on every route.
 *
 * The server trusts 127.0.0.1 as a proxy, so "attackers" come from X-Forwarded-For addresses and the
 * test's own admin (plain 127.0.0.1) is never the one blocked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createUserViaAdmin, login, request } from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess, sleep } from '../support/server-process.js';

const xff = (ip: string): Record<string, string> => ({ 'x-forwarded-for': ip });
const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';

async function eventually<T>(
  what: string,
  ms: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await sleep(100);
  }
}

interface Alert {
  id: string;
  severity: string;
  type: string;
  subject: string | null;
  ip: string | null;
  acknowledged: boolean;
}

describe('admin security API', () => {
  let server: ServerProcess;
  let admin: { access_token: string };
  const api = (path: string, init: Parameters<typeof request>[1] = {}) =>
    request(`${server.url}/api/v1/security${path}`, { bearer: admin.access_token, ...init });
  const alerts = async (query = ''): Promise<Alert[]> => {
    const res = await api(`/alerts${query}`);
    assert.equal(res.status, 200, res.text);
    return res.body.alerts;
  };

  before(async () => {
    server = await ServerProcess.start({
      env: { REVOKD_TRUSTED_PROXIES: '127.0.0.1', REVOKD_ALERT_FAILED_LOGINS_PER_USER: '2' },
    });
    admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  });
  after(async () => {
    await server?.stop();
  });

  test('a non-admin gets 403 on every security route; no token gets 401', async () => {
    await createUserViaAdmin(
      server.url,
      admin.access_token,
      'plain@example.com',
      'user-password-1',
    );
    const plain = await login(server.url, 'plain@example.com', 'user-password-1');
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/metrics'],
      ['GET', '/alerts'],
      ['POST', `/alerts/${NO_SUCH_ID}/acknowledge`],
      ['GET', '/blocks'],
      ['POST', '/blocks', { ip: '192.0.2.1', reason: 'x' }],
      ['DELETE', `/blocks/${NO_SUCH_ID}`],
      ['GET', `/user/${NO_SUCH_ID}/activity`],
      ['GET', '/blacklist/status'],
      ['GET', '/health'],
      ['GET', '/audit/summary'],
      ['GET', '/audit'],
      ['GET', '/audit/verify'],
      ['POST', `/token/revoke-user/${NO_SUCH_ID}`, { reason: 'x' }],
      ['POST', '/canaries', {}],
      ['POST', '/decoys', { email: 'd@example.com' }],
    ];
    for (const [method, path, json] of routes) {
      const forbidden = await api(path, {
        method,
        bearer: plain.access_token,
        ...(json === undefined ? {} : { json }),
      });
      assert.equal(forbidden.status, 403, `${method} ${path}: ${forbidden.text}`);
      assert.equal(forbidden.body.code, 'ERR_FORBIDDEN');
      const anonymous = await request(`${server.url}/api/v1/security${path}`, {
        method,
        ...(json === undefined ? {} : { json }),
      });
      assert.equal(anonymous.status, 401, `${method} ${path} without a token`);
    }
  });

  test('alerts: raised by detectors, listed, filtered by severity and state, acknowledged once', async () => {
    // CRITICAL: a revoked access token presented again.
    await createUserViaAdmin(
      server.url,
      admin.access_token,
      'leaky@example.com',
      'user-password-1',
    );
    const leaked = await login(server.url, 'leaky@example.com', 'user-password-1');
    assert.equal(
      (
        await request(`${server.url}/api/v1/auth/logout`, {
          method: 'POST',
          bearer: leaked.access_token,
        })
      ).status,
      204,
    );
    assert.equal(
      (
        await request(`${server.url}/api/v1/auth/me`, {
          bearer: leaked.access_token,
          headers: xff('198.51.100.20'),
        })
      ).status,
      401,
    );
    // HIGH: more failed logins for one user than REVOKD_ALERT_FAILED_LOGINS_PER_USER (2) within the hour.
    for (let i = 0; i < 3; i++) {
      const res = await request(`${server.url}/api/v1/auth/login`, {
        method: 'POST',
        json: { email: 'leaky@example.com', password: 'wrong-password' },
        headers: xff('198.51.100.21'),
      });
      assert.equal(res.status, 401);
    }
    const critical = await eventually('the replay alert is stored', 5000, async () =>
      (await alerts()).find((a) => a.type === 'revoked_token_replay'),
    );
    const high = await eventually('the brute-force alert is stored', 5000, async () =>
      (await alerts()).find((a) => a.type === 'brute_force_user'),
    );
    assert.equal(critical.severity, 'CRITICAL');
    assert.equal(critical.ip, '198.51.100.20');
    assert.equal(high.severity, 'HIGH');
    assert.equal(high.acknowledged, false);

    assert.ok((await alerts('?severity=CRITICAL')).every((a) => a.severity === 'CRITICAL'));
    assert.ok((await alerts('?severity=CRITICAL')).some((a) => a.id === critical.id));
    assert.ok(!(await alerts('?severity=HIGH')).some((a) => a.id === critical.id));
    assert.equal((await alerts('?limit=1')).length, 1);
    assert.equal((await alerts('?limit=1&offset=1')).length, 1);
    assert.notEqual((await alerts('?limit=1'))[0]!.id, (await alerts('?limit=1&offset=1'))[0]!.id);
    for (const bad of [
      '?severity=SEVERE',
      '?acknowledged=maybe',
      '?limit=0',
      '?limit=501',
      '?offset=-1',
      '?severity=HIGH&severity=LOW',
    ]) {
      assert.equal((await api(`/alerts${bad}`)).status, 400, bad);
    }

    const before = (await api('/metrics')).body;
    assert.ok(before.alerts.by_severity.CRITICAL.unacknowledged >= 1);

    const ack = await api(`/alerts/${critical.id}/acknowledge`, { method: 'POST' });
    assert.equal(ack.status, 200, ack.text);
    assert.equal(ack.body.id, critical.id);
    assert.equal(ack.body.acknowledged, true);
    assert.ok(ack.body.acknowledged_by);
    assert.equal(
      (await api(`/alerts/${critical.id}/acknowledge`, { method: 'POST' })).status,
      404,
      'already acknowledged',
    );
    assert.equal((await api(`/alerts/${NO_SUCH_ID}/acknowledge`, { method: 'POST' })).status, 404);
    assert.equal((await api('/alerts/not-a-uuid/acknowledge', { method: 'POST' })).status, 400);
    assert.ok((await alerts('?acknowledged=true')).some((a) => a.id === critical.id));
    assert.ok(!(await alerts('?acknowledged=false')).some((a) => a.id === critical.id));
    assert.ok((await alerts('?acknowledged=false&severity=HIGH')).some((a) => a.id === high.id));

    const afterAck = (await api('/metrics')).body;
    assert.equal(
      afterAck.alerts.by_severity.CRITICAL.unacknowledged,
      before.alerts.by_severity.CRITICAL.unacknowledged - 1,
    );
    assert.equal(
      afterAck.alerts.by_severity.CRITICAL.total,
      before.alerts.by_severity.CRITICAL.total,
    );
    const audit = await api('/audit?type=alert.acknowledged');
    assert.ok(audit.body.entries.some((e: { target_id: string }) => e.target_id === critical.id));
  });

  test('revoke-user: a reason is required; the dry run changes nothing and predicts exactly what the real run reaches', async () => {
    const target = await createUserViaAdmin(
      server.url,
      admin.access_token,
      'offboarded@example.com',
      'user-password-1',
    );
    const s1 = await login(
      server.url,
      'offboarded@example.com',
      'user-password-1',
      xff('198.51.100.30'),
    );
    const s2 = await login(
      server.url,
      'offboarded@example.com',
      'user-password-1',
      xff('198.51.100.31'),
    );
    const rotated = await request(`${server.url}/api/v1/auth/refresh`, {
      method: 'POST',
      json: { refresh_token: s2.refresh_token },
    });
    assert.equal(rotated.status, 200);
    const tokens: string[] = [];
    for (const name of ['deploy', 'backup']) {
      const created = await request(`${server.url}/api/v1/tokens`, {
        method: 'POST',
        bearer: s1.access_token,
        json: { name },
      });
      assert.equal(created.status, 201);
      tokens.push(created.body.token);
    }
    const path = `/token/revoke-user/${target.id}`;

    for (const body of [undefined, {}, { reason: '' }, { reason: '   ' }, { reason: 42 }]) {
      const res = await api(path, {
        method: 'POST',
        ...(body === undefined ? {} : { json: body }),
      });
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
    }
    assert.equal(
      (await api(`/token/revoke-user/${NO_SUCH_ID}`, { method: 'POST', json: { reason: 'x' } }))
        .status,
      404,
    );
    assert.equal(
      (await api('/token/revoke-user/not-a-uuid', { method: 'POST', json: { reason: 'x' } }))
        .status,
      400,
    );

    const activityBefore = (await api(`/user/${target.id}/activity`)).body;
    const preview = await api(`${path}?dry_run=true`, {
      method: 'POST',
      json: { reason: 'laptop stolen' },
    });
    assert.equal(preview.status, 200, preview.text);
    assert.equal(preview.body.user_id, target.id);
    assert.equal(preview.body.reason, 'laptop stolen');
    assert.equal(preview.body.dry_run, true);
    assert.deepEqual(
      { ...preview.body.revoked, access_tokens_cutoff: undefined },
      { sessions: 2, refresh_tokens: 2, api_tokens: 2, access_tokens_cutoff: undefined },
    );
    assert.ok(!Number.isNaN(Date.parse(preview.body.revoked.access_tokens_cutoff)));

    // Nothing changed: every credential still works, and nothing was written about the user.
    const me = (bearer: string) => request(`${server.url}/api/v1/auth/me`, { bearer });
    assert.equal((await me(s1.access_token)).status, 200);
    assert.equal((await me(rotated.body.access_token)).status, 200);
    for (const t of tokens) assert.equal((await me(t)).status, 200);
    const activityAfter = (await api(`/user/${target.id}/activity`)).body;
    assert.equal(activityAfter.sessions.length, 2);
    assert.deepEqual(
      activityAfter.recent_audit.map((e: { seq: number }) => e.seq),
      activityBefore.recent_audit.map((e: { seq: number }) => e.seq),
    );

    const real = await api(path, { method: 'POST', json: { reason: 'laptop stolen' } });
    assert.equal(real.status, 200, real.text);
    assert.equal(real.body.dry_run, false);
    assert.deepEqual(
      { ...real.body.revoked, access_tokens_cutoff: undefined },
      { ...preview.body.revoked, access_tokens_cutoff: undefined },
      'the preview reported exactly what the revocation reached',
    );
    assert.equal((await me(s1.access_token)).status, 401);
    assert.equal((await me(rotated.body.access_token)).status, 401);
    for (const t of tokens) assert.equal((await me(t)).status, 401);
    assert.equal(
      (
        await request(`${server.url}/api/v1/auth/refresh`, {
          method: 'POST',
          json: { refresh_token: rotated.body.refresh_token },
        })
      ).status,
      401,
    );

    // The reason is on the record.
    const revokedEntry = (
      await api(`/audit?type=user.tokens_revoked&limit=1000`)
    ).body.entries.find((e: { target_id: string }) => e.target_id === target.id);
    assert.equal(revokedEntry.initiator, 'admin');
    assert.equal(revokedEntry.reason, 'admin');
    assert.equal(revokedEntry.details.note, 'laptop stolen');

    // Nothing is left: a second preview and a second run both reach nothing.
    const empty = await api(`${path}?dry_run=true`, { method: 'POST', json: { reason: 'again' } });
    assert.deepEqual(
      { ...empty.body.revoked, access_tokens_cutoff: undefined },
      { sessions: 0, refresh_tokens: 0, api_tokens: 0, access_tokens_cutoff: undefined },
    );
    const again = await api(path, { method: 'POST', json: { reason: 'again' } });
    assert.deepEqual(
      { ...again.body.revoked, access_tokens_cutoff: undefined },
      { sessions: 0, refresh_tokens: 0, api_tokens: 0, access_tokens_cutoff: undefined },
    );
  });

  test('user activity: the user, live sessions, API tokens and recent audit', async () => {
    const user = await createUserViaAdmin(
      server.url,
      admin.access_token,
      'watched@example.com',
      'user-password-1',
    );
    const s = await login(
      server.url,
      'watched@example.com',
      'user-password-1',
      xff('198.51.100.40'),
    );
    await request(`${server.url}/api/v1/tokens`, {
      method: 'POST',
      bearer: s.access_token,
      json: { name: 'laptop' },
    });
    await request(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      json: { email: 'watched@example.com', password: 'nope-nope-1' },
      headers: xff('198.51.100.41'),
    });
    const res = await api(`/user/${user.id}/activity`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.user.email, 'watched@example.com');
    assert.equal(res.body.user.decoy, false);
    assert.deepEqual(
      res.body.sessions.map((x: { id: string; ip: string }) => [x.id, x.ip]),
      [[s.session_id, '198.51.100.40']],
    );
    assert.deepEqual(
      res.body.api_tokens.map((t: { name: string }) => t.name),
      ['laptop'],
    );
    assert.ok(
      !res.text.includes('token_hash') && !res.text.includes('scrypt'),
      'no hashes leave the server',
    );
    const types = res.body.recent_audit.map((e: { type: string }) => e.type);
    for (const t of ['user.created', 'user.logged_in', 'api_token.created', 'user.login_failed'])
      assert.ok(types.includes(t), `${t} in ${types}`);
    assert.ok(res.body.recent_audit[0].seq > res.body.recent_audit.at(-1).seq, 'newest first');
    assert.equal((await api(`/user/${NO_SUCH_ID}/activity`)).status, 404);
    assert.equal((await api('/user/not-a-uuid/activity')).status, 400);
  });

  test('monitoring views: metrics, health, blacklist status, audit summary and pages', async () => {
    const metrics = await api('/metrics');
    assert.equal(metrics.status, 200);
    assert.deepEqual(Object.keys(metrics.body.alerts.by_severity).sort(), [
      'CRITICAL',
      'HIGH',
      'LOW',
      'MEDIUM',
    ]);
    assert.equal(typeof metrics.body.blocks.active, 'number');
    assert.ok(
      metrics.body.revocation_state.sessions >= 1,
      'the revocations above are in the replica',
    );
    assert.equal(metrics.body.replica.stale, false);

    const health = await api('/health');
    assert.equal(health.status, 200);
    assert.equal(health.body.checks.store, 'ok');
    assert.ok(['healthy', 'degraded'].includes(health.body.status));

    const status = await api('/blacklist/status');
    assert.equal(status.body.backend, 'sqlite');
    assert.equal(status.body.status, 'healthy');
    assert.equal(status.body.replica.fail_mode, 'closed');
    assert.equal(typeof status.body.replica.staleness_ms, 'number');
    assert.equal(typeof status.body.replica.entries.api_tokens, 'number');

    const summary = await api('/audit/summary');
    assert.equal(summary.status, 200);
    assert.equal(summary.body.chain.ok, true);
    assert.equal(summary.body.chain.entries, summary.body.all_time.total);
    // An intact chain: the head is the last entry, and it is the verified one.
    assert.equal(summary.body.chain.head_seq, summary.body.chain.entries);
    assert.deepEqual(
      [summary.body.chain.verified_seq, summary.body.chain.verified_hash],
      [summary.body.chain.head_seq, summary.body.chain.head_hash],
    );
    assert.ok(summary.body.last_24h.by_type['user.logged_in'] >= 1);
    assert.equal(
      summary.body.last_24h.total,
      summary.body.all_time.total,
      'everything here happened today',
    );

    const page = await api('/audit?limit=3');
    assert.deepEqual(
      page.body.entries.map((e: { seq: number }) => e.seq),
      [1, 2, 3],
    );
    assert.equal(page.body.next_after_seq, 3);
    const logins = await api('/audit?type=user.logged_in&limit=1000');
    assert.ok(
      logins.body.entries.length >= 3 &&
        logins.body.entries.every((e: { type: string }) => e.type === 'user.logged_in'),
    );
    for (const bad of ['?type=nope', '?limit=0', '?limit=1001', '?after_seq=x'])
      assert.equal((await api(`/audit${bad}`)).status, 400, bad);
    assert.deepEqual((await api('/audit/verify')).body, {
      ok: true,
      entries: summary.body.all_time.total,
    });
  });

  test('a canary API token never authenticates and blocks whoever uses it', async () => {
    const canary = await api('/canaries', { method: 'POST', json: { name: 'aws-prod-backup' } });
    assert.equal(canary.status, 201, canary.text);
    assert.match(canary.body.token, /^rvk_/);
    assert.equal(canary.body.canary, true);
    assert.equal(canary.body.name, 'aws-prod-backup');
    assert.equal(canary.headers.get('cache-control'), 'no-store');
    const unnamed = await api('/canaries', { method: 'POST' });
    assert.equal(unnamed.status, 201, unnamed.text);

    const used = await request(`${server.url}/api/v1/auth/me`, {
      bearer: canary.body.token,
      headers: xff('198.51.100.66'),
    });
    assert.equal(used.status, 401);
    await eventually('the canary user is blocked', 5000, async () =>
      (
        await request(`${server.url}/api/v1/auth/revocation-status`, {
          headers: xff('198.51.100.66'),
        })
      ).status === 403
        ? true
        : undefined,
    );
    const blocks = (await api('/blocks')).body.blocks;
    assert.ok(
      blocks.some(
        (b: { cidr: string; source: string }) =>
          b.cidr === '198.51.100.66/32' && b.source === 'canary',
      ),
    );
    const alert = await eventually('the canary alert', 5000, async () =>
      (await alerts('?severity=CRITICAL')).find((a) => a.type === 'canary_triggered'),
    );
    assert.equal(alert.ip, '198.51.100.66');
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: admin.access_token })).status,
      200,
      'the admin is untouched',
    );
  });

  test('a decoy account: any login attempt on it fails like any other and blocks the address', async () => {
    const decoy = await api('/decoys', {
      method: 'POST',
      json: { email: 'root-backup@example.com' },
    });
    assert.equal(decoy.status, 201, decoy.text);
    assert.equal(decoy.body.email, 'root-backup@example.com');
    assert.equal(decoy.body.decoy, true);
    assert.equal(
      (await api('/decoys', { method: 'POST', json: { email: 'root-backup@example.com' } })).status,
      409,
    );
    assert.equal(
      (await api('/decoys', { method: 'POST', json: { email: 'not an email' } })).status,
      400,
    );
    assert.equal((await api('/decoys', { method: 'POST', json: {} })).status, 400);

    const unknown = await request(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      json: { email: 'nobody-here@example.com', password: 'guess-guess-1' },
      headers: xff('198.51.100.76'),
    });
    const attempt = await request(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      json: { email: 'root-backup@example.com', password: 'guess-guess-1' },
      headers: xff('198.51.100.77'),
    });
    assert.equal(attempt.status, 401);
    assert.equal(attempt.text, unknown.text, 'indistinguishable from any failed login');
    await eventually('the decoy user is blocked', 5000, async () =>
      (
        await request(`${server.url}/api/v1/auth/revocation-status`, {
          headers: xff('198.51.100.77'),
        })
      ).status === 403
        ? true
        : undefined,
    );
    assert.ok(
      (await api('/blocks')).body.blocks.some(
        (b: { cidr: string; source: string }) =>
          b.cidr === '198.51.100.77/32' && b.source === 'decoy',
      ),
    );
    assert.equal(
      (
        await request(`${server.url}/api/v1/auth/revocation-status`, {
          headers: xff('198.51.100.76'),
        })
      ).status,
      200,
      'an ordinary failed login blocks nothing',
    );

    const marked = (await api('/audit?type=user.marked_decoy')).body.entries;
    assert.deepEqual(
      marked.map((e: { target_id: string }) => e.target_id),
      [decoy.body.id],
    );
    assert.equal((await api(`/user/${decoy.body.id}/activity`)).body.user.decoy, true);
  });
});
