/**
 * SPEC §5.5 /metrics against real server processes: the exposition parses as Prometheus text (every
 * family with # HELP and # TYPE, every sample `name{labels} value`), the revocation counter moves by
 * exactly one when a token is revoked, checks and replays are counted, requests are labelled by
 * route pattern (never the raw URL: no token or id in the exposition), and with
 * REVOKD_METRICS_TOKEN set the endpoint wants that bearer.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess } from '../support/server-process.js';
import { type LoginResult, login, request } from '../support/http-client.js';
import {
  type Exposition,
  parsePrometheusText,
  sampleValue,
  samplesOf,
} from '../support/prometheus-text.js';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

async function scrape(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ exposition: Exposition; text: string }> {
  const res = await request(`${url}/metrics`, { headers });
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return { exposition: parsePrometheusText(res.text), text: res.text };
}

const REVOKED_BY_USER = { scope: 'token', reason: 'user_request', initiator: 'user' };
const ACCESS_REVOKED = { kind: 'access_token', outcome: 'revoked' };

describe('/metrics (open: no REVOKD_METRICS_TOKEN)', () => {
  let server: ServerProcess;
  before(async () => {
    server = await ServerProcess.start();
  });
  after(async () => {
    await server?.stop();
  });

  test('answers Prometheus text with every SPEC §5.5 family, each with HELP and TYPE', async () => {
    const { exposition } = await scrape(server.url);
    const expected: Record<string, string> = {
      revokd_http_requests_total: 'counter',
      revokd_http_request_duration_seconds: 'histogram',
      revokd_revocations_total: 'counter',
      revokd_token_checks_total: 'counter',
      revokd_alerts_total: 'counter',
      revokd_revoked_token_replays_total: 'counter',
      revokd_login_failures_total: 'counter',
      revokd_refresh_reuse_total: 'counter',
      revokd_tokens_issued_total: 'counter',
      revokd_store_call_duration_seconds: 'histogram',
      revokd_replica_staleness_seconds: 'gauge',
      revokd_revocation_propagation_seconds: 'histogram',
      revokd_nodejs_eventloop_lag_seconds: 'gauge',
      revokd_nodejs_eventloop_lag_p99_seconds: 'gauge',
      revokd_process_cpu_seconds_total: 'counter',
    };
    for (const [name, type] of Object.entries(expected)) {
      assert.equal(exposition.families.get(name)?.type, type, `${name} is a ${type}`);
    }
    for (const family of exposition.families.keys())
      assert.match(family, /^revokd_/, 'everything is prefixed revokd_');
    // Alert severities exist at 0 before any alert; staleness is a current, finite number.
    for (const severity of ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW']) {
      assert.equal(
        typeof sampleValue(exposition, 'revokd_alerts_total', { severity }),
        'number',
        severity,
      );
    }
    const staleness = sampleValue(exposition, 'revokd_replica_staleness_seconds');
    assert.ok(staleness !== undefined && staleness >= 0 && staleness < 5, `staleness ${staleness}`);
    // The store was used to start up (the replica's first snapshot, streamed), and its calls timed.
    const storeCalls = samplesOf(exposition, 'revokd_store_call_duration_seconds_count');
    assert.ok(
      storeCalls.some(
        (s) => s.labels.method === 'streamSnapshot' && s.labels.ok === 'true' && s.value >= 1,
      ),
    );
  });

  test('revoking a token moves the revocation counter by exactly one; presenting it again counts a revoked check and a replay', async () => {
    const tokens: LoginResult = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: tokens.access_token })).status,
      200,
    );

    const before = (await scrape(server.url)).exposition;
    const revocations0 = sampleValue(before, 'revokd_revocations_total', REVOKED_BY_USER) ?? 0;
    const revokedChecks0 = sampleValue(before, 'revokd_token_checks_total', ACCESS_REVOKED) ?? 0;
    const replays0 =
      sampleValue(before, 'revokd_revoked_token_replays_total', { kind: 'access_token' }) ?? 0;
    const storeRevokes0 =
      sampleValue(before, 'revokd_store_call_duration_seconds_count', {
        method: 'revoke',
        ok: 'true',
      }) ?? 0;
    const propagated0 = sampleValue(before, 'revokd_revocation_propagation_seconds_count') ?? 0;

    const revoked = await request(`${server.url}/api/v1/auth/revoke`, {
      method: 'POST',
      bearer: tokens.access_token,
      json: {},
    });
    assert.equal(revoked.status, 200, revoked.text);

    const middle = (await scrape(server.url)).exposition;
    assert.equal(
      sampleValue(middle, 'revokd_revocations_total', REVOKED_BY_USER),
      revocations0 + 1,
    );
    assert.equal(
      sampleValue(middle, 'revokd_token_checks_total', ACCESS_REVOKED),
      revokedChecks0,
      'nothing revoked was presented yet',
    );
    assert.equal(
      sampleValue(middle, 'revokd_store_call_duration_seconds_count', {
        method: 'revoke',
        ok: 'true',
      }),
      storeRevokes0 + 1,
    );
    assert.ok(
      (sampleValue(middle, 'revokd_revocation_propagation_seconds_count') ?? 0) >= propagated0 + 1,
      'the view applying it was timed',
    );

    const refused = await request(`${server.url}/api/v1/auth/me`, { bearer: tokens.access_token });
    assert.equal(refused.status, 401, refused.text);

    const afterwards = (await scrape(server.url)).exposition;
    assert.equal(
      sampleValue(afterwards, 'revokd_token_checks_total', ACCESS_REVOKED),
      revokedChecks0 + 1,
    );
    assert.equal(
      sampleValue(afterwards, 'revokd_revoked_token_replays_total', { kind: 'access_token' }),
      replays0 + 1,
    );
    assert.equal(
      sampleValue(afterwards, 'revokd_revocations_total', REVOKED_BY_USER),
      revocations0 + 1,
      'a refused check revokes nothing more',
    );
  });

  test('failed logins and issued tokens are counted', async () => {
    const before = (await scrape(server.url)).exposition;
    const failures0 = sampleValue(before, 'revokd_login_failures_total') ?? 0;
    const issued0 = sampleValue(before, 'revokd_tokens_issued_total', { kind: 'login' }) ?? 0;
    const bad = await request(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      json: { email: ADMIN_EMAIL, password: 'not-the-password' },
    });
    assert.equal(bad.status, 401, bad.text);
    await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const afterwards = (await scrape(server.url)).exposition;
    assert.equal(sampleValue(afterwards, 'revokd_login_failures_total'), failures0 + 1);
    assert.equal(
      sampleValue(afterwards, 'revokd_tokens_issued_total', { kind: 'login' }),
      issued0 + 1,
    );
  });

  test('requests are labelled by route pattern, never by URL: no token or id reaches the exposition', async () => {
    const tokens = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: tokens.access_token })).status,
      200,
    );
    const id = randomUUID();
    await request(`${server.url}/api/v1/tokens/${id}`, { bearer: tokens.access_token });
    assert.equal(
      (await request(`${server.url}/no-such-route/${id}/${tokens.access_token}`)).status,
      404,
    );
    assert.equal(
      (
        await request(`${server.url}/api/v1/auth/me?token=${tokens.refresh_token}`, {
          bearer: tokens.access_token,
        })
      ).status,
      200,
    );

    const { exposition, text } = await scrape(server.url);
    const requests = samplesOf(exposition, 'revokd_http_requests_total');
    assert.ok(
      (sampleValue(exposition, 'revokd_http_requests_total', {
        method: 'GET',
        route: '/api/v1/auth/me',
        status: '200',
      }) ?? 0) >= 2,
    );
    assert.ok(
      requests.some((s) => s.labels.route === '/api/v1/tokens/:id'),
      'the pattern, not the id',
    );
    assert.ok(
      requests.some((s) => s.labels.route === 'unmatched' && s.labels.status === '404'),
      'unknown paths are "unmatched"',
    );
    assert.ok(
      samplesOf(exposition, 'revokd_http_request_duration_seconds_count').some(
        (s) => s.labels.route === '/api/v1/auth/me',
      ),
    );
    for (const s of requests) {
      assert.ok(
        s.labels.route === 'unmatched' || /^\/[A-Za-z0-9/._:-]*$/.test(s.labels.route ?? ''),
        `route label ${s.labels.route}`,
      );
      assert.ok(!(s.labels.route ?? '').includes('?'), 'no query string');
    }
    for (const secret of [tokens.access_token, tokens.refresh_token, tokens.session_id, id]) {
      assert.ok(!text.includes(secret), 'no token or id in the exposition');
    }
    assert.doesNotMatch(text, UUID, 'no uuid anywhere in the exposition');
    assert.ok(!text.includes('eyJ'), 'no JWT fragment anywhere in the exposition');
  });
});

describe('/metrics with REVOKD_METRICS_TOKEN', () => {
  const metricsToken = 'metrics-scrape-token-0123456789';
  let server: ServerProcess;
  before(async () => {
    server = await ServerProcess.start({ env: { REVOKD_METRICS_TOKEN: metricsToken } });
  });
  after(async () => {
    await server?.stop();
  });

  test('without the token (or with a wrong one) 401 in the standard error shape; with it 200', async () => {
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: `Bearer ${metricsToken}x` },
      { authorization: `Bearer ${metricsToken.slice(0, -1)}` },
      { authorization: `Basic ${Buffer.from(`x:${metricsToken}`).toString('base64')}` },
      { authorization: metricsToken },
    ];
    for (const headers of attempts) {
      const res = await request(`${server.url}/metrics`, { headers });
      assert.equal(res.status, 401, `${JSON.stringify(headers)}: ${res.text}`);
      assert.equal(res.body.error, 'invalid_token');
      assert.equal(res.body.code, 'ERR_INVALID_TOKEN');
      assert.equal(typeof res.body.error_description, 'string');
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer /);
      assert.ok(!res.text.includes('revokd_'), 'nothing of the exposition leaks');
    }
    const { exposition } = await scrape(server.url, { authorization: `Bearer ${metricsToken}` });
    // The refused scrapes were requests like any other, counted under the route pattern.
    assert.ok(
      (sampleValue(exposition, 'revokd_http_requests_total', {
        method: 'GET',
        route: '/metrics',
        status: '401',
      }) ?? 0) >= attempts.length,
    );
    assert.ok(
      !(await request(`${server.url}/metrics`, { bearer: metricsToken })).text.includes(
        metricsToken,
      ),
    );
  });
});
