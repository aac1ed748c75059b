/**
 * Issue 9 item 13 against a real server: an API-token revocation is counted in
 * revokd_revocations_total (scope api_token, with its reason and initiator, like any revocation),
 * and every refresh attempt's outcome in revokd_token_checks_total{kind="refresh_token"}.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { login, request } from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess } from '../support/server-process.js';
import { type Exposition, parsePrometheusText, sampleValue } from '../support/prometheus-text.js';

describe('metrics: API-token revocations and refresh checks', () => {
  let server: ServerProcess;
  const scrape = async (): Promise<Exposition> => {
    const res = await request(`${server.url}/metrics`);
    assert.equal(res.status, 200);
    return parsePrometheusText(res.text);
  };
  before(async () => {
    server = await ServerProcess.start();
  });
  after(async () => {
    await server?.stop();
  });

  test('revoking an API token (owner, then admin) moves revokd_revocations_total{scope="api_token"} by one each', async () => {
    const admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const create = async (name: string) => {
      const res = await request(`${server.url}/api/v1/tokens`, {
        method: 'POST',
        bearer: admin.access_token,
        json: { name },
      });
      assert.equal(res.status, 201, res.text);
      return res.body.id as string;
    };
    const byOwner = { scope: 'api_token', reason: 'user_request', initiator: 'user' };
    const byAdmin = { scope: 'api_token', reason: 'admin', initiator: 'admin' };
    const a = await create('ci');
    const b = await create('deploy');
    const m0 = await scrape();

    assert.equal(
      (
        await request(`${server.url}/api/v1/tokens/${a}`, {
          method: 'DELETE',
          bearer: admin.access_token,
        })
      ).status,
      200,
    );
    const m1 = await scrape();
    assert.equal(
      sampleValue(m1, 'revokd_revocations_total', byOwner),
      (sampleValue(m0, 'revokd_revocations_total', byOwner) ?? 0) + 1,
    );

    const res = await request(`${server.url}/api/v1/admin/api-tokens/${b}/revoke`, {
      method: 'POST',
      bearer: admin.access_token,
      json: { reason: 'leaked' },
    });
    assert.equal(res.status, 200, res.text);
    // Revoking it again is a 409 and counts nothing.
    assert.equal(
      (
        await request(`${server.url}/api/v1/admin/api-tokens/${b}/revoke`, {
          method: 'POST',
          bearer: admin.access_token,
          json: { reason: 'x' },
        })
      ).status,
      409,
    );
    const m2 = await scrape();
    assert.equal(
      sampleValue(m2, 'revokd_revocations_total', byAdmin),
      (sampleValue(m0, 'revokd_revocations_total', byAdmin) ?? 0) + 1,
    );
    assert.equal(
      sampleValue(m2, 'revokd_revocations_total', byOwner),
      sampleValue(m1, 'revokd_revocations_total', byOwner),
    );
  });

  test('refresh attempts are counted by outcome: valid, then a reuse (revoked), then a malformed token (invalid)', async () => {
    const checks = (m: Exposition, outcome: string) =>
      sampleValue(m, 'revokd_token_checks_total', { kind: 'refresh_token', outcome }) ?? 0;
    const session = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const m0 = await scrape();
    const refresh = (token: string) =>
      request(`${server.url}/api/v1/auth/refresh`, {
        method: 'POST',
        json: { refresh_token: token },
      });

    assert.equal((await refresh(session.refresh_token)).status, 200);
    const m1 = await scrape();
    assert.equal(checks(m1, 'valid'), checks(m0, 'valid') + 1);

    // A replay inside the grace window (default 10 s) is answered with the same successor: valid.
    const rotated = await refresh(session.refresh_token);
    assert.equal(
      rotated.status,
      200,
      'inside the grace window the predecessor gets the same successor',
    );
    const next = await refresh(rotated.body.refresh_token);
    assert.equal(next.status, 200);
    // Now the original's successor is consumed too: the original is no longer the immediate predecessor → reuse.
    assert.equal((await refresh(session.refresh_token)).status, 401);
    const m2 = await scrape();
    assert.equal(checks(m2, 'valid'), checks(m0, 'valid') + 3);
    assert.equal(checks(m2, 'revoked'), checks(m0, 'revoked') + 1, 'the reuse is a revoked check');

    assert.equal((await refresh('not-a-refresh-token')).status, 401);
    const m3 = await scrape();
    assert.equal(checks(m3, 'invalid'), checks(m0, 'invalid') + 1);
  });
});
