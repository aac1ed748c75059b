/**
 * Containment an outsider cannot aim (issue 9, items 1–3), against real server processes: a canary
 * relayed by a resource server alerts without blocking it; cross-site honeypot hits count for
 * nothing; loopback (and a proxy) is never auto-blocked; an IPv6 /64 counts as one address; the
 * hourly cap on automatic blocks holds across a restart; manual blocks refuse your own address and
 * over-broad ranges; probes answer blocked addresses; a block reaches a grace-window replay and API
 * tokens created or last used from the range (owner mailed through a real SMTP sink).
 *
 * Requests come from 127.0.0.1; with REVOKD_TRUSTED_PROXIES=127.0.0.1, X-Forwarded-For plays the
 * other addresses.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createClientViaAdmin,
  createUserViaAdmin,
  introspect,
  login,
  request,
} from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess, runCli } from '../support/server-process.js';
import { type ReceivedMail, SmtpSink } from '../support/smtp-sink.js';
import { until } from '../support/until.js';

const xff = (ip: string): Record<string, string> => ({ 'x-forwarded-for': ip });
/** Not exempt from the lockdown: 403 ERR_IP_BLOCKED exactly when the address is blocked. */
const STATUS = '/api/v1/auth/revocation-status';

type Alert = {
  type: string;
  severity: string;
  subject: string | null;
  ip: string | null;
  details: Record<string, unknown>;
};
type Block = { cidr: string; source: string; active: boolean };

function adminApi(server: ServerProcess, bearer: () => string) {
  return {
    alerts: async (type: string): Promise<Alert[]> =>
      (
        (await request(`${server.url}/api/v1/security/alerts?limit=500`, { bearer: bearer() })).body
          .alerts as Alert[]
      ).filter((a) => a.type === type),
    blocks: async (): Promise<Block[]> =>
      (await request(`${server.url}/api/v1/security/blocks`, { bearer: bearer() })).body
        .blocks as Block[],
    isBlocked: async (ip: string): Promise<boolean> => {
      const res = await request(`${server.url}${STATUS}`, { headers: xff(ip) });
      if (res.status === 403) assert.equal(res.body.code, 'ERR_IP_BLOCKED');
      else assert.equal(res.status, 200, res.text);
      return res.status === 403;
    },
  };
}

const honeypotHit = (server: ServerProcess, ip: string, headers: Record<string, string> = {}) =>
  request(`${server.url}/.env`, { headers: { ...xff(ip), ...headers } });

describe('containment behind a trusted proxy', () => {
  let server: ServerProcess;
  let sink: SmtpSink;
  let admin: { access_token: string };
  let api: ReturnType<typeof adminApi>;
  before(async () => {
    sink = await SmtpSink.start();
    server = await ServerProcess.start({
      env: {
        REVOKD_TRUSTED_PROXIES: '127.0.0.1',
        REVOKD_SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
        REVOKD_MAIL_POLL_MS: '50',
        REVOKD_MAIL_FROM: 'revokd-test@example.org',
        // Long enough that the usage recorder has not flushed when the block lands (the block must flush it).
        REVOKD_API_TOKEN_USAGE_FLUSH_MS: '600000',
      },
    });
    admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    api = adminApi(server, () => admin.access_token);
  });
  after(async () => {
    await server?.stop();
    await sink?.close();
  });

  test("a canary relayed by a resource server's introspection alerts naming the client and never blocks the resource server", async () => {
    const rsIp = '198.51.100.10';
    const planted = await request(`${server.url}/api/v1/security/canaries`, {
      method: 'POST',
      bearer: admin.access_token,
      json: { name: 'relayed-canary' },
    });
    assert.equal(planted.status, 201, planted.text);
    const rs = await createClientViaAdmin(server.url, admin.access_token, 'resource-server-relay');
    const viaRs = (token: string) =>
      request(`${server.url}/oauth/introspect`, {
        method: 'POST',
        form: { token, client_id: rs.client_id, client_secret: rs.client_secret },
        headers: xff(rsIp),
      });
    const first = await viaRs(planted.body.token);
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(first.body, { active: false });
    // Its next introspection (of a live token) still works: nothing blocked it.
    const user = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const next = await viaRs(user.access_token);
    assert.equal(next.status, 200, next.text);
    assert.equal(next.body.active, true);
    assert.equal(await api.isBlocked(rsIp), false);
    assert.ok(!(await api.blocks()).some((b) => b.cidr === `${rsIp}/32`));
    const [alert, ...more] = (await api.alerts('canary_triggered')).filter(
      (a) => a.details.relayed_by_client === rs.client_id,
    );
    assert.ok(alert !== undefined, 'a CRITICAL alert names the relaying client');
    assert.equal(more.length, 0);
    assert.equal(alert.severity, 'CRITICAL');
    assert.equal(alert.subject, `client:${rs.client_id}`);
    assert.equal(alert.details.blocked, false);

    // Passed on to /oauth/revoke by another resource server: the same answer as any API token, an alert naming it, no block.
    const rs2 = await createClientViaAdmin(
      server.url,
      admin.access_token,
      'resource-server-revoke',
    );
    const ordinary = await request(`${server.url}/api/v1/tokens`, {
      method: 'POST',
      bearer: user.access_token,
      json: { name: 'ordinary' },
    });
    const revokeVia = (token: string) =>
      request(`${server.url}/oauth/revoke`, {
        method: 'POST',
        form: { token, client_id: rs2.client_id, client_secret: rs2.client_secret },
        headers: xff('198.51.100.12'),
      });
    const revokedCanary = await revokeVia(planted.body.token);
    const revokedOrdinary = await revokeVia(ordinary.body.token);
    assert.equal(revokedCanary.status, revokedOrdinary.status);
    assert.deepEqual(revokedCanary.body, revokedOrdinary.body);
    assert.equal(await api.isBlocked('198.51.100.12'), false);
    assert.equal(
      (await api.alerts('canary_triggered')).filter(
        (a) => a.details.relayed_by_client === rs2.client_id,
      ).length,
      1,
    );

    // The same canary presented directly, as a bearer, from another address blocks that address.
    const thief = '198.51.100.11';
    const used = await request(`${server.url}/api/v1/auth/me`, {
      bearer: planted.body.token,
      headers: xff(thief),
    });
    assert.equal(used.status, 401);
    await until('the bearer of the canary is blocked', async () =>
      (await api.isBlocked(thief)) ? true : undefined,
    );
    assert.equal(await api.isBlocked(rsIp), false);
  });

  test('cross-site and same-site honeypot hits are answered 404 and not counted; three plain hits block', async () => {
    const visitor = '203.0.113.50';
    for (const site of ['cross-site', 'same-site', 'cross-site', 'same-site']) {
      const res = await honeypotHit(server, visitor, { 'sec-fetch-site': site });
      assert.equal(res.status, 404, res.text);
    }
    assert.equal(await api.isBlocked(visitor), false);
    const scanner = '203.0.113.51';
    for (let i = 0; i < 3; i++) assert.equal((await honeypotHit(server, scanner)).status, 404);
    assert.equal(await api.isBlocked(scanner), true);
    assert.equal(await api.isBlocked(visitor), false);
    assert.ok(
      (await api.blocks()).some((b) => b.cidr === `${scanner}/32` && b.source === 'honeypot'),
    );
  });

  test('500 honeypot hits from 500 addresses of one IPv6 /64 count as one address and block that /64 once', async () => {
    const statuses = new Map<number, number>();
    for (let i = 1; i <= 500; i++) {
      const res = await honeypotHit(server, `2001:db8:5:6::${i.toString(16)}`);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
    // The third hit (from the third address) blocks the /64; every later address in it is refused.
    assert.deepEqual(Object.fromEntries(statuses), { 404: 3, 403: 497 });
    const blocks = (await api.blocks()).filter((b) => b.cidr.startsWith('2001:db8:5:'));
    assert.deepEqual(
      blocks.map((b) => [b.cidr, b.source]),
      [['2001:db8:5:6::/64', 'honeypot']],
    );
    assert.equal(
      (await api.alerts('honeypot_triggered')).filter((a) => a.ip?.startsWith('2001:db8:5:6:'))
        .length,
      1,
    );
    assert.equal(await api.isBlocked('2001:db8:5:6:ffff::1'), true);
    assert.equal(await api.isBlocked('2001:db8:5:7::1'), false, 'the next /64 is someone else');
  });

  test('admin API: a block containing your own address is 400; 0.0.0.0/0 and ::/0 are 400 without force; a blocked address still gets 200 from the probes', async () => {
    const post = (json: Record<string, unknown>, ip?: string) =>
      request(`${server.url}/api/v1/security/blocks`, {
        method: 'POST',
        bearer: admin.access_token,
        json: { reason: 'test', ...json },
        ...(ip === undefined ? {} : { headers: xff(ip) }),
      });
    const own = await post({ cidr: '198.51.100.0/24' }, '198.51.100.60');
    assert.equal(own.status, 400, own.text);
    assert.equal(own.body.code, 'ERR_VALIDATION');
    assert.match(own.body.error_description, /contains your own address \(198\.51\.100\.60\)/);
    const ownV4Mapped = await post({ ip: '::ffff:127.0.0.1' });
    assert.equal(ownV4Mapped.status, 400, "the proxy's own address, in its IPv4-mapped spelling");
    for (const cidr of ['0.0.0.0/0', '::/0', '10.0.0.0/7', '2001:db8::/31']) {
      const broad = await post({ cidr });
      assert.equal(broad.status, 400, `${cidr}: ${broad.text}`);
      assert.match(
        broad.body.error_description,
        /broader than \/8 \(IPv4\) or \/32 \(IPv6\).*force/,
      );
    }
    assert.equal(
      (await post({ cidr: '10.0.0.0/7', force: 'yes' })).status,
      400,
      'force must be a boolean',
    );
    const forced = await post({ cidr: '10.0.0.0/7', force: true });
    assert.equal(forced.status, 201, forced.text);
    assert.equal(forced.body.cidr, '10.0.0.0/7');
    assert.equal(typeof forced.body.revoked_api_tokens, 'number');
    await until('the forced block is enforced', async () =>
      (await api.isBlocked('10.1.2.3')) ? true : undefined,
    );
    for (const probe of ['/healthz', '/readyz']) {
      const res = await request(`${server.url}${probe}`, { headers: xff('10.1.2.3') });
      assert.equal(res.status, 200, `${probe}: ${res.text}`);
    }
  });

  test('a refresh replayed inside the grace window from address B records B: blocking B kills the session', async () => {
    const email = `grace-${Date.now()}@example.com`;
    await createUserViaAdmin(server.url, admin.access_token, email, 'user-password-1');
    const a = '192.0.2.30';
    const b = '192.0.2.31';
    const first = await login(server.url, email, 'user-password-1', xff(a));
    const refresh = (token: string, ip: string) =>
      request(`${server.url}/api/v1/auth/refresh`, {
        method: 'POST',
        json: { refresh_token: token },
        headers: xff(ip),
      });
    const rotated = await refresh(first.refresh_token, a);
    assert.equal(rotated.status, 200, rotated.text);
    const replayed = await refresh(first.refresh_token, b);
    assert.equal(
      replayed.status,
      200,
      `inside the grace window the replay gets the same successor: ${replayed.text}`,
    );
    assert.equal(replayed.body.refresh_token, rotated.body.refresh_token);

    const block = await request(`${server.url}/api/v1/security/blocks`, {
      method: 'POST',
      bearer: admin.access_token,
      json: { ip: b, reason: 'token thief' },
    });
    assert.equal(block.status, 201, block.text);
    assert.equal(block.body.revoked_sessions, 1);
    const rs = await createClientViaAdmin(server.url, admin.access_token, `rs-grace-${Date.now()}`);
    assert.deepEqual((await introspect(server.url, rs, replayed.body.access_token)).body, {
      active: false,
    });
    assert.deepEqual((await introspect(server.url, rs, rotated.body.refresh_token)).body, {
      active: false,
    });
    assert.notEqual((await refresh(rotated.body.refresh_token, a)).status, 200);
  });

  test('an IP block revokes API tokens created or last used from the range (ip_block), counts them, and mails their owners', async () => {
    const email = `apitok-${Date.now()}@example.com`;
    await createUserViaAdmin(server.url, admin.access_token, email, 'user-password-1');
    const range = '198.51.100.128/26';
    const user = await login(server.url, email, 'user-password-1', xff('198.51.100.130'));
    const create = async (name: string, ip: string) => {
      const res = await request(`${server.url}/api/v1/tokens`, {
        method: 'POST',
        bearer: user.access_token,
        json: { name },
        headers: xff(ip),
      });
      assert.equal(res.status, 201, res.text);
      return res.body as { id: string; token: string };
    };
    const createdThere = await create('created-in-range', '198.51.100.130');
    const usedThere = await create('used-in-range', '192.0.2.200');
    const elsewhere = await create('elsewhere', '192.0.2.200');
    // Used from the range just now: only in the (unflushed) usage recorder until the block flushes it.
    assert.equal(
      (
        await request(`${server.url}/api/v1/auth/me`, {
          bearer: usedThere.token,
          headers: xff('198.51.100.150'),
        })
      ).status,
      200,
    );

    const block = await request(`${server.url}/api/v1/security/blocks`, {
      method: 'POST',
      bearer: admin.access_token,
      json: { cidr: range, reason: 'compromised build farm' },
    });
    assert.equal(block.status, 201, block.text);
    assert.equal(block.body.revoked_api_tokens, 2);
    assert.equal(block.body.revoked_sessions, 1);
    for (const t of [createdThere, usedThere]) {
      assert.equal(
        (
          await request(`${server.url}/api/v1/auth/me`, {
            bearer: t.token,
            headers: xff('192.0.2.201'),
          })
        ).status,
        401,
      );
    }
    assert.equal(
      (
        await request(`${server.url}/api/v1/auth/me`, {
          bearer: elsewhere.token,
          headers: xff('192.0.2.201'),
        })
      ).status,
      200,
    );

    const mails = await until('both owner notifications', async () => {
      const found = sink.received.filter((m: ReceivedMail) => m.envelopeTo.includes(email));
      return found.length >= 2 ? found : undefined;
    });
    assert.equal(mails.length, 2);
    for (const m of mails) {
      assert.match(m.text, /reason code: ip_block/);
      assert.match(m.text, /compromised build farm/);
    }
    assert.ok(
      mails.some((m) => m.text.includes('created-in-range')) &&
        mails.some((m) => m.text.includes('used-in-range')),
    );
  });
});

describe('containment with no trusted proxy: every hit is from 127.0.0.1', () => {
  let server: ServerProcess;
  let admin: { access_token: string };
  before(async () => {
    server = await ServerProcess.start({ env: { REVOKD_LOG_LEVEL: 'info' } });
    admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  });
  after(async () => {
    await server?.stop();
  });

  test('honeypot hits from loopback never block loopback; a HIGH alert says so; X-Forwarded-For from an untrusted peer is warned about once', async () => {
    for (let i = 0; i < 5; i++)
      assert.equal(
        (await request(`${server.url}/.env`, { headers: xff(`203.0.113.${i}`) })).status,
        404,
      );
    const status = await request(`${server.url}${STATUS}`);
    assert.equal(status.status, 200, 'loopback is not blocked');
    const blocks = await request(`${server.url}/api/v1/security/blocks`, {
      bearer: admin.access_token,
    });
    assert.deepEqual(blocks.body.blocks, []);
    const alerts = (
      await request(`${server.url}/api/v1/security/alerts?limit=500`, {
        bearer: admin.access_token,
      })
    ).body.alerts as Alert[];
    const suppressed = alerts.filter((a) => a.type === 'auto_block_suppressed');
    assert.equal(suppressed.length, 1, 'deduped per address per hour');
    assert.equal(suppressed[0]!.severity, 'HIGH');
    assert.equal(suppressed[0]!.ip, '127.0.0.1');
    const warning = 'X-Forwarded-For from a peer that is not in REVOKD_TRUSTED_PROXIES was ignored';
    assert.equal(server.output.split(warning).length - 1, 1, 'warned once, not per request');
  });

  test('the CLI obeys the prefix rule: a range broader than /8 needs --force', async () => {
    const cliEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      REVOKD_DATA_DIR: server.dataDir,
    };
    for (const cidr of ['0.0.0.0/0', '::/0', '10.0.0.0/7']) {
      const refused = await runCli(['block', cidr, '--reason', 'too broad', '--json'], cliEnv);
      assert.equal(refused.code, 2, `${cidr}: ${refused.stdout}${refused.stderr}`);
      assert.equal(JSON.parse(refused.stderr).error, 'ERR_VALIDATION');
    }
    const forced = await runCli(
      ['block', '10.0.0.0/7', '--reason', 'on purpose', '--force', '--json'],
      cliEnv,
    );
    assert.equal(forced.code, 0, forced.stderr);
    const body = JSON.parse(forced.stdout);
    assert.equal(body.cidr, '10.0.0.0/7');
    assert.equal(body.revoked_api_tokens, 0);
  });
});

describe('the hourly cap on automatic blocks', () => {
  let server: ServerProcess;
  let admin: { access_token: string };
  before(async () => {
    server = await ServerProcess.start({
      env: {
        REVOKD_TRUSTED_PROXIES: '127.0.0.1',
        REVOKD_HONEYPOT_THRESHOLD: '1',
        REVOKD_AUTO_BLOCKS_PER_HOUR: '2',
      },
    });
    admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  });
  after(async () => {
    await server?.stop();
  });

  test('beyond REVOKD_AUTO_BLOCKS_PER_HOUR no address is blocked, one alert is raised, and the cap holds across a restart', async () => {
    const api = adminApi(server, () => admin.access_token);
    for (const ip of ['192.0.2.61', '192.0.2.62', '192.0.2.63', '192.0.2.64'])
      assert.equal((await honeypotHit(server, ip)).status, 404);
    assert.deepEqual((await api.blocks()).map((b) => b.cidr).sort(), [
      '192.0.2.61/32',
      '192.0.2.62/32',
    ]);
    assert.equal(await api.isBlocked('192.0.2.63'), false);
    assert.equal(await api.isBlocked('192.0.2.64'), false);
    await server.restart();
    admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    assert.equal((await honeypotHit(server, '192.0.2.65')).status, 404);
    assert.equal(await api.isBlocked('192.0.2.65'), false, 'the count is in the store');
    assert.equal((await api.blocks()).length, 2);
    const capped = await api.alerts('auto_block_cap_reached');
    assert.equal(capped.length, 1);
    assert.equal(capped[0]!.severity, 'HIGH');
  });
});
