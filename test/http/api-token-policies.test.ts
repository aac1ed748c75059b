/**
 * API-token policies with a controlled clock (in-process, real SQLite file): expiry, and automatic
 * revocation of tokens unused for REVOKD_API_TOKEN_UNUSED_DAYS — which emails the owner like any
 * other revocation.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { createApiToken } from '../../src/app/api-tokens/create-api-token.js';
import { sweepUnusedApiTokens } from '../../src/app/api-tokens/unused-token-sweep.js';
import { verifyApiToken } from '../../src/app/api-tokens/verify-api-token.js';
import { type OpenedContext, openAppContext } from '../../src/app/open-app-context.js';
import { createUser } from '../../src/app/users.js';
import { loadConfig } from '../../src/core/config.js';
import { createSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { tempDir } from '../support/server-process.js';
import { resolveAuditKeys } from '../../src/app/security/service-secret.js';

const DAY = 86_400_000;
const clock = { now: Date.UTC(2026, 0, 1) };
let ctx: OpenedContext;
let userId: string;

before(async () => {
  const dataDir = tempDir('policies');
  const config = loadConfig({ REVOKD_DATA_DIR: dataDir, REVOKD_API_TOKEN_UNUSED_DAYS: '30' });
  const store = await createSqliteStore(path.join(dataDir, 'revokd.db'), {
    auditChainKey: resolveAuditKeys(config).chain,
  });
  ctx = await openAppContext(config, {
    store,
    log: pino({ level: 'silent' }),
    now: () => clock.now,
  });
  userId = (
    await createUser(
      ctx,
      { email: 'policy@example.com', password: 'user-password-1' },
      { type: 'cli', id: null },
    )
  ).id;
});
after(async () => {
  await ctx?.close();
});

test('a token past expires_in_days is refused as expired', async () => {
  const { token } = await createApiToken(ctx, {
    userId,
    name: 'short-lived',
    expiresInDays: 1,
    ip: null,
  });
  assert.equal((await verifyApiToken(ctx, token, null)).user.id, userId);
  clock.now += 2 * DAY;
  await assert.rejects(
    verifyApiToken(ctx, token, null),
    (err: { code?: string }) => err.code === 'ERR_TOKEN_EXPIRED',
  );
});

test('tokens unused for 30 days are revoked by the sweep (reason unused, owner emailed); used ones stay', async () => {
  const idle = await createApiToken(ctx, { userId, name: 'idle', ip: null });
  const busy = await createApiToken(ctx, { userId, name: 'busy', ip: null });
  clock.now += 20 * DAY;
  await verifyApiToken(ctx, busy.token, '192.0.2.1');
  await ctx.apiTokenUsage.flush();
  clock.now += 11 * DAY;
  const pendingBefore = await ctx.stores.outbox.countPendingOutbox();
  assert.ok((await sweepUnusedApiTokens(ctx)) >= 1);
  const idleRow = await ctx.stores.records.findApiTokenById(idle.record.id);
  assert.equal(idleRow?.isActive, false);
  assert.equal(idleRow?.revokeReason, 'unused');
  assert.equal((await ctx.stores.records.findApiTokenById(busy.record.id))?.isActive, true);
  assert.ok((await ctx.stores.outbox.countPendingOutbox()) > pendingBefore, 'the owner is told');
  await assert.rejects(
    verifyApiToken(ctx, idle.token, null),
    (err: { code?: string }) => err.code === 'ERR_TOKEN_REVOKED',
  );
  const audit = await ctx.stores.audit.listAudit({ limit: 1000 });
  const entry = audit.find((e) => e.type === 'api_token.revoked' && e.targetId === idle.record.id);
  assert.equal(entry?.initiator, 'policy');
  assert.equal(entry?.reason, 'unused');
});
