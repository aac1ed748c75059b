/**
 * Three instances behind HAProxy, configured from scripts/cluster/haproxy.cfg.template (issue 10,
 * must-show 6): requests spread over the instances and they agree; per-IP rate limits and the
 * once-an-hour API-token revoke-all hold across instances (shared Redis and store); an IP block
 * made on one instance locks the address out on all; one instance SIGKILLed, the cluster keeps
 * serving and takes it back when it returns. HAProxy sets X-Revokd-Instance, which names the
 * instance that answered. The test plays a proxy in front of HAProxy (it sits on loopback, which
 * HAProxy and revokd trust), so the X-Forwarded-For it sends is the client address revokd sees.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster, haproxyInstalled, instanceName } from '../support/cluster.js';
import { type JsonResponse, createUserViaAdmin, login, request } from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../support/server-process.js';
import { until } from '../support/until.js';

const LOGINS_PER_MINUTE = 5;
const PASSWORD = 'user-password-1';
const from = (ip: string): Record<string, string> => ({ 'x-forwarded-for': ip });
const servedBy = (res: { headers: Headers }): string =>
  res.headers.get('x-revokd-instance') ?? '(none)';

const skip = haproxyInstalled()
  ? false
  : "haproxy is not installed (.ci/run installs Debian's haproxy): the load-balancer tests cannot run";

describe('three instances behind HAProxy', { skip }, () => {
  let cluster: Cluster;
  let adminToken: string;
  let userCount = 0;

  async function newUser(): Promise<string> {
    const email = `lb-user-${++userCount}@example.com`;
    await createUserViaAdmin(cluster.url, adminToken, email, PASSWORD);
    return email;
  }

  before(async () => {
    cluster = await Cluster.start({
      label: 'cluster_haproxy',
      instances: 3,
      haproxy: true,
      env: { REVOKD_RATE_LIMIT_LOGIN_PER_MINUTE: String(LOGINS_PER_MINUTE) },
    });
    adminToken = (await login(cluster.url, ADMIN_EMAIL, ADMIN_PASSWORD, from('192.0.2.1')))
      .access_token;
  });
  after(async () => {
    await cluster?.stop();
  });

  test('login, refresh and revoke land on three different instances, and every instance agrees on the outcome', async () => {
    const ip = from('192.0.2.10');
    // Round robin puts three requests in a row on three instances — unless a slow /readyz on this
    // shared machine took one out of rotation for a moment: then the scenario runs again.
    let email = '';
    let loggedIn!: JsonResponse;
    let refreshed!: JsonResponse;
    let landed: string[] = [];
    for (let attempt = 0; attempt < 5 && new Set(landed).size < 3; attempt++) {
      email = await newUser();
      loggedIn = await request(`${cluster.url}/api/v1/auth/login`, {
        method: 'POST',
        json: { email, password: PASSWORD },
        headers: ip,
      });
      assert.equal(loggedIn.status, 200, loggedIn.text);
      refreshed = await request(`${cluster.url}/api/v1/auth/refresh`, {
        method: 'POST',
        json: { refresh_token: loggedIn.body.refresh_token },
        headers: ip,
      });
      assert.equal(refreshed.status, 200, refreshed.text);
      const revoked = await request(`${cluster.url}/api/v1/auth/revoke`, {
        method: 'POST',
        bearer: refreshed.body.access_token,
        headers: ip,
      });
      assert.equal(revoked.status, 200, revoked.text);
      landed = [servedBy(loggedIn), servedBy(refreshed), servedBy(revoked)];
    }
    assert.equal(
      new Set(landed).size,
      3,
      `login, refresh and revoke should be answered by three instances, were by ${landed.join(', ')}`,
    );

    for (const [i, server] of cluster.instances.entries()) {
      // The revoked token is refused everywhere (the instance that revoked it at once, the others from the feed)...
      await until(`${instanceName(i)} refusing the revoked access token`, async () =>
        (await request(`${server.url}/api/v1/auth/me`, { bearer: refreshed.body.access_token }))
          .status === 401
          ? true
          : undefined,
      );
      // ...while the session's other access token, and its rotated refresh token, are not touched.
      const me = await request(`${server.url}/api/v1/auth/me`, {
        bearer: loggedIn.body.access_token,
      });
      assert.equal(
        me.status,
        200,
        `${instanceName(i)}: the login's access token should still be accepted`,
      );
      assert.equal(me.body.email, email);
    }
    // The consumed refresh token is a replay on whichever instance receives it.
    const replay = await request(`${cluster.url}/api/v1/auth/refresh`, {
      method: 'POST',
      json: { refresh_token: loggedIn.body.refresh_token },
      headers: ip,
    });
    assert.equal(
      replay.status,
      200,
      'the immediate predecessor within the grace window gets the same successor',
    );
    assert.equal(
      replay.body.refresh_token,
      refreshed.body.refresh_token,
      `replay answered by ${servedBy(replay)} returned another successor`,
    );
  });

  test('the per-IP login limit is one budget across the three instances (shared Redis)', async () => {
    const email = await newUser();
    const ip = from('198.51.100.7');
    const landed = new Set<string>();
    for (let i = 0; i < LOGINS_PER_MINUTE; i++) {
      const res = await request(`${cluster.url}/api/v1/auth/login`, {
        method: 'POST',
        json: { email, password: PASSWORD },
        headers: ip,
      });
      assert.equal(res.status, 200, `login ${i + 1} of ${LOGINS_PER_MINUTE}: ${res.text}`);
      landed.add(servedBy(res));
    }
    // Round robin spreads the budget over all three, unless a /readyz slowed by a loaded machine took
    // one out of rotation for a moment (seen in CI-like runs). Two are enough for what is shown: no
    // instance saw the whole budget itself, yet each refuses the next login.
    assert.ok(
      landed.size >= 2,
      `the budget was spent on one instance only (${[...landed].join(', ')})`,
    );
    for (const [i, server] of cluster.instances.entries()) {
      const res = await request(`${server.url}/api/v1/auth/login`, {
        method: 'POST',
        json: { email, password: PASSWORD },
        headers: ip,
      });
      assert.equal(
        res.status,
        429,
        `${instanceName(i)} should refuse login ${LOGINS_PER_MINUTE + 1 + i} from the address: ${res.status} ${res.text}`,
      );
      assert.ok(Number(res.headers.get('retry-after')) > 0, 'Retry-After');
    }
    // Another address still has its whole budget.
    const other = await request(`${cluster.url}/api/v1/auth/login`, {
      method: 'POST',
      json: { email, password: PASSWORD },
      headers: from('198.51.100.8'),
    });
    assert.equal(other.status, 200);
  });

  test('the once-an-hour API-token revoke-all holds across instances', async () => {
    const email = await newUser();
    const session = await login(cluster.url, email, PASSWORD, from('192.0.2.20'));
    const created = await request(`${cluster.url}/api/v1/tokens`, {
      method: 'POST',
      bearer: session.access_token,
      json: { name: 'ci' },
      headers: from('192.0.2.20'),
    });
    assert.equal(created.status, 201, created.text);
    const first = await request(`${cluster.url}/api/v1/tokens/revoke-all`, {
      method: 'POST',
      bearer: session.access_token,
      json: {},
      headers: from('192.0.2.20'),
    });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.body.revoked_count, 1);
    const second = await request(`${cluster.url}/api/v1/tokens/revoke-all`, {
      method: 'POST',
      bearer: session.access_token,
      json: {},
      headers: from('192.0.2.20'),
    });
    assert.notEqual(
      servedBy(second),
      servedBy(first),
      'the second call should reach another instance',
    );
    assert.equal(
      second.status,
      429,
      `second revoke-all within the hour, on ${servedBy(second)}: ${second.text}`,
    );
    assert.ok(
      Number(second.headers.get('retry-after')) > 60,
      'Retry-After points to the end of the hour',
    );
    for (const [i, server] of cluster.instances.entries()) {
      const again = await request(`${server.url}/api/v1/tokens/revoke-all`, {
        method: 'POST',
        bearer: session.access_token,
        json: {},
      });
      assert.equal(again.status, 429, `${instanceName(i)} directly: ${again.text}`);
    }
    // The revoked API token is refused by every instance.
    for (const server of cluster.instances) {
      assert.equal(
        (await request(`${server.url}/api/v1/auth/me`, { bearer: created.body.token })).status,
        401,
      );
    }
  });

  test('an IP block made on one instance locks the address out on all, and revokes its sessions everywhere', async () => {
    const email = await newUser();
    const blockedIp = '203.0.113.9';
    const victim = await login(cluster.url, email, PASSWORD, from(blockedIp));
    const block = await request(`${cluster.instance(0).url}/api/v1/security/blocks`, {
      method: 'POST',
      bearer: adminToken,
      json: { ip: blockedIp, reason: 'cluster test' },
    });
    assert.equal(block.status, 201, block.text);
    assert.equal(block.body.revoked_sessions, 1);
    for (const [i, server] of cluster.instances.entries()) {
      await until(`${instanceName(i)} refusing ${blockedIp}`, async () =>
        (
          await request(`${server.url}/api/v1/auth/login`, {
            method: 'POST',
            json: { email, password: PASSWORD },
            headers: from(blockedIp),
          })
        ).status === 403
          ? true
          : undefined,
      );
      assert.equal(
        (await request(`${server.url}/api/v1/auth/me`, { bearer: victim.access_token })).status,
        401,
        `${instanceName(i)}: the session from the blocked address is revoked`,
      );
    }
    const landed = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const res = await request(`${cluster.url}/api/v1/auth/login`, {
        method: 'POST',
        json: { email, password: PASSWORD },
        headers: from(blockedIp),
      });
      assert.equal(res.status, 403, `through HAProxy (${servedBy(res)}): ${res.text}`);
      assert.equal(res.body.code, 'ERR_IP_BLOCKED');
      landed.add(servedBy(res));
    }
    assert.equal(landed.size, 3);
    // The same user from another address is let in.
    assert.equal(
      (
        await request(`${cluster.url}/api/v1/auth/login`, {
          method: 'POST',
          json: { email, password: PASSWORD },
          headers: from('192.0.2.30'),
        })
      ).status,
      200,
    );
  });

  test('one instance SIGKILLed: every request through HAProxy is still answered; it rejoins when restarted', async () => {
    const email = await newUser();
    const session = await login(cluster.url, email, PASSWORD, from('192.0.2.40'));
    const victim = cluster.instance(1);
    await victim.kill();
    // HAProxy retries a refused connection on another instance, so no request fails even before
    // the health checks mark the dead one down; after that, none is sent to it.
    const landed = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const me = await request(`${cluster.url}/api/v1/auth/me`, { bearer: session.access_token });
      assert.equal(me.status, 200, `request ${i + 1} after the kill: ${me.status} ${me.text}`);
      landed.add(servedBy(me));
    }
    assert.ok(
      !landed.has(instanceName(1)),
      `the killed instance answered? ${[...landed].join(', ')}`,
    );
    assert.equal(landed.size, 2);
    const revoked = await request(`${cluster.url}/api/v1/auth/logout`, {
      method: 'POST',
      bearer: session.access_token,
    });
    assert.equal(revoked.status, 204, 'writes go on on the survivors');

    await victim.spawn();
    await until('HAProxy sending requests to the restarted instance again', async () => {
      const res = await request(`${cluster.url}/readyz`);
      return servedBy(res) === instanceName(1) ? true : undefined;
    });
    // The restarted instance knows the revocation made while it was down.
    assert.equal(
      (await request(`${victim.url}/api/v1/auth/me`, { bearer: session.access_token })).status,
      401,
    );
  });
});
