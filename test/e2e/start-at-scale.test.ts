/**
 * Issue 21: revokd starts on a store holding a million live revocations and decides correctly at
 * once — on SQLite and on PostgreSQL. The rows are written in bulk, in the store's own schema and
 * feed chain (test/support/bulk-revocations.ts) while the server is down (SIGKILL), half before and
 * half after one revocation made through the API, so the token it revokes sits among them; then
 * the server starts again and loads them all from the store's streamed snapshot. Correctness at scale only: no
 * timing is asserted (bench/start-at-scale.ts measures).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { bulkRevokePostgres, bulkRevokeSqlite } from '../support/bulk-revocations.js';
import { login, request } from '../support/http-client.js';
import { type TestDatabase, createTestDatabase } from '../support/postgres.js';
import { BACKENDS, type Backend } from '../support/server-on-backend.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess, tempDir } from '../support/server-process.js';
import { adminRevoker } from '../support/stream-setup.js';

const HALF = 500_000;

const jtiOf = (token: string): string =>
  (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti;
const validate = (base: string, token: string) =>
  request(`${base}/api/v1/auth/token/validate`, { bearer: token });

for (const backend of BACKENDS) {
  describe(`start with 1 M live revocations on ${backend}`, () => {
    const dataDir = tempDir('scale');
    let db: TestDatabase | undefined;
    let server: ServerProcess | undefined;
    after(async () => {
      await server?.stop();
      await db?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    async function bulk(kind: Backend, count: number): Promise<void> {
      if (kind === 'sqlite') bulkRevokeSqlite(path.join(dataDir, 'revokd.db'), { count });
      else await bulkRevokePostgres(db!.url, { count });
    }

    let live = '';
    let revoked = '';

    // Steps as tests of their own: each reports as it ends (the run's watchdog counts silence).
    test(
      'the server starts on an empty store; two tokens are issued',
      { timeout: 120_000 },
      async () => {
        db = backend === 'postgres' ? await createTestDatabase('start_at_scale') : undefined;
        const env: Record<string, string> = {
          REVOKD_LOG_LEVEL: 'warn',
          ...(db === undefined
            ? {}
            : { REVOKD_DATABASE_URL: db.url, REVOKD_SECRET: randomBytes(32).toString('hex') }),
        };
        // The compiled server (no tsx compile per start), given as long as the test's own timeout to start.
        const command = [process.execPath, 'dist/src/cli/main.js', 'serve'];
        server = await ServerProcess.start({ dataDir, env, command, readyTimeoutMs: 160_000 });
        live = (await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
        revoked = (await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
      },
    );

    // Each bulk write with the server down: a running replica would read and chain every row.
    test('500 k revocations written in bulk', { timeout: 170_000 }, async () => {
      await server!.kill();
      await bulk(backend, HALF);
    });

    test('one token revoked through the API, after them', { timeout: 170_000 }, async () => {
      await server!.spawn();
      await (
        await adminRevoker(server!.url)
      )('jti', jtiOf(revoked));
      await server!.kill();
    });

    test('500 k more written in bulk', { timeout: 170_000 }, async () => {
      await bulk(backend, HALF);
    });

    test(
      'started cold on the 1 M: the revoked token is refused, the live one accepted',
      { timeout: 170_000 },
      async () => {
        // Everything the new process knows comes from the store.
        await server!.spawn();
        const refused = await validate(server!.url, revoked);
        assert.equal(refused.status, 401, refused.text);
        const accepted = await validate(server!.url, live);
        assert.equal(accepted.status, 200, accepted.text);
        assert.equal(accepted.body.jti, jtiOf(live));
      },
    );
  });
}
