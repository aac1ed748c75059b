/**
 * scripts/cluster/start.sh as a user runs it: three instances behind HAProxy come up, requests
 * through HAProxy reach every instance and agree on a revocation, the secret and the CLI's env file
 * are private, and stop.sh stops every process it started and (--purge) removes the state. On the
 * machine's PostgreSQL, in a database of the test's own given as REVOKD_DATABASE_URL.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { haproxyInstalled, instanceName } from '../support/cluster.js';
import { login, request } from '../support/http-client.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { REPO_ROOT, freePort, tempDir } from '../support/server-process.js';
import { until } from '../support/until.js';

const run = promisify(execFile);
const ADMIN_PASSWORD = 'cluster-script-password-1';
const skip = haproxyInstalled() ? false : 'haproxy is not installed (.ci/run installs it)';

/** Is a process with this pid alive? */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('scripts/cluster/start.sh and stop.sh', { skip }, () => {
  const dir = path.join(tempDir('cluster-script'), 'cluster');
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let proxy: string;
  const script = (name: string, args: string[] = []) =>
    run('bash', [path.join(REPO_ROOT, 'scripts/cluster', name), ...args], {
      env,
      cwd: REPO_ROOT,
      timeout: 90_000,
    });

  before(async () => {
    const port = await freePort();
    proxy = `http://127.0.0.1:${port}`;
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      REVOKD_CLUSTER_DIR: dir,
      REVOKD_CLUSTER_PORT: String(port),
      REVOKD_ADMIN_PASSWORD: ADMIN_PASSWORD,
      REVOKD_REDIS_PREFIX: `revokd-test:cluster-script:${randomBytes(4).toString('hex')}:`,
    };
    database = await createTestDatabase('cluster_script');
    env.REVOKD_DATABASE_URL = database.url;
  });
  after(async () => {
    await script('stop.sh', ['--purge']).catch(() => undefined);
    await database?.drop();
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  test('start.sh brings up three instances behind HAProxy that agree; stop.sh stops all of it', async () => {
    const started = await script('start.sh');
    assert.match(started.stdout, new RegExp(`3 instances on .*HAProxy on ${proxy}`));
    assert.match(started.stdout, /stop\.sh/, 'it says how to stop it');
    assert.ok(
      !started.stdout.includes(fs.readFileSync(path.join(dir, 'secret'), 'utf8')),
      'the secret is never printed',
    );
    for (const file of ['secret', 'cluster.env']) {
      assert.equal(fs.statSync(path.join(dir, file)).mode & 0o777, 0o600, `${file} is private`);
    }

    const session = await login(proxy, 'admin@example.com', ADMIN_PASSWORD);
    const landed = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const me = await request(`${proxy}/api/v1/auth/me`, { bearer: session.access_token });
      assert.equal(me.status, 200, me.text);
      landed.add(me.headers.get('x-revokd-instance') ?? '');
    }
    assert.deepEqual([...landed].sort(), [0, 1, 2].map(instanceName));
    assert.equal(
      (
        await request(`${proxy}/api/v1/auth/revoke`, {
          method: 'POST',
          bearer: session.access_token,
        })
      ).status,
      200,
    );
    for (let i = 0; i < 3; i++) {
      await until('every instance refusing the revoked token through HAProxy', async () =>
        (await request(`${proxy}/api/v1/auth/me`, { bearer: session.access_token })).status === 401
          ? true
          : undefined,
      );
    }

    const pids = fs
      .readdirSync(path.join(dir, 'pids'))
      .map((f) => Number(fs.readFileSync(path.join(dir, 'pids', f), 'utf8')));
    assert.equal(pids.length, 4, 'three instances and HAProxy');
    assert.ok(pids.every(alive));
    await script('stop.sh');
    assert.deepEqual(pids.filter(alive), [], 'stop.sh left processes behind');
    await assert.rejects(fetch(`${proxy}/readyz`), 'HAProxy is gone');
    assert.ok(fs.existsSync(path.join(dir, 'secret')), 'stop.sh without --purge keeps the state');
    await script('stop.sh', ['--purge']);
    assert.equal(fs.existsSync(dir), false, '--purge removes the cluster directory');
  });
});
