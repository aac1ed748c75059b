/**
 * A revocation that was acknowledged survives SIGKILL: for each way of revoking, the token is
 * rejected, the process is killed without warning, restarted on the same data, and the token is
 * still rejected on bearer routes and inactive on introspection.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freshCheckout } from '../support/fresh-checkout.js';
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

async function assertRejected(
  base: string,
  client: { client_id: string; client_secret: string },
  accessToken: string,
  label: string,
): Promise<void> {
  const me = await request(`${base}/api/v1/auth/me`, { bearer: accessToken });
  assert.equal(me.status, 401, `${label}: /me should be 401, got ${me.status} ${me.text}`);
  assert.match(
    me.headers.get('www-authenticate') ?? '',
    /^Bearer .*error="invalid_token"/,
    `${label}: WWW-Authenticate`,
  );
  const intro = await introspect(base, client, accessToken);
  assert.equal(intro.status, 200);
  assert.equal(intro.text, '{"active":false}', `${label}: introspection`);
}

async function assertAccepted(base: string, accessToken: string, label: string): Promise<void> {
  const me = await request(`${base}/api/v1/auth/me`, { bearer: accessToken });
  assert.equal(me.status, 200, `${label}: /me should be 200, got ${me.status} ${me.text}`);
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

describe('as a new user starts it: npm start in a fresh checkout with only the admin variables', () => {
  let server: ServerProcess;
  before(async () => {
    assert.ok(
      await portIsFree(8080),
      'this test runs `npm start` on its default port 8080, which must be free',
    );
    const checkout = freshCheckout();
    server = await ServerProcess.start({
      command: ['npm', 'start', '--silent'],
      cwd: checkout,
      port: 8080,
      dataDir: path.join(checkout, 'data'),
      bareEnv: true,
      env: { REVOKD_ADMIN_EMAIL: ADMIN_EMAIL, REVOKD_ADMIN_PASSWORD: ADMIN_PASSWORD },
    });
  });
  after(async () => {
    await server?.stop();
  });

  test('login → /me 200 → /revoke → /me 401; SIGKILL and restart: still 401 and inactive', async () => {
    const base = server.url;
    const admin = await login(base, ADMIN_EMAIL, ADMIN_PASSWORD);
    const client = await createClientViaAdmin(base, admin.access_token, 'introspector');
    const session = await login(base, ADMIN_EMAIL, ADMIN_PASSWORD);
    await assertAccepted(base, session.access_token, 'before revoke');
    const revoked = await request(`${base}/api/v1/auth/revoke`, {
      method: 'POST',
      bearer: session.access_token,
    });
    assert.equal(revoked.status, 200);
    assert.equal(revoked.body.message, 'Token revoked successfully');
    await assertRejected(base, client, session.access_token, 'after revoke');
    await server.restart();
    await assertRejected(base, client, session.access_token, 'after SIGKILL + restart');
    // The data directory is where the README says it is.
    assert.equal(path.basename(server.dataDir), 'data');
  });
});

describe('every way of revoking survives SIGKILL right after the acknowledgement', () => {
  let server: ServerProcess;
  let admin: { access_token: string };
  let client: { client_id: string; client_secret: string };
  const password = 'user-password-1';

  before(async () => {
    server = await ServerProcess.start({ env: { REVOKD_TRUSTED_PROXIES: '127.0.0.1' } });
    admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    client = await createClientViaAdmin(server.url, admin.access_token, 'introspector');
  });
  after(async () => {
    await server?.stop();
  });

  async function newUser(tag: string) {
    const email = `${tag}-${Date.now()}@example.com`;
    await createUserViaAdmin(server.url, admin.access_token, email, password);
    return email;
  }

  async function crashAndCheck(
    tokens: string[],
    survivors: string[],
    label: string,
  ): Promise<void> {
    for (const t of tokens) await assertRejected(server.url, client, t, `${label} (live)`);
    for (const t of survivors) await assertAccepted(server.url, t, `${label} survivor (live)`);
    await server.restart();
    for (const t of tokens) await assertRejected(server.url, client, t, `${label} (after SIGKILL)`);
    for (const t of survivors)
      await assertAccepted(server.url, t, `${label} survivor (after SIGKILL)`);
  }

  test("logout: the session's tokens die, and its refresh token too", async () => {
    const email = await newUser('logout');
    const a = await login(server.url, email, password);
    const b = await login(server.url, email, password);
    assert.equal(
      (
        await request(`${server.url}/api/v1/auth/logout`, {
          method: 'POST',
          bearer: a.access_token,
        })
      ).status,
      204,
    );
    await crashAndCheck([a.access_token], [b.access_token], 'logout');
    const refresh = await request(`${server.url}/api/v1/auth/refresh`, {
      method: 'POST',
      json: { refresh_token: a.refresh_token },
    });
    assert.equal(refresh.status, 401);
    assert.equal(refresh.body.error, 'invalid_grant');
  });

  test('logout-all: every session of the user dies; other users are untouched', async () => {
    const email = await newUser('logoutall');
    const other = await newUser('bystander');
    const a = await login(server.url, email, password);
    const b = await login(server.url, email, password);
    const c = await login(server.url, other, password);
    assert.equal(
      (
        await request(`${server.url}/api/v1/auth/logout-all`, {
          method: 'POST',
          bearer: a.access_token,
        })
      ).status,
      204,
    );
    await crashAndCheck([a.access_token, b.access_token], [c.access_token], 'logout-all');
    const refresh = await request(`${server.url}/api/v1/auth/refresh`, {
      method: 'POST',
      json: { refresh_token: b.refresh_token },
    });
    assert.equal(refresh.status, 401);
  });

  test('session revoke (DELETE /api/v1/sessions/:id) from another session', async () => {
    const email = await newUser('session');
    const a = await login(server.url, email, password);
    const b = await login(server.url, email, password);
    const list = await request(`${server.url}/api/v1/sessions`, { bearer: b.access_token });
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.map((s: { id: string }) => s.id).sort(),
      [a.session_id, b.session_id].sort(),
    );
    assert.equal(list.body.find((s: { id: string }) => s.id === b.session_id).current, true);
    assert.equal(
      (
        await request(`${server.url}/api/v1/sessions/${a.session_id}`, {
          method: 'DELETE',
          bearer: b.access_token,
        })
      ).status,
      204,
    );
    await crashAndCheck([a.access_token], [b.access_token], 'session revoke');
    const after = await request(`${server.url}/api/v1/sessions`, { bearer: b.access_token });
    assert.deepEqual(
      after.body.map((s: { id: string }) => s.id),
      [b.session_id],
    );
  });

  test('key revoke: tokens signed by the key die, the key leaves the JWKS, new logins work', async () => {
    const email = await newUser('key');
    const before = await login(server.url, email, password);
    const kid = JSON.parse(Buffer.from(before.access_token.split('.')[0]!, 'base64url').toString())
      .kid as string;
    const res = await request(`${server.url}/api/v1/admin/revocations`, {
      method: 'POST',
      bearer: admin.access_token,
      json: { scope: 'key', value: kid, reason: 'compromised' },
    });
    assert.equal(res.status, 200, res.text);
    admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD); // the admin's own token was signed by that key too
    const fresh = await login(server.url, email, password);
    await crashAndCheck([before.access_token], [fresh.access_token], 'key revoke');
    const jwks = await request(`${server.url}/.well-known/jwks.json`);
    assert.ok(
      !jwks.body.keys.some((k: { kid: string }) => k.kid === kid),
      'revoked key is not published',
    );
    assert.equal(jwks.body.keys.length >= 1, true);
  });

  test('IP revoke from the CLI reaches the running server and survives SIGKILL', async () => {
    const email = await newUser('ip');
    const fromBad = await login(server.url, email, password, { 'x-forwarded-for': '203.0.113.7' });
    const fromBad2 = await login(server.url, email, password, {
      'x-forwarded-for': '203.0.113.99',
    });
    const fromGood = await login(server.url, email, password, {
      'x-forwarded-for': '198.51.100.9',
    });
    const cli = await runCli(
      ['revoke', 'ip', '203.0.113.0/24', '--reason', 'compromised', '--json'],
      {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        REVOKD_DATA_DIR: server.dataDir,
      },
    );
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(JSON.parse(cli.stdout).sessions, 2);
    // Another process wrote it: the server learns of it through the change feed.
    for (let i = 0; i < 50; i++) {
      if (
        (await request(`${server.url}/api/v1/auth/me`, { bearer: fromBad.access_token })).status ===
        401
      )
        break;
      await sleep(100);
    }
    await crashAndCheck(
      [fromBad.access_token, fromBad2.access_token],
      [fromGood.access_token],
      'ip revoke',
    );
  });
});
