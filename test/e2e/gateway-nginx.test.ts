/**
 * `revokd-verifier serve` behind nginx (issue 19, the gateway): a real revokd, the gateway (the
 * package's compiled bin), Debian's nginx with `auth_request` and an echo upstream, all started by
 * examples/nginx/run.sh from examples/nginx/nginx.conf.template and revokd-auth.conf — the files
 * docs/gateway.md documents, so the docs stay true. nginx runs as the current user on free ports,
 * its config, pid, logs and temp files in a temp dir.
 * - a live token reaches the upstream with its identity (X-Revokd-Sub, -Client-Id, -Scope, -Sid);
 * - a client-supplied X-Revokd-Sub (or -Sid, -Scope) never reaches the upstream, with a valid
 *   token, without one, or sent twice;
 * - 401 with the RFC 6750 challenge without a token / with a bad one; 400 for a malformed header;
 *   403 insufficient_scope where the location requires a scope the token lacks;
 * - a revoked token is refused within 1 s of the revoke's 200;
 * - the gateway itself: /auth/<path> (Envoy), /healthz, /metrics, option errors, --help, SIGTERM;
 * - revokd stopped: past max-staleness the gateway (fail mode closed) makes nginx answer 503 with
 *   Retry-After, and /healthz says 503 too; run.sh stops its three processes on SIGTERM.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
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
  runGateway,
  setUpRevokd,
  stopRevokdUntil503,
  untilStatus,
} from '../support/gateway.js';
import { REPO_ROOT, freePort, tempDir } from '../support/server-process.js';

const MAX_STALENESS_MS = 1500;
const PROPAGATION_BOUND_MS = 1000;
const NGINX = installed('nginx', '/usr/sbin/nginx');
const skip =
  NGINX === undefined
    ? "nginx is not installed (.ci/run installs Debian's nginx): the nginx gateway tests cannot run"
    : false;

/** examples/nginx/run.sh as a child process (its own process group). */
class ExampleRun {
  output = '';
  private constructor(private readonly child: ChildProcess) {}

  static async start(env: Record<string, string>): Promise<ExampleRun> {
    const child = spawn('bash', [path.join(REPO_ROOT, 'examples/nginx/run.sh')], {
      env: { PATH: `${process.env.PATH ?? ''}:/usr/sbin`, HOME: process.env.HOME ?? '', ...env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run = new ExampleRun(child);
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer): void => {
        run.output += d.toString();
        if (run.output.includes('ready: ')) resolve();
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => reject(new Error(`run.sh exited (${code}):\n${run.output}`)));
    });
    return run;
  }

  /** SIGTERM to the script alone: it must stop nginx, the gateway and the upstream itself. */
  async stop(): Promise<number | null> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 10_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }

  /** Kills whatever is left of its process group (after a failed test). */
  kill(): void {
    try {
      process.kill(-(this.child.pid as number), 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

describe('revokd-verifier serve behind nginx auth_request (examples/nginx)', { skip }, () => {
  let setup: GatewaySetup;
  let run: ExampleRun;
  let proxy: string;
  let gateway: string;
  let runDir: string;

  before(async () => {
    setup = await setUpRevokd('nginx', MAX_STALENESS_MS);
    const [nginxPort, gatewayPort, upstreamPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    runDir = tempDir('nginx-example');
    run = await ExampleRun.start({
      ...setup.env,
      NGINX: NGINX as string,
      NGINX_LISTEN: `127.0.0.1:${nginxPort}`,
      UPSTREAM_PORT: String(upstreamPort),
      REVOKD_VERIFIER_PORT: String(gatewayPort),
      RUN_DIR: runDir,
    });
    proxy = `http://127.0.0.1:${nginxPort}`;
    gateway = `http://127.0.0.1:${gatewayPort}`;
  });
  after(async () => {
    run?.kill();
    await setup?.cleanup();
    if (runDir !== undefined) fs.rmSync(runDir, { recursive: true, force: true });
  });

  test('a live token reaches the upstream with its identity in X-Revokd-Sub, -Client-Id, -Scope and -Sid', async () => {
    const token = await setup.userToken();
    const claims = decodeJwt(token);
    const res = await rawGet(`${proxy}/hello?x=1`, { authorization: `Bearer ${token}` });
    assert.equal(res.status, 200, res.body);
    const seen = echoed(res);
    assert.ok(seen !== undefined, `the upstream's echo: ${res.body}`);
    assert.equal(seen['x-revokd-sub'], claims.sub);
    assert.equal(seen['x-revokd-client-id'], claims.client_id);
    assert.equal(seen['x-revokd-scope'] ?? '', claims.scope);
    assert.equal(seen['x-revokd-sid'], claims.sid);
    assert.equal(JSON.parse(res.body).url, '/hello?x=1');
  });

  test('a client-supplied X-Revokd-Sub never reaches the upstream: with a valid token, without one, with a bad one, sent twice', async () => {
    const token = await setup.userToken();
    const claims = decodeJwt(token);
    const forged = {
      'x-revokd-sub': 'forged-admin',
      'X-Revokd-Sid': 'forged-sid',
      'x-revokd-scope': 'admin',
      'X-REVOKD-CLIENT-ID': 'forged',
    };
    const withToken = await rawGet(`${proxy}/`, { ...forged, authorization: `Bearer ${token}` });
    assert.equal(withToken.status, 200, withToken.body);
    const seen = echoed(withToken)!;
    assert.equal(seen['x-revokd-sub'], claims.sub, "the gateway's sub, not the client's");
    assert.equal(seen['x-revokd-sid'], claims.sid);
    assert.equal(seen['x-revokd-client-id'], claims.client_id);
    assert.doesNotMatch(JSON.stringify(seen), /forged/);

    const twice = await rawGet(`${proxy}/`, {
      'x-revokd-sub': ['forged-1', 'forged-2'],
      authorization: `Bearer ${token}`,
    });
    assert.equal(twice.status, 200);
    assert.equal(echoed(twice)!['x-revokd-sub'], claims.sub);

    // A client_credentials token has no session: the forged sid must not survive an empty value.
    const app = await setup.appToken();
    const noSid = await rawGet(`${proxy}/`, { ...forged, authorization: `Bearer ${app}` });
    assert.equal(noSid.status, 200, noSid.body);
    assert.equal(echoed(noSid)!['x-revokd-sub'], decodeJwt(app).sub);
    assert.doesNotMatch(JSON.stringify(echoed(noSid)), /forged/);

    for (const authorization of [undefined, 'Bearer not-a-token', `Bearer ${token}x`]) {
      const res = await rawGet(`${proxy}/`, {
        ...forged,
        ...(authorization === undefined ? {} : { authorization }),
      });
      assert.equal(res.status, 401, `${authorization}: ${res.body}`);
      assert.equal(echoed(res), undefined, 'the request never reached the upstream');
    }
  });

  test('401 with the RFC 6750 challenge: no error code without a token, invalid_token with a bad one; 400 for a malformed header', async () => {
    const none = await rawGet(`${proxy}/`);
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Bearer realm="api"');
    const bad = await rawGet(`${proxy}/`, { authorization: 'Bearer not-a-token' });
    assert.equal(bad.status, 401);
    assert.match(
      bad.headers['www-authenticate'] ?? '',
      /^Bearer realm="api", error="invalid_token", error_description="[^"]+"$/,
    );
    const malformed = await rawGet(`${proxy}/`, { authorization: 'Basic dXNlcjpwYXNz' });
    assert.equal(malformed.status, 400, malformed.body);
    assert.equal(echoed(malformed), undefined);
  });

  test('a location requiring a scope: 403 insufficient_scope with the challenge when the token lacks it, the upstream when it has it', async () => {
    const user = await setup.userToken();
    const refused = await rawGet(`${proxy}/orders/1`, { authorization: `Bearer ${user}` });
    assert.equal(refused.status, 403, refused.body);
    assert.equal(echoed(refused), undefined);
    assert.equal(
      refused.headers['www-authenticate'],
      `Bearer realm="api", error="insufficient_scope", scope="${APP_SCOPE}"`,
    );
    const app = await setup.appToken();
    const allowed = await rawGet(`${proxy}/orders/1`, {
      authorization: `Bearer ${app}`,
      'x-revokd-require-scope': '',
    });
    assert.equal(allowed.status, 200, allowed.body);
    assert.equal(echoed(allowed)!['x-revokd-scope'], APP_SCOPE);
    // A client cannot lift the requirement by sending the header itself: nginx sets it.
    const lifted = await rawGet(`${proxy}/orders/1`, {
      authorization: `Bearer ${user}`,
      'x-revokd-require-scope': '',
    });
    assert.equal(lifted.status, 403);
  });

  test("a revoked token is refused through nginx within 1 s of the revoke's 200", async (t) => {
    const token = await setup.userToken();
    const headers = { authorization: `Bearer ${token}` };
    assert.equal((await rawGet(`${proxy}/`, headers)).status, 200);
    await setup.revoke('jti', decodeJwt(token).jti as string);
    const { res, ms } = await untilStatus(`${proxy}/`, headers, 401, Date.now(), 5000);
    t.diagnostic(`revoke 200 → nginx 401 in ${ms} ms`);
    assert.ok(ms <= PROPAGATION_BOUND_MS, `refused after ${ms} ms`);
    assert.match(res.headers['www-authenticate'] ?? '', /error="invalid_token"/);
    // Another token of the same user is still let through.
    assert.equal(
      (await rawGet(`${proxy}/`, { authorization: `Bearer ${await setup.userToken()}` })).status,
      200,
    );
  });

  test('the gateway directly: /auth/<original path> (Envoy), /healthz and /metrics', async () => {
    const token = await setup.userToken();
    const envoy = await rawGet(`${gateway}/auth/orders/7?x=1`, {
      authorization: `Bearer ${token}`,
    });
    assert.equal(envoy.status, 200);
    assert.equal(envoy.body, '');
    assert.equal(envoy.headers['x-revokd-sub'], decodeJwt(token).sub);
    assert.equal(
      (await rawGet(`${gateway}/authx`, { authorization: `Bearer ${token}` })).status,
      404,
    );
    const scoped = await rawGet(`${gateway}/auth`, {
      authorization: `Bearer ${token}`,
      'x-revokd-require-scope': `${APP_SCOPE} other`,
    });
    assert.equal(scoped.status, 403);
    assert.equal(JSON.parse(scoped.body).error, 'insufficient_scope');

    const health = await rawGet(`${gateway}/healthz`);
    assert.equal(health.status, 200);
    const status = JSON.parse(health.body);
    assert.equal(status.status, 'ok');
    assert.equal(status.canDecide, true);
    assert.equal(status.streamConnected, true);

    const metrics = await rawGet(`${gateway}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers['content-type'] ?? '', /^text\/plain/);
    assert.match(metrics.body, /revokd_verifier_checks_total\{outcome="valid"\} [1-9]/);
    assert.match(metrics.body, /revokd_verifier_replica_staleness_seconds /);
    assert.match(metrics.body, /revokd_gateway_auth_answers_total\{status="401"\} [1-9]/);
  });

  test("docs/gateway.md shows examples/nginx's configuration files verbatim (the ones this test runs)", () => {
    const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs/gateway.md'), 'utf8');
    for (const file of ['revokd-auth.conf', 'nginx.conf.template']) {
      assert.ok(
        doc.includes(fs.readFileSync(path.join(REPO_ROOT, 'examples/nginx', file), 'utf8')),
        `docs/gateway.md lacks examples/nginx/${file} as it is`,
      );
    }
  });

  test('options: every bad one listed at once (exit 2), the secret never on the command line; --help', async () => {
    const out = await runGateway(
      [
        'serve',
        '--issuer',
        'x',
        '--jwks-uri',
        'ftp://x',
        '--stream-url',
        'http://revokd.example/api/v1/revocations/stream',
        '--fail-mode',
        'maybe',
        '--client-secret',
        's3cret',
        '--bogus',
      ],
      {
        REVOKD_VERIFIER_PORT: 'abc',
        REVOKD_VERIFIER_CLIENT_SECRET_FILE: path.join(runDir, 'missing'),
      },
    );
    assert.equal(out.code, 2, out.stderr);
    for (const expected of [
      /--client-secret is not accepted/,
      /unknown option --bogus/,
      /--audience \(or REVOKD_VERIFIER_AUDIENCE\) is required/,
      /--jwks-uri must be an http\(s\) URL/,
      /--stream-url must be an https: URL.*--allow-insecure-http/,
      /--client-id .* is required/,
      /REVOKD_VERIFIER_CLIENT_SECRET_FILE names a file that cannot be read \(ENOENT\)/,
      /--max-staleness-ms .* is required/,
      /--fail-mode must be closed or open/,
      /REVOKD_VERIFIER_PORT must be a whole number/,
    ])
      assert.match(out.stderr, expected);
    assert.match(out.stderr, /10 options are wrong/);
    assert.doesNotMatch(out.stderr, /s3cret/);
    const help = await runGateway(['serve', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: revokd-verifier serve/);
    for (const flag of [
      'issuer',
      'audience',
      'jwks-uri',
      'stream-url',
      'client-id',
      'client-secret-file',
      'max-staleness-ms',
      'fail-mode',
      'port',
      'host',
    ]) {
      assert.match(help.stdout, new RegExp(`--${flag} `));
      assert.match(
        help.stdout,
        new RegExp(`REVOKD_VERIFIER_${flag.toUpperCase().replaceAll('-', '_')}\\b`),
      );
    }
  });

  test('SIGTERM (and SIGINT) close the verifier and the server: exit 0, promptly, even with a keep-alive connection open', async (t) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const own = await GatewayProcess.start(setup.env);
      // A keep-alive connection held open by fetch's pool must not hold the shutdown up.
      assert.equal((await fetch(`${own.url}/healthz`)).status, 200);
      const exit = await own.stop(signal);
      t.diagnostic(`${signal}: exit ${exit.code} in ${exit.ms} ms`);
      assert.equal(exit.code, 0, own.output);
      assert.ok(exit.ms < 3000, `${signal} took ${exit.ms} ms`);
      assert.match(own.output, new RegExp(`${signal}: closing`));
      await assert.rejects(fetch(`${own.url}/healthz`));
    }
  });

  // Last: it stops revokd.
  test('revokd stopped: past max-staleness nginx answers 503 with Retry-After (fail mode closed), /healthz 503; run.sh stops everything on SIGTERM', async (t) => {
    const token = await setup.userToken();
    const headers = { authorization: `Bearer ${token}` };
    assert.equal((await rawGet(`${proxy}/`, headers)).status, 200);
    const res = await stopRevokdUntil503(
      t,
      setup,
      { name: 'nginx', url: `${proxy}/` },
      headers,
      MAX_STALENESS_MS,
    );
    assert.equal(echoed(res), undefined);
    assert.equal(JSON.parse(res.body).error, 'temporarily_unavailable');
    const direct = await rawGet(`${gateway}/auth`, headers);
    assert.equal(direct.status, 503);
    assert.equal(JSON.parse(direct.body).code, 'ERR_STORE_UNAVAILABLE');
    const health = await rawGet(`${gateway}/healthz`);
    assert.equal(health.status, 503);
    assert.equal(JSON.parse(health.body).canDecide, false);
    // Still 401 without a token: that needs no revocation view.
    assert.equal((await rawGet(`${proxy}/`)).status, 401);

    assert.equal(await run.stop(), 0, run.output);
    await assert.rejects(fetch(`${gateway}/healthz`), 'the gateway is stopped');
    await assert.rejects(fetch(`${proxy}/`), 'nginx is stopped');
    assert.equal(
      fs.existsSync(path.join(runDir, 'nginx.pid')),
      false,
      'nginx removed its pid file (a clean stop)',
    );
  });
});
