/**
 * Redis hung and crashed under load (issue 10, must-show 3): a real revokd process counting in a
 * redis-server of this file's own, a loop of mixed logins, failed logins, token checks and revokes;
 * Redis SIGSTOPped for ~3 s (a hung TCP peer), then SIGKILLed and restarted empty on the same port.
 * Throughout: every request answers (no 5xx) within 1 s, and every revoke that answered 200 is
 * enforced afterwards. After each fault the server is back on Redis without a restart: the metric
 * says not degraded and its counters land in Redis again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess } from '../support/server-process.js';
import { createUserViaAdmin, login } from '../support/http-client.js';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.js';
import { RedisServer, testClient, testPrefix } from '../support/redis-server.js';
import { until } from '../support/until.js';

/** The contract: no request waits longer than this because of Redis. */
const MAX_REQUEST_MS = 1000;
const USER_EMAIL = 'faults-user@example.com';
const USER_PASSWORD = 'faults-password-1';

interface Observation {
  readonly phase: string;
  readonly what: string;
  readonly status: number;
  readonly ms: number;
}

describe('Redis hung (SIGSTOP) and crashed (SIGKILL) under mixed traffic', () => {
  let redis: RedisServer;
  let server: ServerProcess;
  const prefix = testPrefix('redis-faults');
  const observations: Observation[] = [];
  /** Access tokens whose revoke answered 200. */
  const revoked: string[] = [];
  let ipCounter = 0;

  before(async () => {
    redis = await RedisServer.start();
    server = await ServerProcess.start({
      env: {
        REVOKD_REDIS_URL: redis.url,
        REVOKD_REDIS_PREFIX: prefix,
        REVOKD_TRUSTED_PROXIES: '127.0.0.1',
        REVOKD_LOG_LEVEL: 'info',
        // Limits far above this loop's rate: every request is counted, none refused for it.
        REVOKD_RATE_LIMIT_LOGIN_PER_MINUTE: '100000',
        REVOKD_RATE_LIMIT_REVOKE_PER_MINUTE: '100000',
        REVOKD_RATE_LIMIT_BEARER_PER_MINUTE: '100000',
        REVOKD_ALERT_FAILED_LOGINS_PER_IP: '100000',
      },
    });
    const admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    await createUserViaAdmin(server.url, admin.access_token, USER_EMAIL, USER_PASSWORD);
  });
  after(async () => {
    await server?.stop();
    await redis?.stop();
  });

  /** One request, timed, recorded. */
  async function call(
    phase: string,
    what: string,
    path: string,
    init: { method?: string; bearer?: string; json?: unknown; ip: string },
  ): Promise<{ status: number; body: any }> {
    const headers: Record<string, string> = { 'x-forwarded-for': init.ip };
    if (init.bearer !== undefined) headers.authorization = `Bearer ${init.bearer}`;
    if (init.json !== undefined) headers['content-type'] = 'application/json';
    const started = performance.now();
    const res = await fetch(`${server.url}${path}`, {
      method: init.method ?? 'GET',
      headers,
      body: init.json === undefined ? undefined : JSON.stringify(init.json),
    });
    const text = await res.text();
    observations.push({ phase, what, status: res.status, ms: performance.now() - started });
    return { status: res.status, body: text.length > 0 ? JSON.parse(text) : undefined };
  }

  /**
   * Logins (good and bad), checks and revokes, one at a time, for `ms` — and at least three rounds
   * (a dozen requests), so a slow machine still sends enough for assertAllAnswered to judge.
   */
  async function traffic(phase: string, ms: number): Promise<void> {
    const end = Date.now() + ms;
    for (let i = 0; Date.now() < end || i < 3; i++) {
      const ip = `198.51.100.${(ipCounter++ % 200) + 1}`;
      const good = await call(phase, 'login', '/api/v1/auth/login', {
        method: 'POST',
        json: { email: USER_EMAIL, password: USER_PASSWORD },
        ip,
      });
      assert.equal(good.status, 200, `${phase}: login`);
      const token = good.body.access_token as string;
      assert.equal(
        (await call(phase, 'me', '/api/v1/auth/me', { bearer: token, ip })).status,
        200,
        `${phase}: a live token is accepted`,
      );
      assert.equal(
        (
          await call(phase, 'bad login', '/api/v1/auth/login', {
            method: 'POST',
            json: { email: USER_EMAIL, password: 'wrong-password' },
            ip,
          })
        ).status,
        401,
        `${phase}: bad login`,
      );
      if (i % 2 === 0) {
        const res = await call(phase, 'revoke', '/api/v1/auth/revoke', {
          method: 'POST',
          bearer: token,
          ip,
        });
        assert.equal(res.status, 200, `${phase}: revoke`);
        revoked.push(token);
        assert.equal(
          (await call(phase, 'revoked check', '/api/v1/auth/token/validate', { bearer: token, ip }))
            .status,
          401,
          `${phase}: the revoked token is refused at once`,
        );
      }
    }
  }

  async function degradedGauge(): Promise<number | undefined> {
    const res = await fetch(`${server.url}/metrics`);
    return sampleValue(parsePrometheusText(await res.text()), 'revokd_counters_degraded');
  }

  /** What /readyz says: status and reason codes. */
  async function readiness(): Promise<{ status: number; state: string; reasons: string[] }> {
    const res = await fetch(`${server.url}/readyz`);
    const body = (await res.json()) as { status: string; reasons: Array<{ reason: string }> };
    return { status: res.status, state: body.status, reasons: body.reasons.map((r) => r.reason) };
  }

  /** Whether the server's counters reach this Redis: a fresh login leaves its rate-limit key there. */
  async function countsInRedis(): Promise<boolean> {
    const ip = '203.0.113.250';
    await call('probe', 'login', '/api/v1/auth/login', {
      method: 'POST',
      json: { email: USER_EMAIL, password: USER_PASSWORD },
      ip,
    });
    const client = testClient(redis.url);
    try {
      await client.connect();
      return (await client.keys(`${prefix}*ip:${ip}`)).length > 0;
    } finally {
      client.disconnect();
    }
  }

  function assertAllAnswered(phase: string): void {
    const seen = observations.filter((o) => o.phase === phase);
    assert.ok(seen.length > 10, `${phase}: traffic ran (${seen.length} requests)`);
    assert.deepEqual(
      seen.filter((o) => o.status >= 500),
      [],
      `${phase}: no 5xx`,
    );
    const slow = seen.filter((o) => o.ms > MAX_REQUEST_MS);
    assert.deepEqual(slow, [], `${phase}: no request waited more than ${MAX_REQUEST_MS} ms`);
    const ms = seen.map((o) => o.ms).sort((a, b) => a - b);
    console.log(
      `# ${phase}: ${seen.length} requests, p50 ${Math.round(ms[Math.floor(ms.length / 2)] ?? 0)} ms, max ${Math.round(ms[ms.length - 1] ?? 0)} ms`,
    );
  }

  test('healthy: counted in Redis, not degraded', async () => {
    await traffic('healthy', 1_500);
    assertAllAnswered('healthy');
    assert.equal(await degradedGauge(), 0);
    assert.ok(await countsInRedis(), 'the counters are in Redis');
  });

  test('Redis SIGSTOPped for ~3 s: every request answers within 1 s, no 5xx; back on Redis after SIGCONT', async () => {
    redis.pause();
    try {
      await traffic('hung', 3_000);
      assert.equal(await degradedGauge(), 1, 'the degradation is metered');
      assert.deepEqual(
        await readiness(),
        { status: 200, state: 'degraded', reasons: ['counters_degraded'] },
        'ready (checks are served) but degraded, and why',
      );
    } finally {
      redis.resume();
    }
    assertAllAnswered('hung');
    await until(
      'back on Redis',
      async () => ((await degradedGauge()) === 0 ? true : undefined),
      10_000,
    );
    assert.deepEqual(await readiness(), { status: 200, state: 'ready', reasons: [] });
    await traffic('after hung', 1_000);
    assertAllAnswered('after hung');
    assert.ok(await countsInRedis(), 'counting in Redis again, without a restart');
    assert.match(server.output, /Redis \(counters\) is unreachable or slow/);
    assert.match(server.output, /Redis \(counters\) answers again/);
  });

  test('Redis SIGKILLed, then restarted empty on the same port: every request answers within 1 s; back on Redis without a restart', async () => {
    await redis.kill();
    await traffic('killed', 2_000);
    assertAllAnswered('killed');
    assert.equal(await degradedGauge(), 1);
    await redis.spawn();
    await until(
      'back on Redis',
      async () => ((await degradedGauge()) === 0 ? true : undefined),
      10_000,
    );
    await traffic('restarted', 1_000);
    assertAllAnswered('restarted');
    assert.ok(
      await countsInRedis(),
      'counting in the restarted Redis, without a restart of revokd',
    );
  });

  test('every revoke that answered 200 is enforced afterwards', async () => {
    assert.ok(revoked.length > 10, `revokes were made (${revoked.length})`);
    for (const token of revoked) {
      const res = await call('final', 'revoked check', '/api/v1/auth/me', {
        bearer: token,
        ip: '203.0.113.251',
      });
      assert.equal(res.status, 401, 'a revoked token stays refused');
    }
  });
});
