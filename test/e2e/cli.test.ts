/** The CLI as an operator uses it: every command has --help and --json, and acts on the same data as the server. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { introspect, login, request } from '../support/http-client.js';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  ServerProcess,
  runCli,
  sleep,
} from '../support/server-process.js';

describe('revokd CLI', () => {
  let server: ServerProcess;
  let env: NodeJS.ProcessEnv;
  const cli = (args: string[], input?: string) => runCli(args, env, input);

  before(async () => {
    server = await ServerProcess.start();
    env = { PATH: process.env.PATH, HOME: process.env.HOME, REVOKD_DATA_DIR: server.dataDir };
  });
  after(async () => {
    await server?.stop();
  });

  async function waitFor401(token: string): Promise<void> {
    for (let i = 0; i < 50; i++) {
      if ((await request(`${server.url}/api/v1/auth/me`, { bearer: token })).status === 401) return;
      await sleep(100);
    }
    assert.fail('the running server never saw the CLI revocation');
  }

  test('every command answers --help with exit 0', async () => {
    for (const args of [
      [],
      ['serve'],
      ['migrate'],
      ['user', 'create'],
      ['client', 'create'],
      ['revoke'],
      ['keys', 'rotate'],
      ['keys', 'list'],
      ['keys', 'revoke'],
    ]) {
      const out = await cli([...args, '--help']);
      assert.equal(out.code, 0, `${args.join(' ')} --help: ${out.stderr}`);
      assert.match(out.stdout, /Usage: revokd/);
    }
  });

  test('migrate --json says what the text says: the backend, the schema version, nothing applied on a current schema', async () => {
    const out = await cli(['migrate', '--json']);
    assert.equal(out.code, 0, out.stderr);
    const report = JSON.parse(out.stdout);
    assert.equal(report.backend, 'sqlite');
    assert.deepEqual(report.applied, [], 'the server migrated this data directory already');
    const text = await cli(['migrate']);
    assert.equal(text.stdout, `schema is up to date (sqlite, version ${report.schema_version})\n`);
  });

  test('user create (password on stdin) → the user can log in; a duplicate is refused with exit 2', async () => {
    const out = await cli(
      ['user', 'create', '--email', 'cli-user@example.com', '--json'],
      'cli-password-1\n',
    );
    assert.equal(out.code, 0, out.stderr);
    const created = JSON.parse(out.stdout);
    assert.equal(created.email, 'cli-user@example.com');
    assert.equal(created.role, 'user');
    await login(server.url, 'cli-user@example.com', 'cli-password-1');
    const dup = await cli([
      'user',
      'create',
      '--email',
      'cli-user@example.com',
      '--password',
      'whatever-1',
      '--json',
    ]);
    assert.equal(dup.code, 2);
    assert.equal(JSON.parse(dup.stderr).error, 'ERR_CONFLICT');
    assert.ok(
      !out.stdout.includes('cli-password-1') && !dup.stderr.includes('whatever-1'),
      'passwords are never echoed',
    );
  });

  test('client create --json returns a secret that introspects; revoke user by email from the CLI reaches the server', async () => {
    // Explicit scopes must include introspect for the client to introspect (issue 17 item 4).
    const made = await cli([
      'client',
      'create',
      '--name',
      'rs',
      '--scope',
      'read',
      'write',
      'introspect',
      '--json',
    ]);
    assert.equal(made.code, 0, made.stderr);
    const client = JSON.parse(made.stdout);
    assert.match(client.client_secret, /^cs_/);
    assert.deepEqual(client.scopes, ['read', 'write', 'introspect']);
    const session = await login(server.url, 'cli-user@example.com', 'cli-password-1');
    assert.equal((await introspect(server.url, client, session.access_token)).body.active, true);
    const out = await cli([
      'revoke',
      'user',
      'cli-user@example.com',
      '--reason',
      'compromised',
      '--json',
    ]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(JSON.parse(out.stdout).sessions, 2, 'this login and the one in the previous test');
    await waitFor401(session.access_token);
    assert.equal(
      (await introspect(server.url, client, session.access_token)).text,
      '{"active":false}',
    );
  });

  test('an id that starts with "-" (base64url jtis and kids can) is read as the value, and a mistyped option still fails', async () => {
    const dashed = await cli([
      'revoke',
      'jti',
      '-dashed-jti-0123456789',
      '--reason',
      'compromised',
      '--json',
    ]);
    assert.equal(dashed.code, 0, dashed.stderr);
    assert.equal(JSON.parse(dashed.stdout).changed, true);
    const typo = await cli(['revoke', 'jti', 'some-jti', '--reasn', 'compromised']);
    assert.notEqual(typo.code, 0);
    assert.match(typo.stderr, /too many arguments/);
    const unknownKid = await cli([
      'keys',
      'revoke',
      '-NoSuchKid0123456789abcdefghijklmnopqrstu',
      '--json',
    ]);
    assert.notEqual(unknownKid.code, 0, 'an unknown kid is refused, not taken for an option');
    assert.doesNotMatch(unknownKid.stderr, /unknown option/);
  });

  test('revoke jti / session / client / window / all', async () => {
    const user = ['--email', `cli-${Date.now()}@example.com`];
    assert.equal((await cli(['user', 'create', ...user, '--password', 'cli-password-2'])).code, 0);
    const email = user[1]!;
    const claims = (t: string) => JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString());

    const a = await login(server.url, email, 'cli-password-2');
    assert.equal((await cli(['revoke', 'jti', claims(a.access_token).jti, '--json'])).code, 0);
    await waitFor401(a.access_token);

    const b = await login(server.url, email, 'cli-password-2');
    const s = await cli(['revoke', 'session', b.session_id, '--reason', 'logout', '--json']);
    assert.equal(JSON.parse(s.stdout).sessions, 1);
    await waitFor401(b.access_token);
    const again = await cli(['revoke', 'session', b.session_id, '--json']);
    assert.equal(JSON.parse(again.stdout).changed, false, 'revoking twice reports no change');

    const c = await login(server.url, email, 'cli-password-2');
    const iat = claims(c.access_token).iat;
    assert.equal((await cli(['revoke', 'window', `${iat}-${iat + 1}`, '--json'])).code, 0);
    await waitFor401(c.access_token);

    const d = await login(server.url, email, 'cli-password-2');
    assert.equal((await cli(['revoke', 'client', 'revokd', '--json'])).code, 0);
    await waitFor401(d.access_token);

    // Windows and client cutoffs are in the past now; a fresh login (after the window) works.
    await sleep(1100);
    const e = await login(server.url, email, 'cli-password-2');
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: e.access_token })).status,
      200,
    );
    const all = await cli(['revoke', 'all', '--reason', 'compromised', '--json']);
    assert.equal(all.code, 0, all.stderr);
    await waitFor401(e.access_token);
    const admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: admin.access_token })).status,
      200,
      'logins after a global revocation work',
    );
  });

  test('bad input: unknown scope, bad CIDR, unknown user, bad reason → exit 2 with a clear message', async () => {
    const scope = await cli(['revoke', 'planet', 'x']);
    assert.notEqual(scope.code, 0);
    assert.match(scope.stderr, /planet/);
    const cidr = await cli(['revoke', 'ip', '300.1.1.1/8', '--json']);
    assert.equal(cidr.code, 2);
    assert.match(JSON.parse(cidr.stderr).message, /not an IP address/);
    const user = await cli(['revoke', 'user', 'nobody@example.com', '--json']);
    assert.equal(JSON.parse(user.stderr).error, 'ERR_NOT_FOUND');
    const reason = await cli(['revoke', 'all', '--reason', 'because']);
    assert.notEqual(reason.code, 0);
  });

  test('keys list / rotate / revoke', async () => {
    const list = JSON.parse((await cli(['keys', 'list', '--json'])).stdout) as Array<{
      kid: string;
      status: string;
      published: boolean;
    }>;
    const active = list.find((k) => k.status === 'active')!;
    assert.ok(active.published);
    const session = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const rotated = JSON.parse((await cli(['keys', 'rotate', '--json'])).stdout);
    assert.notEqual(rotated.kid, active.kid);
    const after = JSON.parse((await cli(['keys', 'list', '--json'])).stdout) as Array<{
      kid: string;
      status: string;
      published: boolean;
    }>;
    assert.equal(after.find((k) => k.kid === active.kid)?.status, 'retired');
    assert.equal(
      after.find((k) => k.kid === active.kid)?.published,
      true,
      'a retired key verifies until its tokens expire',
    );
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: session.access_token })).status,
      200,
      'rotation does not revoke',
    );
    const revoked = await cli(['keys', 'revoke', active.kid, '--json']);
    assert.equal(revoked.code, 0, revoked.stderr);
    await waitFor401(session.access_token);
  });
});
