/**
 * Issue 17, item 1, defence in depth (in-process, real SQLite file and real PostgreSQL database):
 * the disabled flag alone, without its user-scope revocation. disableUser now writes both in one
 * commit (disableUserAndRevoke), but a flag set without the revocation is still a state a store can
 * hold (a restore, a hand edit, an older version's crash between its two commits): the user's
 * tokens must then be refused where a new token would be minted or a token vouched for — the
 * refresh grant yields no successor, introspection says inactive, and a login creates nothing.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { introspect } from '../../src/app/introspect.js';
import { login } from '../../src/app/login.js';
import { type OpenedContext, openAppContext } from '../../src/app/open-app-context.js';
import { refreshSession } from '../../src/app/refresh-session.js';
import { resolveAuditKeys } from '../../src/app/security/service-secret.js';
import { createUser } from '../../src/app/users.js';
import { loadConfig } from '../../src/core/config.js';
import { createPostgresStore } from '../../src/stores/postgres/postgres-store.js';
import { createSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { RevokdStore } from '../../src/stores/types.js';
import { type TestDatabase, createTestDatabase } from '../support/postgres.js';
import { tempDir } from '../support/server-process.js';

const PASSWORD = 'Amber kites circle 5 quiet lighthouses';

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`a disabled user's tokens before the disable's revocation commits (${backend})`, () => {
    let ctx: OpenedContext;
    let database: TestDatabase | undefined;

    before(async () => {
      const dataDir = tempDir('disabled-gap');
      const config = loadConfig({ REVOKD_DATA_DIR: dataDir });
      const auditChainKey = resolveAuditKeys(config).chain;
      let store: RevokdStore;
      if (backend === 'postgres') {
        database = await createTestDatabase('disabled_gap');
        store = await createPostgresStore(database.url, { auditChainKey });
      } else {
        store = await createSqliteStore(path.join(dataDir, 'revokd.db'), { auditChainKey });
      }
      ctx = await openAppContext(config, { store, log: pino({ level: 'silent' }) });
    });
    after(async () => {
      await ctx?.close();
      await database?.drop();
    });

    test('refresh refused, introspection inactive, login refused', async () => {
      const email = `gap-${backend}@example.com`;
      const user = await createUser(ctx, { email, password: PASSWORD }, { type: 'cli', id: null });
      const session = await login(ctx, {
        email,
        password: PASSWORD,
        ip: '192.0.2.10',
        userAgent: 'test',
      });
      assert.equal((await introspect(ctx, session.access_token, null, 'rs')).active, true);
      assert.equal((await introspect(ctx, session.refresh_token, null, 'rs')).active, true);

      // Only the first of the disable's two commits.
      await ctx.stores.records.disableUser(user.id, ctx.now(), {
        type: 'user.disabled',
        actorType: 'cli',
        actorId: null,
        targetType: 'user',
        targetId: user.id,
        ip: null,
        details: {},
      });

      assert.deepEqual(await introspect(ctx, session.access_token, null, 'rs'), { active: false });
      assert.deepEqual(await introspect(ctx, session.refresh_token, null, 'rs'), { active: false });
      await assert.rejects(
        refreshSession(ctx, { refreshToken: session.refresh_token, ip: '192.0.2.10' }),
        (err: { code?: string }) => err.code === 'ERR_REFRESH_INVALID',
      );
      await assert.rejects(
        login(ctx, { email, password: PASSWORD, ip: '192.0.2.10', userAgent: 'test' }),
        (err: { code?: string }) => err.code === 'ERR_INVALID_CREDENTIALS',
      );
      assert.equal(
        (await ctx.stores.records.listLiveSessions(user.id, ctx.now())).length,
        1,
        'only the session from before the disable, which its revocation will end',
      );
    });
  });
}
