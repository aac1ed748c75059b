/** HS256 compatibility mode (SPEC §2): short secrets are refused at start; the previous secret verifies during rotation. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, test } from 'node:test';
import { login, request } from '../support/http-client.js';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  REPO_ROOT,
  ServerProcess,
  tempDir,
} from '../support/server-process.js';

const OLD = 'o'.repeat(16) + 'ld-secret-of-32-bytes-or-more!!';
const NEW = 'n'.repeat(16) + 'ew-secret-of-32-bytes-or-more!!';
let server: ServerProcess | undefined;
after(async () => {
  await server?.stop();
});

test('a secret shorter than 32 bytes is refused at start, with every problem listed', () => {
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(REPO_ROOT, 'src/cli/main.ts'), 'serve'],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 30_000,
      env: {
        PATH: process.env.PATH,
        REVOKD_DATA_DIR: tempDir('hs'),
        REVOKD_JWT_ALG: 'HS256',
        REVOKD_JWT_SECRET: 'too-short',
        REVOKD_ACCESS_TTL_SECONDS: '0',
      },
    },
  );
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /REVOKD_JWT_SECRET must be at least 32 bytes/);
  assert.match(run.stderr, /REVOKD_ACCESS_TTL_SECONDS must be between/);
});

test('tokens signed with the previous secret verify after rotation; the JWKS publishes no symmetric key', async () => {
  const dataDir = tempDir('hs');
  server = await ServerProcess.start({
    dataDir,
    env: { REVOKD_JWT_ALG: 'HS256', REVOKD_JWT_SECRET: OLD },
  });
  const before = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  const oldAndUnrevoked = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  const header = JSON.parse(
    Buffer.from(before.access_token.split('.')[0]!, 'base64url').toString(),
  );
  assert.equal(header.alg, 'HS256');
  assert.deepEqual((await request(`${server.url}/.well-known/jwks.json`)).body, { keys: [] });
  await server.stop();

  server = await ServerProcess.start({
    dataDir,
    port: server.port,
    env: { REVOKD_JWT_ALG: 'HS256', REVOKD_JWT_SECRET: NEW, REVOKD_JWT_PREVIOUS_SECRET: OLD },
  });
  assert.equal(
    (await request(`${server.url}/api/v1/auth/me`, { bearer: before.access_token })).status,
    200,
  );
  const after = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  assert.notEqual(
    JSON.parse(Buffer.from(after.access_token.split('.')[0]!, 'base64url').toString()).kid,
    header.kid,
  );
  // Revocation works the same in HS256 mode.
  assert.equal(
    (
      await request(`${server.url}/api/v1/auth/revoke`, {
        method: 'POST',
        bearer: before.access_token,
      })
    ).status,
    200,
  );
  assert.equal(
    (await request(`${server.url}/api/v1/auth/me`, { bearer: before.access_token })).status,
    401,
  );
  await server.stop();

  // Once the previous secret is dropped, its tokens no longer verify.
  server = await ServerProcess.start({
    dataDir,
    port: server.port,
    env: { REVOKD_JWT_ALG: 'HS256', REVOKD_JWT_SECRET: NEW },
  });
  assert.equal(
    (await request(`${server.url}/api/v1/auth/me`, { bearer: after.access_token })).status,
    200,
  );
  assert.equal(
    (await request(`${server.url}/api/v1/auth/me`, { bearer: oldAndUnrevoked.access_token }))
      .status,
    401,
  );
});
