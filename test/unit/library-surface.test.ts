/** The public library surface (src/index.ts, package "exports"): named exports and openRevokd. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, test } from 'node:test';
import pino from 'pino';
import { createApiToken } from '../../src/app/api-tokens/create-api-token.js';
import { revokeApiToken } from '../../src/app/api-tokens/revoke-api-tokens.js';
import { openAppContext } from '../../src/app/open-app-context.js';
import { createUser } from '../../src/app/users.js';
import { generateApiToken } from '../../src/core/tokens/api-token.js';
import * as revokd from '../../src/index.js';
import {
  ConfigError,
  RevokdError,
  isRevokdError,
  loadConfig,
  openRevokd,
} from '../../src/index.js';
import { tempDir } from '../support/server-process.js';

/** The feed timer is unref'd: a ref'd deadline keeps the test alive while it waits (and bounds the wait). */
async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`nothing within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

describe('library surface', () => {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('exports exactly the named surface', () => {
    assert.deepEqual(Object.keys(revokd).sort(), [
      'ConfigError',
      'RevokdError',
      'isRevokdError',
      'loadConfig',
      'openRevokd',
    ]);
    assert.equal(typeof openRevokd, 'function');
    assert.equal(typeof loadConfig, 'function');
    assert.ok(isRevokdError(new RevokdError('ERR_INVALID_TOKEN', 'x')));
    assert.ok(!isRevokdError(new Error('x')));
  });

  test('openRevokd rejects an invalid environment with every problem listed', async () => {
    await assert.rejects(
      openRevokd({ env: { REVOKD_FEED_POLL_MS: 'soon', REVOKD_FAIL_MODE: 'maybe' } }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.problems.length, 2);
        return true;
      },
    );
  });

  test('rejects malformed and unknown tokens with ERR_INVALID_TOKEN and closes cleanly', async () => {
    const dir = tempDir('lib');
    dirs.push(dir);
    const lib = await openRevokd({ env: { REVOKD_DATA_DIR: dir } });
    try {
      for (const presented of ['rvk_garbage', '', generateApiToken()]) {
        await assert.rejects(lib.verifyApiToken(presented), (err: unknown) => {
          assert.ok(isRevokdError(err));
          assert.equal(err.code, 'ERR_INVALID_TOKEN');
          return true;
        });
      }
    } finally {
      await lib.close();
    }
    await lib.close(); // idempotent
  });

  test('verifies a token another context created, and hears of its revocation through the feed', async () => {
    const dir = tempDir('lib');
    dirs.push(dir);
    const env = { REVOKD_DATA_DIR: dir, REVOKD_FEED_POLL_MS: '20' };
    // The "server": another context over the same data directory.
    const server = await openAppContext(loadConfig(env), { log: pino({ level: 'silent' }) });
    const lib = await openRevokd({ env });
    try {
      const user = await createUser(
        server,
        { email: 'tcp@example.com', password: 'tcp-password-1' },
        { type: 'system', id: null },
      );
      const { record, token } = await createApiToken(server, {
        userId: user.id,
        name: 'tcp client',
        scopes: ['read'],
        ip: null,
      });

      const who = await lib.verifyApiToken(token, { ip: '127.0.0.1' });
      assert.deepEqual(who, {
        tokenId: record.id,
        userId: user.id,
        email: 'tcp@example.com',
        scopes: ['read'],
        name: 'tcp client',
        expiresAt: null,
      });
      await lib.recheckApiToken(record.id);

      const heard = new Promise<string>((resolve) => lib.onApiTokenRevoked(resolve));
      await revokeApiToken(server, record.id, user.id, {
        actor: { type: 'user', id: user.id },
        initiator: 'user',
        reason: 'user_request',
      });
      assert.equal(await withDeadline(heard, 5000), record.id);
      await assert.rejects(lib.recheckApiToken(record.id), { code: 'ERR_TOKEN_REVOKED' });
      await assert.rejects(lib.verifyApiToken(token), { code: 'ERR_TOKEN_REVOKED' });
    } finally {
      await lib.close();
      await server.close();
    }
  });
});
