/**
 * Blocking an address (SPEC §5.4): every session created or refreshed from a matching address dies
 * with the block, the address gets 403 on every route (login included), unblocking lets it back in
 * without reviving anything, and blocks may expire by themselves. X-Forwarded-For counts only from a
 * trusted proxy: without REVOKD_TRUSTED_PROXIES a forged header can neither block nor escape a block.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createClientViaAdmin,
  createUserViaAdmin,
  introspect,
  login,
  request,
} from '../support/http-client.js';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  ServerProcess,
  runCli,
  sleep,
} from '../support/server-process.js';

const xff = (ip: string): Record<string, string> => ({ 'x-forwarded-for': ip });

/** Polls until `check` holds, failing after `ms`. */
async function eventually(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await sleep(100);
  }
}

describe('IP blocks behind a trusted proxy', () => {
  let server: ServerProcess;
  let admin: { access_token: string };
  before(async () => {
    server = await ServerProcess.start({ env: { REVOKD_TRUSTED_PROXIES: '127.0.0.1' } });
    // The admin comes from plain 127.0.0.1 (the proxy itself), outside every range blocked below.
    admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  });
  after(async () => {
    await server?.stop();
  });

  test('a block revokes the sessions from the range, refuses the range everywhere, and unblocking revives nothing', async () => {
    const base = server.url;
    await createUserViaAdmin(base, admin.access_token, 'roaming@example.com', 'user-password-1');
    const hit1 = await login(base, 'roaming@example.com', 'user-password-1', xff('203.0.113.7'));
    const hit2 = await login(base, 'roaming@example.com', 'user-password-1', xff('203.0.113.7'));
    const spared = await login(base, 'roaming@example.com', 'user-password-1', xff('198.51.100.9'));
    const rs = await createClientViaAdmin(base, admin.access_token, 'resource-server');
    assert.equal((await introspect(base, rs, hit1.access_token)).body.active, true);

    const created = await request(`${base}/api/v1/security/blocks`, {
      method: 'POST',
      bearer: admin.access_token,
      json: { cidr: '203.0.113.0/24', reason: 'credential stuffing from this range' },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.revoked_sessions, 2);
    assert.equal(created.body.cidr, '203.0.113.0/24');
    assert.equal(created.body.source, 'manual');
    assert.equal(created.body.expires_at, null);
    assert.match(created.body.id, /^[0-9a-f-]{36}$/);

    // Dead everywhere: introspection answers exactly {"active":false} for their access and refresh tokens.
    for (const token of [
      hit1.access_token,
      hit2.access_token,
      hit1.refresh_token,
      hit2.refresh_token,
    ]) {
      const res = await introspect(base, rs, token);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { active: false });
    }
    // The range gets 403 before any route: a bearer route, login, an unauthenticated status page.
    for (const [path, init] of [
      ['/api/v1/auth/me', { bearer: spared.access_token }],
      [
        '/api/v1/auth/login',
        { method: 'POST', json: { email: 'roaming@example.com', password: 'user-password-1' } },
      ],
      ['/api/v1/auth/revocation-status', {}],
    ] as const) {
      const res = await request(`${base}${path}`, { ...init, headers: xff('203.0.113.200') });
      assert.equal(res.status, 403, `${path}: ${res.text}`);
      assert.equal(res.body.code, 'ERR_IP_BLOCKED');
    }
    // The session from elsewhere is untouched.
    assert.equal(
      (
        await request(`${base}/api/v1/auth/me`, {
          bearer: spared.access_token,
          headers: xff('198.51.100.9'),
        })
      ).status,
      200,
    );
    assert.equal((await introspect(base, rs, spared.access_token)).body.active, true);

    const listed = await request(`${base}/api/v1/security/blocks`, { bearer: admin.access_token });
    assert.ok(
      listed.body.blocks.some(
        (b: { id: string; active: boolean }) => b.id === created.body.id && b.active,
      ),
    );
    // The list says what the block revoked: the two sessions from the range and their refresh tokens.
    const shown = listed.body.blocks.find((b: { id: string }) => b.id === created.body.id);
    assert.deepEqual(shown.revoked, { sessions: 2, refresh_tokens: 2, api_tokens: 0 });

    // Unblock: the address may log in again; what the block revoked stays revoked.
    assert.equal(
      (
        await request(`${base}/api/v1/security/blocks/not-a-uuid`, {
          method: 'DELETE',
          bearer: admin.access_token,
        })
      ).status,
      400,
    );
    assert.equal(
      (
        await request(`${base}/api/v1/security/blocks/00000000-0000-4000-8000-000000000000`, {
          method: 'DELETE',
          bearer: admin.access_token,
        })
      ).status,
      404,
    );
    const lifted = await request(`${base}/api/v1/security/blocks/${created.body.id}`, {
      method: 'DELETE',
      bearer: admin.access_token,
    });
    assert.equal(lifted.status, 200, lifted.text);
    assert.equal(lifted.body.id, created.body.id);
    assert.equal(lifted.body.cidr, '203.0.113.0/24');
    assert.ok(!Number.isNaN(Date.parse(lifted.body.lifted_at)));
    assert.equal(
      (
        await request(`${base}/api/v1/security/blocks/${created.body.id}`, {
          method: 'DELETE',
          bearer: admin.access_token,
        })
      ).status,
      404,
      'already lifted',
    );

    const again = await login(base, 'roaming@example.com', 'user-password-1', xff('203.0.113.7'));
    assert.equal(
      (
        await request(`${base}/api/v1/auth/me`, {
          bearer: again.access_token,
          headers: xff('203.0.113.7'),
        })
      ).status,
      200,
    );
    assert.equal(
      (
        await request(`${base}/api/v1/auth/me`, {
          bearer: hit1.access_token,
          headers: xff('203.0.113.7'),
        })
      ).status,
      401,
    );
    assert.equal(
      (
        await request(`${base}/api/v1/auth/refresh`, {
          method: 'POST',
          json: { refresh_token: hit2.refresh_token },
          headers: xff('203.0.113.7'),
        })
      ).status,
      401,
    );
    assert.deepEqual((await introspect(base, rs, hit2.access_token)).body, { active: false });

    const active = await request(`${base}/api/v1/security/blocks`, { bearer: admin.access_token });
    assert.ok(
      !active.body.blocks.some((b: { id: string }) => b.id === created.body.id),
      'a lifted block is not active',
    );
    const all = await request(`${base}/api/v1/security/blocks?all=true`, {
      bearer: admin.access_token,
    });
    const history = all.body.blocks.find((b: { id: string }) => b.id === created.body.id);
    assert.equal(history.active, false);
    assert.ok(history.lifted_at !== null);
    assert.deepEqual(
      history.revoked,
      { sessions: 2, refresh_tokens: 2, api_tokens: 0 },
      'still known once lifted',
    );
  });

  test('a block with duration_seconds lifts itself', async () => {
    const base = server.url;
    const created = await request(`${base}/api/v1/security/blocks`, {
      method: 'POST',
      bearer: admin.access_token,
      json: { ip: '192.0.2.55', reason: 'cool-off', duration_seconds: 1 },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.cidr, '192.0.2.55/32');
    assert.equal(Date.parse(created.body.expires_at) - Date.parse(created.body.created_at), 1000);
    assert.equal(
      (await request(`${base}/api/v1/auth/revocation-status`, { headers: xff('192.0.2.55') }))
        .status,
      403,
    );
    await eventually(
      'the block expires',
      5000,
      async () =>
        (await request(`${base}/api/v1/auth/revocation-status`, { headers: xff('192.0.2.55') }))
          .status === 200,
    );
    const listed = await request(`${base}/api/v1/security/blocks`, { bearer: admin.access_token });
    assert.ok(
      !listed.body.blocks.some((b: { id: string }) => b.id === created.body.id),
      'an expired block is not listed as active',
    );
  });

  test('bad block requests are 400', async () => {
    const post = (json: unknown) =>
      request(`${server.url}/api/v1/security/blocks`, {
        method: 'POST',
        bearer: admin.access_token,
        json,
      });
    for (const body of [
      { cidr: 'not-an-address', reason: 'x' },
      { cidr: '203.0.113.0/24' },
      { cidr: '203.0.113.0/24', reason: '' },
      { ip: '192.0.2.1', cidr: '192.0.2.0/24', reason: 'both' },
      { reason: 'neither' },
      { ip: '192.0.2.1', reason: 'x', duration_seconds: 0 },
      { ip: '192.0.2.1', reason: 'x', duration_seconds: '60' },
      [],
    ]) {
      const res = await post(body);
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
    }
  });
});

describe('IP blocks without a trusted proxy: X-Forwarded-For is ignored', () => {
  let server: ServerProcess;
  let admin: { access_token: string };
  let cliEnv: NodeJS.ProcessEnv;
  before(async () => {
    server = await ServerProcess.start();
    admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    cliEnv = { PATH: process.env.PATH, HOME: process.env.HOME, REVOKD_DATA_DIR: server.dataDir };
  });
  after(async () => {
    await server?.stop();
  });

  test('a forged header neither gets a caller blocked nor gets a blocked caller through', async () => {
    const base = server.url;
    const block = await request(`${base}/api/v1/security/blocks`, {
      method: 'POST',
      bearer: admin.access_token,
      json: { cidr: '203.0.113.0/24', reason: 'range seen in an attack' },
    });
    assert.equal(block.status, 201, block.text);
    assert.equal(
      block.body.revoked_sessions,
      0,
      "no session came from there: the admin's is from 127.0.0.1",
    );

    // From 127.0.0.1 claiming to be 203.0.113.7: not blocked, and recorded as 127.0.0.1.
    const spoofed = await login(base, ADMIN_EMAIL, ADMIN_PASSWORD, xff('203.0.113.7'));
    assert.equal(
      (
        await request(`${base}/api/v1/auth/me`, {
          bearer: spoofed.access_token,
          headers: xff('203.0.113.7'),
        })
      ).status,
      200,
    );
    const sessions = await request(`${base}/api/v1/sessions`, { bearer: spoofed.access_token });
    assert.equal(
      sessions.body.find((s: { id: string }) => s.id === spoofed.session_id).ip,
      '127.0.0.1',
    );

    // The operator blocks 127.0.0.1 from the CLI; the running server enforces it within about a second.
    const cli = await runCli(
      ['block', '127.0.0.1/32', '--reason', 'lock the box down', '--json'],
      cliEnv,
    );
    assert.equal(cli.code, 0, cli.stderr);
    const local = JSON.parse(cli.stdout);
    assert.equal(local.cidr, '127.0.0.1/32');
    assert.ok(
      local.revoked_sessions >= 2,
      `the admin's two sessions from 127.0.0.1: ${cli.stdout}`,
    );
    await eventually(
      'the server enforces the CLI block',
      5000,
      async () => (await request(`${base}/api/v1/auth/revocation-status`)).status === 403,
    );
    // Claiming another address does not get through.
    const escape = await request(`${base}/api/v1/auth/revocation-status`, {
      headers: xff('198.51.100.1'),
    });
    assert.equal(escape.status, 403);
    assert.equal(escape.body.code, 'ERR_IP_BLOCKED');
    const escapeLogin = await request(`${base}/api/v1/auth/login`, {
      method: 'POST',
      json: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
      headers: xff('198.51.100.1'),
    });
    assert.equal(escapeLogin.status, 403);

    const unblock = await runCli(['unblock', local.id, '--json'], cliEnv);
    assert.equal(unblock.code, 0, unblock.stderr);
    assert.deepEqual(Object.keys(JSON.parse(unblock.stdout)).sort(), ['cidr', 'id', 'lifted_at']);
    await eventually(
      'the server lifts the CLI block',
      5000,
      async () => (await request(`${base}/api/v1/auth/revocation-status`)).status === 200,
    );
    assert.equal(
      (await request(`${base}/api/v1/auth/me`, { bearer: admin.access_token })).status,
      401,
      "the block revoked the admin's session for good",
    );
    const unknown = await runCli(['unblock', local.id, '--json'], cliEnv);
    assert.equal(unknown.code, 2);
    assert.equal(JSON.parse(unknown.stderr).error, 'ERR_NOT_FOUND');
  });
});
