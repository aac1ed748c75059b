/**
 * Two revokd processes on one SQLite file (and so one data directory) and one Redis prefix count as
 * one (issue 10, must-show 6): the per-IP login budget (REVOKD_RATE_LIMIT_LOGIN_PER_MINUTE) and the
 * failed-login lockout per (email, address) (REVOKD_LOGIN_FAILURES_PER_USER_AND_IP) hold across
 * both — requests split over the two, the next one is refused wherever it lands.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess } from '../support/server-process.js';
import { type JsonResponse, createUserViaAdmin, login, request } from '../support/http-client.js';
import {
  SHARED_REDIS_URL,
  deletePrefix,
  redisReachable,
  testPrefix,
} from '../support/redis-server.js';

const reachable = await redisReachable(SHARED_REDIS_URL);
const skip = reachable
  ? false
  : `Redis is not reachable at ${SHARED_REDIS_URL} (set REVOKD_TEST_REDIS_URL)`;
const xff = (ip: string): Record<string, string> => ({ 'x-forwarded-for': ip });

function loginAs(base: string, email: string, password: string, ip: string): Promise<JsonResponse> {
  return request(`${base}/api/v1/auth/login`, {
    method: 'POST',
    json: { email, password },
    headers: xff(ip),
  });
}

describe('two instances, one SQLite file, one Redis prefix: counters shared', { skip }, () => {
  const prefix = testPrefix('shared-counters');
  let first: ServerProcess;
  let second: ServerProcess;

  before(async () => {
    const env = {
      REVOKD_TRUSTED_PROXIES: '127.0.0.1',
      REVOKD_LOG_LEVEL: 'warn',
      REVOKD_REDIS_URL: SHARED_REDIS_URL,
      REVOKD_REDIS_PREFIX: prefix,
      REVOKD_RATE_LIMIT_LOGIN_PER_MINUTE: '6',
      REVOKD_LOGIN_FAILURES_PER_USER_AND_IP: '3',
    };
    first = await ServerProcess.start({ env });
    // The same data directory: the same SQLite file (REVOKD_DATABASE_URL defaults to a file in it).
    second = await ServerProcess.start({ env, dataDir: first.dataDir });
  });
  after(async () => {
    await second?.stop();
    await first?.stop();
    await deletePrefix(SHARED_REDIS_URL, prefix);
  });

  test('the per-IP login budget: 6 logins split over both instances, the 7th is refused on either', async () => {
    const ip = '203.0.113.61';
    // A different email each time: the lockout per (email, address) stays out of it.
    for (const [i, server] of [first, second, first, second, first, second].entries()) {
      assert.equal(
        (await loginAs(server.url, `nobody-${i}@example.com`, 'whatever-password', ip)).status,
        401,
        `attempt ${i + 1} is within the budget`,
      );
    }
    for (const server of [first, second]) {
      const res = await loginAs(server.url, ADMIN_EMAIL, ADMIN_PASSWORD, ip);
      assert.equal(
        res.status,
        429,
        `${server === first ? 'first' : 'second'} instance: ${res.text}`,
      );
      assert.match(res.headers.get('retry-after') ?? '', /^\d+$/);
    }
    assert.equal(
      (await loginAs(second.url, ADMIN_EMAIL, ADMIN_PASSWORD, '203.0.113.62')).status,
      200,
      'another address is unaffected',
    );
  });

  test('the failed-login lockout per (email, address): 3 failures split over both instances lock the pair on either, even with the right password', async () => {
    const admin = await login(first.url, ADMIN_EMAIL, ADMIN_PASSWORD, xff('203.0.113.70'));
    const email = `lockout-${Date.now()}@example.com`;
    await createUserViaAdmin(first.url, admin.access_token, email, 'lockout-password-1');
    const ip = '203.0.113.71';
    for (const server of [first, second, first])
      assert.equal((await loginAs(server.url, email, 'wrong-password', ip)).status, 401);
    for (const server of [second, first]) {
      const res = await loginAs(server.url, email, 'lockout-password-1', ip);
      assert.equal(res.status, 429, res.text);
      assert.equal(res.body.code, 'ERR_RATE_LIMITED');
      assert.match(res.body.error_description, /too many failed password attempts/);
    }
    assert.equal(
      (await loginAs(second.url, email, 'lockout-password-1', '203.0.113.72')).status,
      200,
      'the user from another address is not locked out',
    );
  });
});
