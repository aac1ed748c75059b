/**
 * Two instances on one store and one Redis (issue 10, must-show 1): a token issued by A is accepted
 * by B; revoked on A, B refuses it on a bearer route (401) and on introspection ({"active":false})
 * with a confidential client made by the CLI on the same store. Then the revoke-on-A → 401-on-B
 * interval over a small sample, printed as p50/p99/max (`npm run bench` takes the 1 000-sample
 * figure with the same loop, bench/propagation-between-instances.ts). No assertion on speed: every
 * sample must be refused by B, within a generous bound that only a lost revocation would exceed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { measurePropagation } from '../../bench/propagation-between-instances.js';
import { Cluster } from '../support/cluster.js';
import { createUserViaAdmin, introspect, login, request } from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../support/server-process.js';
import { until } from '../support/until.js';

const SAMPLES = 50;
type Client = { client_id: string; client_secret: string };

describe('two instances: a revocation on A is enforced by B', () => {
  let cluster: Cluster;
  let client: Client;

  before(async () => {
    cluster = await Cluster.start({
      label: 'cluster_propagation',
      instances: 2,
      // The latency loop polls B as fast as it answers: thousands of bearer requests from one address.
      env: {
        REVOKD_RATE_LIMIT_LOGIN_PER_MINUTE: '0',
        REVOKD_RATE_LIMIT_REFRESH_PER_MINUTE: '0',
        REVOKD_RATE_LIMIT_REVOKE_PER_MINUTE: '0',
        REVOKD_RATE_LIMIT_BEARER_PER_MINUTE: '0',
      },
    });
    const created = await cluster.cli(['client', 'create', '--name', 'resource-server', '--json']);
    assert.equal(created.code, 0, created.stderr);
    client = JSON.parse(created.stdout) as Client;
    assert.ok(client.client_secret, 'a confidential client');
  });
  after(async () => {
    await cluster?.stop();
  });

  test('issued by A, accepted by B; revoked on A, refused by B on /me and on introspection', async () => {
    const [a, b] = [cluster.instance(0), cluster.instance(1)];
    const admin = await login(a.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    await createUserViaAdmin(a.url, admin.access_token, 'spread@example.com', 'user-password-1');
    const session = await login(a.url, 'spread@example.com', 'user-password-1');

    const me = await request(`${b.url}/api/v1/auth/me`, { bearer: session.access_token });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.email, 'spread@example.com');
    const live = await introspect(b.url, client, session.access_token);
    assert.equal(live.body.active, true, live.text);

    const revoked = await request(`${a.url}/api/v1/auth/revoke`, {
      method: 'POST',
      bearer: session.access_token,
    });
    assert.equal(revoked.status, 200, revoked.text);
    // A enforces its own revocation before acknowledging it; B once it has reached it.
    assert.equal(
      (await request(`${a.url}/api/v1/auth/me`, { bearer: session.access_token })).status,
      401,
    );
    await until('B refusing the token revoked on A', async () =>
      (await request(`${b.url}/api/v1/auth/me`, { bearer: session.access_token })).status === 401
        ? true
        : undefined,
    );
    const refused = await request(`${b.url}/api/v1/auth/me`, { bearer: session.access_token });
    assert.match(refused.headers.get('www-authenticate') ?? '', /^Bearer .*error="invalid_token"/);
    const inactive = await introspect(b.url, client, session.access_token);
    assert.equal(inactive.status, 200);
    assert.equal(inactive.text, '{"active":false}');

    // A user-wide revocation on A reaches B too (a cutoff, not a jti entry).
    const other = await login(a.url, 'spread@example.com', 'user-password-1');
    assert.equal(
      (
        await request(`${a.url}/api/v1/auth/revoke-all`, {
          method: 'POST',
          bearer: other.access_token,
          json: {},
        })
      ).status,
      200,
    );
    await until('B refusing the user revoked on A', async () =>
      (await introspect(b.url, client, other.access_token)).text === '{"active":false}'
        ? true
        : undefined,
    );
    assert.equal(
      (await request(`${b.url}/api/v1/auth/me`, { bearer: other.access_token })).status,
      401,
    );
  });

  test(`revoke on A → 401 on B, ${SAMPLES} samples: every one refused by B, on /me and on introspection`, async (t) => {
    const result = await measurePropagation(cluster.instance(0), cluster.instance(1), {
      samples: SAMPLES,
      onSample: async ({ accessToken }) => {
        const seen = await introspect(cluster.instance(1).url, client, accessToken);
        assert.equal(seen.text, '{"active":false}', 'introspection on B agrees with /me on B');
      },
    });
    assert.equal(result.samples, SAMPLES);
    const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;
    t.diagnostic(
      `revoke on A → 401 on B over ${SAMPLES} revocations (${cluster.backend}): p50 ${fmt(result.p50Ms)}, p99 ${fmt(result.p99Ms)}, max ${fmt(result.maxMs)}`,
    );
  });
});
