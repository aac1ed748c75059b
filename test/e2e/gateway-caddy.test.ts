/**
 * `revokd-verifier serve` behind Caddy's `forward_auth … copy_headers` (issue 19, the gateway): a
 * real revokd, the gateway (the package's compiled bin), Debian's caddy running
 * examples/caddy/Caddyfile exactly as docs/gateway.md shows it (ports through its environment
 * placeholders), and an echo upstream that records every request it receives. Caddy runs as the
 * current user, `admin off`, HOME and XDG directories in a temp dir.
 * - a live token reaches the upstream with its identity;
 * - a client-supplied X-Revokd-Sub (or -Sid, -Scope, -Client-Id) never reaches the upstream, with
 *   a valid token (also one without a session) or without one;
 * - 401 with the RFC 6750 challenge; 403 insufficient_scope on the route requiring a scope;
 * - a revoked token is refused within 1 s of the revoke's 200;
 * - revokd stopped: past max-staleness Caddy passes the gateway's 503 and Retry-After on.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import {
  APP_SCOPE,
  GatewayProcess,
  type GatewaySetup,
  echoed,
  installed,
  rawGet,
  setUpRevokd,
  stopRevokdUntil503,
  untilStatus,
} from '../support/gateway.js';
import { REPO_ROOT, freePort, sleep, tempDir } from '../support/server-process.js';
import { type StoppableHttpServer, listenStoppable } from '../support/stoppable-http-server.js';

const MAX_STALENESS_MS = 1500;
const PROPAGATION_BOUND_MS = 1000;
const CADDY = installed('caddy', '/usr/bin/caddy');
const skip =
  CADDY === undefined
    ? "caddy is not installed (.ci/run installs Debian's caddy): the Caddy gateway tests cannot run"
    : false;

/** An upstream answering every request with the headers it received, and remembering them. */
async function echoUpstream(): Promise<
  StoppableHttpServer & { readonly received: http.IncomingHttpHeaders[] }
> {
  const received: http.IncomingHttpHeaders[] = [];
  const server = await listenStoppable((req, res) => {
    received.push(req.headers);
    const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  return Object.assign(server, { received });
}

describe(
  'revokd-verifier serve behind Caddy forward_auth (examples/caddy/Caddyfile)',
  { skip },
  () => {
    let setup: GatewaySetup;
    let gateway: GatewayProcess;
    let upstream: Awaited<ReturnType<typeof echoUpstream>>;
    let caddy: ChildProcess;
    let caddyOutput = '';
    let proxy: string;
    let home: string;

    before(async () => {
      setup = await setUpRevokd('caddy', MAX_STALENESS_MS);
      [gateway, upstream] = await Promise.all([GatewayProcess.start(setup.env), echoUpstream()]);
      const port = await freePort();
      home = tempDir('caddy-home');
      caddy = spawn(
        CADDY as string,
        [
          'run',
          '--config',
          path.join(REPO_ROOT, 'examples/caddy/Caddyfile'),
          '--adapter',
          'caddyfile',
        ],
        {
          cwd: home,
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
          env: {
            PATH: process.env.PATH ?? '',
            HOME: home,
            XDG_DATA_HOME: path.join(home, 'data'),
            XDG_CONFIG_HOME: path.join(home, 'config'),
            CADDY_LISTEN: `127.0.0.1:${port}`,
            REVOKD_GATEWAY: new URL(gateway.url).host,
            APP_UPSTREAM: `127.0.0.1:${upstream.port}`,
          },
        },
      );
      caddy.stdout?.on('data', (d: Buffer) => {
        caddyOutput += d.toString();
      });
      caddy.stderr?.on('data', (d: Buffer) => {
        caddyOutput += d.toString();
      });
      proxy = `http://127.0.0.1:${port}`;
      // Ready when Caddy answers through the gateway (401: no token).
      const deadline = Date.now() + 15_000;
      for (;;) {
        if (caddy.exitCode !== null)
          throw new Error(`caddy exited with ${caddy.exitCode}:\n${caddyOutput}`);
        const status = await rawGet(`${proxy}/`).then(
          (r) => r.status,
          () => 0,
        );
        if (status === 401) break;
        if (Date.now() > deadline)
          throw new Error(`caddy did not answer 401 (last ${status}):\n${caddyOutput}`);
        await sleep(100);
      }
    });
    after(async () => {
      if (caddy !== undefined && caddy.exitCode === null && caddy.signalCode === null) {
        const exited = new Promise((resolve) => caddy.once('exit', resolve));
        try {
          process.kill(-(caddy.pid as number), 'SIGKILL');
        } catch {
          /* gone */
        }
        await exited;
      }
      await gateway?.stop();
      await upstream?.stop();
      await setup?.cleanup();
      if (home !== undefined) fs.rmSync(home, { recursive: true, force: true });
    });

    test('a live token reaches the upstream with its identity in X-Revokd-Sub, -Client-Id, -Scope and -Sid', async () => {
      const token = await setup.userToken();
      const claims = decodeJwt(token);
      const res = await rawGet(`${proxy}/hello?x=1`, { authorization: `Bearer ${token}` });
      assert.equal(res.status, 200, res.body);
      const seen = echoed(res)!;
      assert.equal(seen['x-revokd-sub'], claims.sub);
      assert.equal(seen['x-revokd-client-id'], claims.client_id);
      assert.equal(seen['x-revokd-scope'] ?? '', claims.scope);
      assert.equal(seen['x-revokd-sid'], claims.sid);
      assert.equal(JSON.parse(res.body).url, '/hello?x=1');
    });

    test('a client-supplied X-Revokd-Sub never reaches the upstream: with a valid token, one without a session, without a token, sent twice', async () => {
      const forged = {
        'x-revokd-sub': 'forged-admin',
        'X-Revokd-Sid': 'forged-sid',
        'x-revokd-scope': 'admin',
        'X-REVOKD-CLIENT-ID': 'forged',
      };
      const token = await setup.userToken();
      const withToken = await rawGet(`${proxy}/`, { ...forged, authorization: `Bearer ${token}` });
      assert.equal(withToken.status, 200, withToken.body);
      assert.equal(echoed(withToken)!['x-revokd-sub'], decodeJwt(token).sub);
      assert.doesNotMatch(JSON.stringify(echoed(withToken)), /forged/);

      const twice = await rawGet(`${proxy}/`, {
        'x-revokd-sub': ['forged-1', 'forged-2'],
        authorization: `Bearer ${token}`,
      });
      assert.equal(twice.status, 200);
      assert.equal(echoed(twice)!['x-revokd-sub'], decodeJwt(token).sub);

      const app = await setup.appToken();
      const noSid = await rawGet(`${proxy}/`, { ...forged, authorization: `Bearer ${app}` });
      assert.equal(noSid.status, 200, noSid.body);
      assert.equal(echoed(noSid)!['x-revokd-sub'], decodeJwt(app).sub);
      assert.doesNotMatch(JSON.stringify(echoed(noSid)), /forged/);

      const before = upstream.received.length;
      for (const authorization of [undefined, 'Bearer not-a-token']) {
        const res = await rawGet(`${proxy}/`, {
          ...forged,
          ...(authorization === undefined ? {} : { authorization }),
        });
        assert.equal(res.status, 401, `${authorization}: ${res.body}`);
      }
      assert.equal(upstream.received.length, before, 'refused requests never reach the upstream');
      assert.doesNotMatch(
        JSON.stringify(upstream.received),
        /forged/,
        'no request the upstream ever received carried a forged header',
      );
    });

    test('401 with the RFC 6750 challenge: no error code without a token, invalid_token with a bad one; 403 insufficient_scope where a scope is required', async () => {
      const none = await rawGet(`${proxy}/`);
      assert.equal(none.status, 401);
      assert.equal(none.headers['www-authenticate'], 'Bearer realm="api"');
      const bad = await rawGet(`${proxy}/`, { authorization: 'Bearer not-a-token' });
      assert.equal(bad.status, 401);
      assert.match(
        bad.headers['www-authenticate'] ?? '',
        /^Bearer realm="api", error="invalid_token", error_description="[^"]+"$/,
      );
      assert.equal(JSON.parse(bad.body).error, 'invalid_token');

      const user = await setup.userToken();
      const refused = await rawGet(`${proxy}/orders/1`, { authorization: `Bearer ${user}` });
      assert.equal(refused.status, 403, refused.body);
      assert.match(
        refused.headers['www-authenticate'] ?? '',
        new RegExp(`error="insufficient_scope".*scope="${APP_SCOPE}"`),
      );
      const lifted = await rawGet(`${proxy}/orders/1`, {
        authorization: `Bearer ${user}`,
        'x-revokd-require-scope': '',
      });
      assert.equal(lifted.status, 403, 'a client cannot lift the requirement');
      const allowed = await rawGet(`${proxy}/orders/1`, {
        authorization: `Bearer ${await setup.appToken()}`,
      });
      assert.equal(allowed.status, 200, allowed.body);
      assert.equal(echoed(allowed)!['x-revokd-scope'], APP_SCOPE);
    });

    test('docs/gateway.md shows examples/caddy/Caddyfile verbatim (the one this test runs)', () => {
      const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs/gateway.md'), 'utf8');
      assert.ok(
        doc.includes(fs.readFileSync(path.join(REPO_ROOT, 'examples/caddy/Caddyfile'), 'utf8')),
        'docs/gateway.md lacks examples/caddy/Caddyfile as it is',
      );
    });

    test("a revoked token is refused through Caddy within 1 s of the revoke's 200", async (t) => {
      const token = await setup.userToken();
      const headers = { authorization: `Bearer ${token}` };
      assert.equal((await rawGet(`${proxy}/`, headers)).status, 200);
      await setup.revoke('jti', decodeJwt(token).jti as string);
      const { res, ms } = await untilStatus(`${proxy}/`, headers, 401, Date.now(), 5000);
      t.diagnostic(`revoke 200 → Caddy 401 in ${ms} ms`);
      assert.ok(ms <= PROPAGATION_BOUND_MS, `refused after ${ms} ms`);
      assert.equal(JSON.parse(res.body).code, 'ERR_TOKEN_REVOKED');
    });

    // Last: it stops revokd.
    test("revokd stopped: past max-staleness Caddy answers the gateway's 503 with Retry-After (fail mode closed)", async (t) => {
      const token = await setup.userToken();
      const headers = { authorization: `Bearer ${token}` };
      assert.equal((await rawGet(`${proxy}/`, headers)).status, 200);
      const before = upstream.received.length;
      const res = await stopRevokdUntil503(
        t,
        setup,
        { name: 'Caddy', url: `${proxy}/` },
        headers,
        MAX_STALENESS_MS,
      );
      assert.equal(JSON.parse(res.body).code, 'ERR_STORE_UNAVAILABLE');
      // Requests answered 200 until the bound reached the upstream; none after the 503.
      const reached = upstream.received.length;
      assert.equal((await rawGet(`${proxy}/`, headers)).status, 503);
      assert.equal(upstream.received.length, reached);
      assert.ok(reached >= before);
    });
  },
);
