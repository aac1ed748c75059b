/**
 * A token whose checksum is wrong is rejected before any database work: 1 000 random mutations of
 * a valid token, sent through the real HTTP stack (in-process, real SQLite file), cause no query.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { createApiToken } from '../../src/app/api-tokens/create-api-token.js';
import { type OpenedContext, openAppContext } from '../../src/app/open-app-context.js';
import { createUser } from '../../src/app/users.js';
import { loadConfig } from '../../src/core/config.js';
import { buildApp } from '../../src/http/app.js';
import { createSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { tempDir } from '../support/server-process.js';
import { resolveAuditKeys } from '../../src/app/security/service-secret.js';

let queries = 0;
let ctx: OpenedContext;
let app: FastifyInstance;
let token: string;

before(async () => {
  const dataDir = tempDir('checksum');
  // The per-address bearer budget off: this counts database work per token, not the flood guard.
  const config = loadConfig({
    REVOKD_DATA_DIR: dataDir,
    REVOKD_LOG_LEVEL: 'silent',
    REVOKD_RATE_LIMIT_BEARER_PER_MINUTE: '0',
  });
  const store = await createSqliteStore(path.join(dataDir, 'revokd.db'), {
    onQuery: () => {
      queries++;
    },
    auditChainKey: resolveAuditKeys(config).chain,
  });
  ctx = await openAppContext(config, { store, log: pino({ level: 'silent' }) });
  // Keep background work (feed polling, key-ring reloads) out of the count.
  await ctx.replica.stop();
  ctx.keys.stop();
  const user = await createUser(
    ctx,
    { email: 'owner@example.com', password: 'user-password-1' },
    { type: 'cli', id: null },
  );
  ({ token } = await createApiToken(ctx, { userId: user.id, name: 'real', ip: null }));
  app = await buildApp(ctx);
});
after(async () => {
  await app?.close();
  await ctx?.close();
});

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
function mutate(t: string): string {
  for (;;) {
    const i = randomInt(4, t.length);
    const c = ALPHABET[randomInt(ALPHABET.length)]!;
    const op = randomInt(5);
    const out =
      op === 0
        ? t.slice(0, i) + c + t.slice(i + 1)
        : op === 1
          ? t.slice(0, i) + t.slice(i + 1)
          : op === 2
            ? t.slice(0, i) + c + t.slice(i)
            : op === 3 && i + 1 < t.length
              ? t.slice(0, i) + t[i + 1] + t[i] + t.slice(i + 2)
              : t.slice(0, i) +
                (t[i] === t[i]!.toUpperCase() ? t[i].toLowerCase() : t[i]!.toUpperCase()) +
                t.slice(i + 1);
    if (out !== t) return out;
  }
}

test('1 000 random mutations of a valid API token: all 401, zero database queries', async () => {
  const before = queries;
  for (let n = 0; n < 1000; n++) {
    const res = await app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { authorization: `Bearer ${mutate(token)}` },
    });
    assert.equal(res.statusCode, 401, res.body);
    assert.equal(res.json().code, 'ERR_INVALID_TOKEN');
  }
  assert.equal(queries - before, 0, 'no mutated token reached the database');
});

test('control: the valid token does reach the database (so the counter counts)', async () => {
  const before = queries;
  const res = await app.inject({
    method: 'GET',
    url: '/api/v1/auth/me',
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(res.statusCode, 200, res.body);
  assert.ok(queries - before >= 1);
});
