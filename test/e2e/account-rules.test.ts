/**
 * Account rules (issue 9 item 9) against real server processes and the real CLI: nobody disables
 * their own account or the last active admin (409, one rule for the admin API and the CLI); the
 * first-admin bootstrap counts only active admins; password length is counted in characters
 * (Unicode code points) as its message says, so 4 emoji are 4 characters, not 8.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { login, request } from '../support/http-client.js';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  ServerProcess,
  runCli,
  tempDir,
} from '../support/server-process.js';

const FOUR_EMOJI = '🔑🔒🚀🚪'; // 4 code points, 8 UTF-16 units
const EIGHT_EMOJI = FOUR_EMOJI + FOUR_EMOJI;

describe('disabling accounts', () => {
  let server: ServerProcess;
  before(async () => {
    server = await ServerProcess.start();
  });
  after(async () => {
    await server?.stop();
  });

  test('disabling yourself is a 409 with a clear message and changes nothing', async () => {
    const admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const me = await request(`${server.url}/api/v1/auth/me`, { bearer: admin.access_token });
    assert.equal(me.status, 200, me.text);
    const res = await request(`${server.url}/api/v1/admin/users/${me.body.id}/disable`, {
      method: 'POST',
      bearer: admin.access_token,
    });
    assert.equal(res.status, 409, res.text);
    assert.equal(res.body.code, 'ERR_CONFLICT');
    assert.equal(res.body.error_description, 'you cannot disable your own account');
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: admin.access_token })).status,
      200,
      'still signed in',
    );
  });

  test('the last active admin cannot be disabled (CLI), another admin can; then the remaining one is the last', async () => {
    const refused = await server.cli(['user', 'disable', ADMIN_EMAIL]);
    assert.equal(refused.code, 2, refused.stdout);
    assert.equal(
      refused.stderr.trim(),
      'revokd: cannot disable the last active admin; make another user an admin first',
    );
    await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD); // still active

    const admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const second = await request(`${server.url}/api/v1/admin/users`, {
      method: 'POST',
      bearer: admin.access_token,
      json: { email: 'second-admin@example.com', password: 'quartz-heron-keeps-77', role: 'admin' },
    });
    assert.equal(second.status, 201, second.text);
    const secondAdmin = await login(
      server.url,
      'second-admin@example.com',
      'quartz-heron-keeps-77',
    );

    // The second admin disables the first through the admin API: allowed, two were active.
    const listed = await request(
      `${server.url}/api/v1/admin/users?search=${encodeURIComponent(ADMIN_EMAIL)}`,
      { bearer: secondAdmin.access_token },
    );
    const firstId = (listed.body.users as Array<{ id: string }>)[0]!.id;
    const ok = await request(`${server.url}/api/v1/admin/users/${firstId}/disable`, {
      method: 'POST',
      bearer: secondAdmin.access_token,
    });
    assert.equal(ok.status, 200, ok.text);

    const last = await server.cli(['user', 'disable', 'second-admin@example.com', '--json']);
    assert.equal(last.code, 2);
    assert.deepEqual(JSON.parse(last.stderr), {
      error: 'ERR_CONFLICT',
      message: 'cannot disable the last active admin; make another user an admin first',
    });
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: secondAdmin.access_token })).status,
      200,
      'the last admin keeps working',
    );
  });
});

test('the first-admin bootstrap counts only active admins: a data dir whose only admin is disabled gets a new one', async () => {
  const dataDir = tempDir('bootstrap');
  try {
    const first = await ServerProcess.start({ dataDir });
    await first.stop();
    // A data dir from before the last-admin rule: its only admin was disabled.
    const db = new Database(path.join(dataDir, 'revokd.db'));
    db.prepare(`UPDATE users SET disabled_at = ? WHERE role = 'admin'`).run(Date.now());
    db.close();

    const second = await ServerProcess.start({
      dataDir,
      env: {
        REVOKD_ADMIN_EMAIL: 'new-admin@example.com',
        REVOKD_ADMIN_PASSWORD: 'new-admin-password',
      },
    });
    try {
      const admin = await login(second.url, 'new-admin@example.com', 'new-admin-password');
      const users = await request(`${second.url}/api/v1/admin/users`, {
        bearer: admin.access_token,
      });
      assert.equal(users.status, 200, 'the new admin is an admin');
      assert.equal(
        (
          await request(`${second.url}/api/v1/auth/login`, {
            method: 'POST',
            json: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
          })
        ).status,
        401,
        'the disabled one stays disabled',
      );
    } finally {
      await second.stop();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

describe('password length in characters (code points)', () => {
  let server: ServerProcess;
  let adminToken: string;
  before(async () => {
    server = await ServerProcess.start();
    adminToken = (await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
  });
  after(async () => {
    await server?.stop();
  });

  test('4 emoji are 4 characters (refused, and no user is created); 8 emoji are 8 (accepted, and sign in)', async () => {
    assert.equal([...FOUR_EMOJI].length, 4);
    assert.equal(FOUR_EMOJI.length, 8, 'the same string is 8 UTF-16 units');
    const short = await request(`${server.url}/api/v1/admin/users`, {
      method: 'POST',
      bearer: adminToken,
      json: { email: 'emoji4@example.com', password: FOUR_EMOJI },
    });
    assert.equal(short.status, 400, short.text);
    assert.equal(short.body.error_description, 'password must be at least 8 characters');
    const search = await request(`${server.url}/api/v1/admin/users?search=emoji4`, {
      bearer: adminToken,
    });
    assert.deepEqual(search.body.users, []);

    const ok = await request(`${server.url}/api/v1/admin/users`, {
      method: 'POST',
      bearer: adminToken,
      json: { email: 'emoji8@example.com', password: EIGHT_EMOJI },
    });
    assert.equal(ok.status, 201, ok.text);
    await login(server.url, 'emoji8@example.com', EIGHT_EMOJI);
  });

  test('the byte cap is stated in bytes', async () => {
    const res = await request(`${server.url}/api/v1/admin/users`, {
      method: 'POST',
      bearer: adminToken,
      json: { email: 'huge@example.com', password: '🔑'.repeat(300) },
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error_description, 'password must be at most 1024 bytes (UTF-8)');
  });

  test('REVOKD_ADMIN_PASSWORD is counted the same way: 4 emoji refused at start, 8 accepted', async () => {
    const dataDir = tempDir('pwlen');
    try {
      const env = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        REVOKD_DATA_DIR: dataDir,
        REVOKD_LOG_LEVEL: 'warn',
        REVOKD_ADMIN_EMAIL: 'boot@example.com',
      };
      const refused = await runCli(['migrate'], { ...env, REVOKD_ADMIN_PASSWORD: FOUR_EMOJI });
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /REVOKD_ADMIN_PASSWORD must be at least 8 characters/);
      const accepted = await runCli(['migrate'], { ...env, REVOKD_ADMIN_PASSWORD: EIGHT_EMOJI });
      assert.equal(accepted.code, 0, accepted.stderr);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
