/**
 * Must-show 1 of issue 12: a fresh data dir and a plain `npm start` (no REVOKD_ADMIN_* at all) —
 * the one printed line and `<data dir>/initial-admin.json` (0600) let you sign in; after the
 * password change the file is gone and the old password fails; the password is never logged.
 * Also: a restart does not make a second admin, REVOKD_ADMIN_* still skips all of it, and N
 * instances starting together on one PostgreSQL database make exactly one admin.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Cluster } from '../support/cluster.js';
import { login, request } from '../support/http-client.js';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  REPO_ROOT,
  ServerProcess,
  freePort,
  tempDir,
} from '../support/server-process.js';

const NEW_PASSWORD = 'Violet tractor hums under 9 quiet bridges';

interface LogLine {
  msg?: string;
  email?: string;
  file?: string;
}

function logLines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

/** The lines that tell the operator where the first admin's password is. */
function initialAdminLines(output: string): LogLine[] {
  return logLines(output).filter(
    (l) =>
      (l.msg ?? '').includes('initial-admin.json') || (l.msg ?? '').includes('generated password'),
  );
}

function readInitialAdmin(dataDir: string): { email: string; password: string } {
  return JSON.parse(fs.readFileSync(path.join(dataDir, 'initial-admin.json'), 'utf8')) as {
    email: string;
    password: string;
  };
}

/** `npm start` as an operator runs it: only PORT, HOST and the data dir set, nothing about admins. */
async function plainStart(dataDir: string): Promise<ServerProcess> {
  const port = await freePort();
  return ServerProcess.start({
    command: ['npm', 'start', '--silent'],
    cwd: REPO_ROOT,
    dataDir,
    port,
    bareEnv: true,
    env: { PORT: String(port), HOST: '127.0.0.1', REVOKD_DATA_DIR: dataDir },
  });
}

describe('first run: a generated admin, announced once, changed at first sign-in', () => {
  test('npm start on a fresh data dir → one line + initial-admin.json → sign in → change → file gone, old password refused', async () => {
    const dataDir = path.join(tempDir('first-run'), 'data');
    let server = await plainStart(dataDir);
    try {
      const file = path.join(dataDir, 'initial-admin.json');
      const lines = initialAdminLines(server.output);
      assert.equal(lines.length, 1, `exactly one line points at the file:\n${server.output}`);
      const line = lines[0]!;
      assert.ok(
        line.msg!.includes('admin@localhost') && line.msg!.includes(file),
        `the line names the email and the file: ${line.msg}`,
      );
      assert.equal(line.email, 'admin@localhost');
      assert.equal(line.file, file);

      assert.equal(fs.statSync(file).mode & 0o777, 0o600, 'only the service user can read it');
      const initial = readInitialAdmin(dataDir);
      assert.equal(initial.email, 'admin@localhost');
      assert.ok(initial.password.length >= 20, 'a long generated password');
      assert.ok(!server.output.includes(initial.password), 'the password is never logged');

      // It signs in, as an admin.
      const session = await login(server.url, initial.email, initial.password);
      const me = await request(`${server.url}/api/v1/auth/me`, { bearer: session.access_token });
      assert.equal(me.body.role, 'admin');

      // A restart is not a first run: no second admin, no new line, the same file.
      await server.stop();
      const outputs = [server.output];
      server = await plainStart(dataDir);
      assert.equal(initialAdminLines(server.output).length, 0, 'no line: the first run is over');
      assert.deepEqual(readInitialAdmin(dataDir), initial);
      const again = await login(server.url, initial.email, initial.password);
      // The API waits for the new password too (SPEC §5.2; test/e2e/password-change-required.test.ts).
      const early = await request(`${server.url}/api/v1/admin/users`, {
        bearer: again.access_token,
      });
      assert.equal(early.status, 403, early.text);
      assert.equal(early.body.code, 'ERR_PASSWORD_CHANGE_REQUIRED');

      // A common password is refused with a reason, and the file stays (the generated one still works).
      const weak = await request(`${server.url}/api/v1/auth/password`, {
        method: 'POST',
        bearer: again.access_token,
        json: { current_password: initial.password, new_password: 'password123' },
      });
      assert.equal(weak.status, 400, weak.text);
      assert.equal(weak.body.code, 'ERR_WEAK_PASSWORD');
      assert.ok(fs.existsSync(file));

      const changed = await request(`${server.url}/api/v1/auth/password`, {
        method: 'POST',
        bearer: again.access_token,
        json: { current_password: initial.password, new_password: NEW_PASSWORD },
      });
      assert.equal(changed.status, 200, changed.text);
      assert.equal(
        fs.existsSync(file),
        false,
        'the file is deleted once the admin chose a password',
      );

      const old = await request(`${server.url}/api/v1/auth/login`, {
        method: 'POST',
        json: { email: initial.email, password: initial.password },
      });
      assert.equal(old.status, 401, 'the generated password no longer works');
      const chosen = await login(server.url, initial.email, NEW_PASSWORD);
      const users = await request(`${server.url}/api/v1/admin/users`, {
        bearer: chosen.access_token,
      });
      assert.deepEqual(
        users.body.users.map((u: { email: string }) => u.email),
        ['admin@localhost'],
        'one admin, nobody else',
      );

      // Next start: an admin exists, so nothing is generated and no file comes back.
      await server.stop();
      outputs.push(server.output);
      server = await plainStart(dataDir);
      assert.equal(initialAdminLines(server.output).length, 0, 'no new line');
      assert.equal(fs.existsSync(file), false);
      for (const secret of [initial.password, NEW_PASSWORD])
        assert.ok(
          ![...outputs, server.output].join('').includes(secret),
          'no password in any log line',
        );
    } finally {
      await server.stop();
    }
  });

  test('REVOKD_ADMIN_EMAIL / REVOKD_ADMIN_PASSWORD skip it: that admin, no generated one, no file', async () => {
    const server = await ServerProcess.start();
    try {
      assert.equal(fs.existsSync(path.join(server.dataDir, 'initial-admin.json')), false);
      assert.equal(initialAdminLines(server.output).length, 0);
      const admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
      const users = await request(`${server.url}/api/v1/admin/users`, {
        bearer: admin.access_token,
      });
      assert.deepEqual(
        users.body.users.map((u: { email: string }) => u.email),
        [ADMIN_EMAIL],
      );
    } finally {
      await server.stop();
    }
  });

  test('REVOKD_ADMIN_EMAIL set when another admin exists (quick start, then the walkthrough): one log line says it is ignored', async () => {
    const dataDir = tempDir('admin-email-ignored');
    const noAdminEnv = { REVOKD_ADMIN_EMAIL: '', REVOKD_ADMIN_PASSWORD: '' };
    const ignoredLines = (output: string) =>
      logLines(output).filter((l) => (l.msg ?? '').includes('REVOKD_ADMIN_EMAIL is ignored'));
    try {
      // The quick start: the generated admin@localhost.
      const first = await ServerProcess.start({ dataDir, env: noAdminEnv });
      await first.stop();
      assert.equal(readInitialAdmin(dataDir).email, 'admin@localhost');
      // The walkthrough's start, on the same data dir.
      const walkthrough = await ServerProcess.start({ dataDir });
      try {
        const lines = ignoredLines(walkthrough.output);
        assert.equal(lines.length, 1, walkthrough.output);
        assert.equal(lines[0]!.email, ADMIN_EMAIL);
        assert.match(
          lines[0]!.msg!,
          /revokd user create --email admin@example\.com --admin/,
          'it says what to run',
        );
        assert.ok(!walkthrough.output.includes(ADMIN_PASSWORD), 'the password is never logged');
        // What the line explains: that admin was not created.
        const refused = await request(`${walkthrough.url}/api/v1/auth/login`, {
          method: 'POST',
          json: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
        });
        assert.equal(refused.status, 401);
      } finally {
        await walkthrough.stop();
      }
      // Naming the admin that exists is not worth a line.
      const { password } = readInitialAdmin(dataDir);
      const same = await ServerProcess.start({
        dataDir,
        env: { REVOKD_ADMIN_EMAIL: 'admin@localhost', REVOKD_ADMIN_PASSWORD: password },
      });
      await same.stop();
      assert.deepEqual(ignoredLines(same.output), []);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('three instances starting together on one fresh PostgreSQL database make one admin, and one file', async () => {
    const cluster = await Cluster.start({
      label: 'first_run_pg',
      instances: 3,
      backend: 'postgres',
      startTogether: true,
      env: { REVOKD_ADMIN_EMAIL: '', REVOKD_ADMIN_PASSWORD: '' },
    });
    try {
      const files = cluster.instances
        .map((s) => path.join(s.dataDir, 'initial-admin.json'))
        .filter((f) => fs.existsSync(f));
      assert.equal(
        files.length,
        1,
        'the instance that created the admin wrote the file, in its own data dir',
      );
      const initial = JSON.parse(fs.readFileSync(files[0]!, 'utf8')) as {
        email: string;
        password: string;
      };
      // Every instance holds the generated admin to the password change, whichever one made it.
      const sessions = [];
      for (const server of cluster.instances) {
        const session = await login(server.url, initial.email, initial.password);
        const early = await request(`${server.url}/api/v1/admin/users`, {
          bearer: session.access_token,
        });
        assert.equal(early.body?.code, 'ERR_PASSWORD_CHANGE_REQUIRED', early.text);
        sessions.push(session);
      }
      const changed = await request(`${cluster.instances[0]!.url}/api/v1/auth/password`, {
        method: 'POST',
        bearer: sessions[0]!.access_token,
        json: { current_password: initial.password, new_password: NEW_PASSWORD },
      });
      assert.equal(changed.status, 200, changed.text);
      for (const server of cluster.instances) {
        const session = await login(server.url, initial.email, NEW_PASSWORD);
        const users = await request(`${server.url}/api/v1/admin/users`, {
          bearer: session.access_token,
        });
        assert.deepEqual(
          users.body.users.map((u: { email: string }) => u.email),
          ['admin@localhost'],
          'one admin, whichever instance made it',
        );
      }
    } finally {
      await cluster.stop();
    }
  });
});
