/**
 * Rate limits (SPEC §5.4) against real server processes, with low limits set by environment so the
 * tests stay fast: per client IP on login (429 + Retry-After + the standard error body, other
 * addresses unaffected), per user on a bearer route (whatever the address), shared by two
 * processes through Redis (REVOKD_REDIS_URL, a key prefix unique to this run), and held per
 * instance (in memory) when Redis is unreachable — requests still served, the problem logged.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { ConfigError, loadConfig } from '../../src/core/config.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess, freePort } from '../support/server-process.js';
import {
  type JsonResponse,
  type LoginResult,
  createUserViaAdmin,
  login,
  request,
} from '../support/http-client.js';

const REDIS_URL = process.env.REVOKD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const xff = (ip: string): Record<string, string> => ({ 'x-forwarded-for': ip });

function badLogin(base: string, ip: string): Promise<JsonResponse> {
  return request(`${base}/api/v1/auth/login`, {
    method: 'POST',
    json: { email: 'nobody@example.com', password: 'not-the-password' },
    headers: xff(ip),
  });
}

function assertRateLimited(res: JsonResponse, what: string): void {
  assert.equal(res.status, 429, `${what}: ${res.status} ${res.text}`);
  assert.deepEqual(Object.keys(res.body).sort(), ['code', 'error', 'error_description'], what);
  assert.equal(res.body.code, 'ERR_RATE_LIMITED', what);
  assert.equal(res.body.error, 'slow_down', what);
  assert.equal(typeof res.body.error_description, 'string', what);
  const retryAfter = res.headers.get('retry-after');
  assert.match(retryAfter ?? '', /^\d+$/, `${what}: Retry-After is whole seconds`);
  assert.ok(
    Number(retryAfter) >= 1 && Number(retryAfter) <= 60,
    `${what}: Retry-After within the one-minute window, got ${retryAfter}`,
  );
}

/** Whether a Redis answers PING at `url` within a second. */
async function redisReachable(url: string): Promise<boolean> {
  const client = new Redis(url, {
    connectTimeout: 1000,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    lazyConnect: true,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

test('configuration: limits are whole numbers ≥ 0 (0 = off), the Redis prefix has no spaces; defaults', () => {
  const c = loadConfig({});
  assert.deepEqual(c.rateLimits, {
    loginPerMinute: 60,
    refreshPerMinute: 120,
    revokePerMinute: 120,
    tokenCreatePerMinute: 30,
    bearerPerMinute: 600,
  });
  assert.equal(c.redisPrefix, 'revokd:');
  assert.equal(
    loadConfig({ REVOKD_RATE_LIMIT_LOGIN_PER_MINUTE: '0' }).rateLimits.loginPerMinute,
    0,
  );
  assert.throws(
    () =>
      loadConfig({
        REVOKD_RATE_LIMIT_LOGIN_PER_MINUTE: '-1',
        REVOKD_RATE_LIMIT_REVOKE_PER_MINUTE: '5/s',
        REVOKD_REDIS_PREFIX: 'a b',
      }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems.length, 3, err.message);
      return true;
    },
  );
});

describe('rate limits, one process (in-memory counters)', () => {
  let server: ServerProcess;

  before(async () => {
    server = await ServerProcess.start({
      env: {
        REVOKD_TRUSTED_PROXIES: '127.0.0.1',
        REVOKD_LOG_LEVEL: 'warn',
        REVOKD_RATE_LIMIT_LOGIN_PER_MINUTE: '5',
        REVOKD_RATE_LIMIT_TOKEN_CREATE_PER_MINUTE: '3',
      },
    });
  });
  after(async () => {
    await server?.stop();
  });

  test('login: past the limit one address gets 429 + Retry-After + the standard body, even with the right password; another address is unaffected', async () => {
    const hammer = '198.51.100.11';
    for (let i = 1; i <= 5; i++)
      assert.equal(
        (await badLogin(server.url, hammer)).status,
        401,
        `attempt ${i} is within the limit`,
      );
    assertRateLimited(await badLogin(server.url, hammer), '6th attempt');
    const right = await request(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      json: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
      headers: xff(hammer),
    });
    assertRateLimited(right, 'the right password from the limited address');

    const other = await request(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      json: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
      headers: xff('198.51.100.12'),
    });
    assert.equal(other.status, 200, other.text);
    // Other routes from the limited address are not limited by the login budget.
    assert.equal((await request(`${server.url}/healthz`, { headers: xff(hammer) })).status, 200);
  });

  test('token creation is limited per user too: a user spreading requests over addresses meets one budget; another user is unaffected', async () => {
    const admin: LoginResult = await login(
      server.url,
      ADMIN_EMAIL,
      ADMIN_PASSWORD,
      xff('198.51.100.20'),
    );
    const suffix = randomUUID().slice(0, 8);
    await createUserViaAdmin(
      server.url,
      admin.access_token,
      `spread-${suffix}@example.com`,
      'spread-password-1',
    );
    await createUserViaAdmin(
      server.url,
      admin.access_token,
      `calm-${suffix}@example.com`,
      'calm-password-1',
    );
    const spread = await login(
      server.url,
      `spread-${suffix}@example.com`,
      'spread-password-1',
      xff('198.51.100.21'),
    );
    const calm = await login(
      server.url,
      `calm-${suffix}@example.com`,
      'calm-password-1',
      xff('198.51.100.21'),
    );
    const create = (token: string, ip: string, name: string) =>
      request(`${server.url}/api/v1/tokens`, {
        method: 'POST',
        bearer: token,
        json: { name },
        headers: xff(ip),
      });

    // Three addresses, one request each so far: every per-IP budget (3) has room.
    assert.equal((await create(spread.access_token, '198.51.100.31', 'a')).status, 201);
    assert.equal((await create(spread.access_token, '198.51.100.32', 'b')).status, 201);
    assert.equal((await create(spread.access_token, '198.51.100.33', 'c')).status, 201);
    assertRateLimited(
      await create(spread.access_token, '198.51.100.34', 'd'),
      'the 4th creation by one user, from a fresh address',
    );
    const calmOne = await create(calm.access_token, '198.51.100.34', 'e');
    assert.equal(calmOne.status, 201, `another user from the same fresh address: ${calmOne.text}`);
  });
});

describe('rate limits shared through Redis', async () => {
  const reachable = await redisReachable(REDIS_URL);
  const skip = reachable
    ? false
    : `Redis is not reachable at ${REDIS_URL} (set REVOKD_TEST_REDIS_URL): the shared-limit tests need a real Redis`;
  const prefix = `revokd-test:${randomUUID()}:`;
  let first: ServerProcess | undefined;
  let second: ServerProcess | undefined;

  after(async () => {
    await second?.stop();
    await first?.stop();
    if (!reachable) return;
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
  });

  test(
    'two processes on one data directory share the login limit for an address',
    { skip },
    async () => {
      const env = {
        REVOKD_TRUSTED_PROXIES: '127.0.0.1',
        REVOKD_LOG_LEVEL: 'warn',
        REVOKD_REDIS_URL: REDIS_URL,
        REVOKD_REDIS_PREFIX: prefix,
        REVOKD_RATE_LIMIT_LOGIN_PER_MINUTE: '4',
      };
      first = await ServerProcess.start({ env });
      second = await ServerProcess.start({ env, dataDir: first.dataDir });
      const ip = '203.0.113.77';
      // Two attempts on each process: four in all, the shared budget.
      for (const server of [first, second, first, second])
        assert.equal((await badLogin(server.url, ip)).status, 401);
      assertRateLimited(await badLogin(first.url, ip), 'the 5th attempt, on the first process');
      assertRateLimited(await badLogin(second.url, ip), 'the 6th attempt, on the second process');
      // Per address: another one still gets through on either process.
      assert.equal((await badLogin(second.url, '203.0.113.78')).status, 401);

      const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      try {
        const keys = await redis.keys(`${prefix}*`);
        assert.ok(
          keys.some((k) => k.includes('/api/v1/auth/login') && k.endsWith(`ip:${ip}`)),
          `counters live under the prefix: ${JSON.stringify(keys)}`,
        );
      } finally {
        redis.disconnect();
      }
    },
  );

  test('Redis unreachable: requests are still served, the limits hold per instance (in memory), and the problem is logged', async () => {
    const deadPort = await freePort();
    const server = await ServerProcess.start({
      env: {
        REVOKD_TRUSTED_PROXIES: '127.0.0.1',
        REVOKD_LOG_LEVEL: 'warn',
        REVOKD_REDIS_URL: `redis://127.0.0.1:${deadPort}`,
        REVOKD_REDIS_PREFIX: prefix,
        REVOKD_RATE_LIMIT_LOGIN_PER_MINUTE: '2',
      },
    });
    try {
      for (let i = 1; i <= 2; i++)
        assert.equal(
          (await badLogin(server.url, '203.0.113.90')).status,
          401,
          `attempt ${i} is served`,
        );
      assertRateLimited(
        await badLogin(server.url, '203.0.113.90'),
        'the 3rd attempt: the limit holds in this instance',
      );
      const ok = await request(`${server.url}/api/v1/auth/login`, {
        method: 'POST',
        json: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
      });
      assert.equal(ok.status, 200, ok.text);
      assert.match(server.output, /Redis \(counters\) is unreachable or slow/);
    } finally {
      await server.stop();
    }
  });
});
