/**
 * Issue 19, the Python part: revokd-verifier for Python (packages/verifier-python).
 *
 * The wheel is built offline (`pip wheel --no-deps`), installed into an EMPTY venv with the frameworks
 * (one venv for this file), and must be `ruff`- and `mypy --strict`-clean and pass its own pytest suite —
 * which runs every conformance/stream/*.json vector through its protocol state machine. Then, against a
 * real revokd process: a FastAPI app under uvicorn (the dependency, and the Starlette/ASGI middleware on a
 * mounted sub-app) refuses a token revoked by each scope within 1 s; with revokd gone, fail mode closed
 * answers 503 + Retry-After past the bound while open accepts and counts; a revocation committed while
 * revokd was down is enforced after it restarts (same data directory and port), without restarting the
 * app. A Django and a Flask app show fewer scopes, the RFC 6750 challenges and the scope check.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { createUserViaAdmin, login, request } from '../support/http-client.js';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  REPO_ROOT,
  ServerProcess,
  freePort,
  sleep,
  tempDir,
} from '../support/server-process.js';
import {
  type StreamClient,
  adminRevoker,
  clientCredentialsToken,
  createStreamClient,
} from '../support/stream-setup.js';
import { until } from '../support/until.js';
import { type RanToEnd, runToEnd } from '../support/run-to-end.js';

const PACKAGE_DIR = path.join(REPO_ROOT, 'packages/verifier-python');
const APPS_DIR = path.join(REPO_ROOT, 'test/python/apps');
const MAX_STALENESS_MS = 1500;
const FRAMEWORKS = ['fastapi', 'uvicorn', 'django', 'flask', 'pytest', 'ruff', 'mypy'];

type Ran = RanToEnd;

/** Runs a command to its end (bounded), from the repository root unless told otherwise. */
function run(
  cmd: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Ran> {
  return runToEnd(cmd, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? process.env,
    timeoutMs: options.timeoutMs ?? 120_000,
  });
}

const ok = (ran: Ran, what: string): Ran => {
  assert.equal(ran.code, 0, `${what} failed:\n${ran.stdout}\n${ran.stderr}`);
  return ran;
};

/** A Python test app (test/python/apps/*.py) on a free port, in its own process group. */
class PythonApp {
  output = '';
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (d: Buffer) => {
      this.output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.output += d.toString();
    });
  }

  /** `file`: under test/python/apps/, or absolute; `readyPath` answers 200 once it serves. */
  static async start(
    python: string,
    file: string,
    env: Record<string, string>,
    readyPath = '/status',
  ): Promise<PythonApp> {
    const port = await freePort();
    const script = path.resolve(APPS_DIR, file);
    const child = spawn(python, [script], {
      cwd: path.dirname(script),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PYTHONUNBUFFERED: '1',
        PYTHONDONTWRITEBYTECODE: '1',
        PORT: String(port),
        ...env,
      },
    });
    const app = new PythonApp(`http://127.0.0.1:${port}`, child);
    await until(
      `${file} to serve`,
      async () => {
        if (child.exitCode !== null)
          throw new Error(`${file} exited with ${child.exitCode}:\n${app.output}`);
        try {
          return (await fetch(`${app.url}${readyPath}`)).status === 200 ? true : undefined;
        } catch {
          return undefined;
        }
      },
      30_000,
    );
    return app;
  }

  async status(): Promise<any> {
    return (await fetch(`${this.url}/status`)).json();
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    process.kill(-(this.child.pid as number), 'SIGTERM');
    const timer = setTimeout(() => {
      try {
        process.kill(-(this.child.pid as number), 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 3000);
    await exited;
    clearTimeout(timer);
  }
}

const get = (url: string, token?: string): Promise<Response> =>
  fetch(url, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

/** Polls until `url` refuses `token` with 401 ERR_TOKEN_REVOKED; resolves with the ms it took. */
async function refusedWithin(
  url: string,
  token: string,
  startedAt: number,
  limitMs = 1000,
): Promise<number> {
  for (;;) {
    const res = await get(url, token);
    const body = (await res.json()) as any;
    if (res.status === 401) {
      const code = body.code ?? body.detail?.code;
      assert.equal(code, 'ERR_TOKEN_REVOKED', JSON.stringify(body));
      assert.match(
        res.headers.get('www-authenticate') ?? '',
        /^Bearer realm="api", error="invalid_token"/,
      );
      return Date.now() - startedAt;
    }
    assert.equal(res.status, 200, `${url}: ${res.status} ${JSON.stringify(body)}`);
    if (Date.now() - startedAt > limitMs)
      assert.fail(`${url} still accepted the revoked token ${limitMs} ms after the revocation`);
    await sleep(25);
  }
}

/**
 * Runs the first ```sh block under "## Install" in docs/verifier-python.md, as written, with bash in
 * an empty directory whose `packages` is the clone's (the block's paths are relative to a clone).
 */
function runDocsInstall(work: string): Promise<Ran> {
  const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs/verifier-python.md'), 'utf8');
  const install = doc.slice(doc.indexOf('## Install'));
  const block = /```sh\n([\s\S]*?)```/.exec(install)?.[1];
  assert.ok(block !== undefined, 'docs/verifier-python.md has a sh block under ## Install');
  const dir = path.join(work, 'docs-install');
  fs.mkdirSync(dir);
  fs.symlinkSync(path.join(REPO_ROOT, 'packages'), path.join(dir, 'packages'));
  return run('bash', ['-euo', 'pipefail', '-c', block], {
    cwd: dir,
    timeoutMs: 170_000,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PIP_RETRIES: '0',
      PIP_DISABLE_PIP_VERSION_CHECK: '1',
      PYTHONDONTWRITEBYTECODE: '1',
    },
  });
}

describe('revokd-verifier for Python', () => {
  let work: string;
  let python: string;
  let wheel: string;
  let server: ServerProcess;
  let streamClient: StreamClient;
  let revoke: (scope: string, value: string) => Promise<void>;
  let lint: Promise<{ ruff: Ran; mypy: Ran; pytest: Ran }>;
  let docsInstall: Promise<Ran>;
  const apps: PythonApp[] = [];
  const appEnv = (): Record<string, string> => ({
    REVOKD_URL: server.url,
    REVOKD_CLIENT_ID: streamClient.client_id,
    REVOKD_CLIENT_SECRET: streamClient.client_secret,
    MAX_STALENESS_MS: String(MAX_STALENESS_MS),
  });

  before(async () => {
    work = tempDir('pyverifier');
    docsInstall = runDocsInstall(work);
    const buildAndInstall = async (): Promise<void> => {
      // PIP_RETRIES=0: an index that cannot be reached (offline, mirror only) fails over at once.
      const env = {
        ...process.env,
        PIP_RETRIES: '0',
        PIP_DISABLE_PIP_VERSION_CHECK: '1',
        PYTHONDONTWRITEBYTECODE: '1',
      };
      const [built] = await Promise.all([
        run(
          'python3',
          ['-m', 'pip', 'wheel', '--no-deps', PACKAGE_DIR, '-w', path.join(work, 'wheels')],
          { env },
        ),
        run('python3', ['-m', 'venv', path.join(work, 'venv')], { env }).then((r) =>
          ok(r, 'python3 -m venv'),
        ),
      ]);
      ok(built, 'pip wheel');
      const wheels = fs
        .readdirSync(path.join(work, 'wheels'))
        .filter((f) => /^revokd_verifier-.*\.whl$/.test(f));
      assert.equal(wheels.length, 1, `one wheel: ${wheels.join(', ')}`);
      wheel = path.join(work, 'wheels', wheels[0]!);
      python = path.join(work, 'venv/bin/python');
      const empty = ok(
        await run(python, ['-m', 'pip', 'list', '--format=freeze'], { env }),
        'pip list',
      );
      assert.ok(
        !/revokd|fastapi|jwt/i.test(empty.stdout),
        `the venv starts empty: ${empty.stdout}`,
      );
      ok(
        await run(python, ['-m', 'pip', 'install', '--no-cache-dir', wheel, ...FRAMEWORKS], {
          env,
          timeoutMs: 170_000,
        }),
        'pip install',
      );
    };
    const startRevokd = async (): Promise<void> => {
      server = await ServerProcess.start({ env: { REVOKD_STREAM_HEARTBEAT_MS: '250' } });
      streamClient = await createStreamClient((args) => server.cli(args), 'python-api');
      revoke = await adminRevoker(server.url);
    };
    await Promise.all([buildAndInstall(), startRevokd()]);
    // The static checks and the package's own tests run beside the end-to-end tests (their result is asserted last).
    const tool = (args: string[]): Promise<Ran> =>
      run(path.join(work, 'venv/bin', args[0]!), args.slice(1), {
        cwd: PACKAGE_DIR,
        timeoutMs: 170_000,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          REVOKD_CONFORMANCE_DIR: path.join(REPO_ROOT, 'conformance/stream'),
          MYPY_CACHE_DIR: path.join(work, 'mypy-cache'),
          RUFF_CACHE_DIR: path.join(work, 'ruff-cache'),
          PYTHONDONTWRITEBYTECODE: '1',
        },
      });
    lint = (async () => {
      const [ruff, pytest] = await Promise.all([
        tool(['ruff', 'check', 'src', 'tests']),
        tool(['pytest', '-v', '-p', 'no:cacheprovider', 'tests']),
      ]);
      const mypy = await tool(['mypy', '--strict', 'src', 'tests']);
      return { ruff, mypy, pytest };
    })();
  });

  after(async () => {
    for (const app of apps) await app.stop();
    await lint?.catch(() => {});
    await docsInstall?.catch(() => {});
    await server?.stop();
    if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
  });

  test('FastAPI + uvicorn: a token revoked by each scope (jti, session, user, client, window, global, key) is refused within 1 s; api_token revocations are applied to nothing and break nothing', async () => {
    const app = await PythonApp.start(python, 'fastapi_app.py', appEnv());
    apps.push(app);
    const closed = `${app.url}/closed/whoami`;
    const timings: Record<string, number> = {};
    const admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);

    // RFC 6750: no token → a challenge without an error code; a bad one → invalid_token.
    const none = await get(closed);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="api"');
    const junk = await get(closed, 'not.a.token');
    assert.equal(junk.status, 401);
    assert.match(junk.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    assert.equal(((await junk.json()) as any).detail.code, 'ERR_INVALID_TOKEN');
    const whoami = await get(closed, admin.access_token);
    assert.equal(whoami.status, 200);
    assert.deepEqual(await whoami.json(), {
      sub: decodeJwt(admin.access_token).sub,
      jti: decodeJwt(admin.access_token).jti,
    });

    const revokeAndTime = async (
      scope: string,
      value: string,
      token: string,
      url = closed,
    ): Promise<void> => {
      assert.equal((await get(url, token)).status, 200, `${scope}: accepted before`);
      await revoke(scope, value);
      timings[scope] = await refusedWithin(url, token, Date.now());
    };

    // token (jti) — through the Starlette/ASGI middleware too.
    const byJti = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    assert.equal((await get(`${app.url}/asgi/whoami`, byJti.access_token)).status, 200);
    await revokeAndTime('jti', decodeJwt(byJti.access_token).jti as string, byJti.access_token);
    assert.equal(
      (await get(`${app.url}/asgi/whoami`, byJti.access_token)).status,
      401,
      'the ASGI middleware refuses it too',
    );

    // session
    const bySession = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    await revokeAndTime('session', bySession.session_id, bySession.access_token);

    // user
    const email = `py-${Date.now()}@example.com`;
    const user = await createUserViaAdmin(server.url, admin.access_token, email, 'user-password-1');
    const userLogin = await login(server.url, email, 'user-password-1');
    await revokeAndTime('user', user.id, userLogin.access_token);

    // client (a client_credentials token, which also carries a scope: the 403 / 200 of the scope check)
    const apiClient = await createStreamClient((args) => server.cli(args), 'py-orders-client', [
      'orders:read',
    ]);
    const clientToken = await clientCredentialsToken(server.url, apiClient, 'orders:read');
    const forbidden = await get(`${app.url}/closed/orders`, admin.access_token);
    assert.equal(forbidden.status, 403);
    assert.equal(
      forbidden.headers.get('www-authenticate'),
      'Bearer realm="api", error="insufficient_scope", scope="orders:read"',
    );
    assert.equal(((await forbidden.json()) as any).detail.error, 'insufficient_scope');
    assert.equal((await get(`${app.url}/closed/orders`, clientToken)).status, 200);
    await revokeAndTime('client', apiClient.client_id, clientToken, `${app.url}/closed/orders`);

    // api_token: API tokens are opaque (introspected, not verified offline). Their revocations reach the
    // stream and are applied to nothing here: the verifier neither halts nor goes stale, and an API token
    // presented as a bearer token is not a JWT — invalid.
    const created = await request(`${server.url}/api/v1/tokens`, {
      method: 'POST',
      bearer: admin.access_token,
      json: { name: 'py-bot' },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(
      (
        await request(`${server.url}/api/v1/tokens/${created.body.id}`, {
          method: 'DELETE',
          bearer: admin.access_token,
        })
      ).status,
      200,
    );
    const apiTokenRes = await get(closed, created.body.token);
    assert.equal(apiTokenRes.status, 401);
    assert.equal(((await apiTokenRes.json()) as any).detail.code, 'ERR_INVALID_TOKEN');
    await sleep(300);
    const afterApiToken = await app.status();
    assert.equal(afterApiToken.closed.halted, null);
    assert.equal(afterApiToken.closed.stale, false);
    assert.equal(
      (await get(closed, admin.access_token)).status,
      200,
      'unrelated tokens are still accepted',
    );

    // window: a token whose iat second has passed, revoked by [iat, iat + 1).
    const byWindow = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const iat = decodeJwt(byWindow.access_token).iat as number;
    while (Date.now() < (iat + 1) * 1000) await sleep(20);
    await revokeAndTime('window', `${iat}-${iat + 1}`, byWindow.access_token);

    // global ("all"): every token issued before it.
    const byGlobal = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    await revokeAndTime('all', '*', byGlobal.access_token);

    // key: rotate (the new kid reaches the app through a JWKS refetch on an unknown kid), then revoke the old one.
    const oldToken = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const oldKid = decodeProtectedHeader(oldToken.access_token).kid as string;
    ok(await server.cli(['keys', 'rotate', '--json']), 'keys rotate');
    // Wait for the server's ring reload (every 5 s) through the JWKS, which it serves from the same
    // ring it signs with: logging in to find out would spend the address's login rate limit.
    await until(
      'the rotated key in the JWKS',
      async () => {
        const res = await fetch(`${server.url}/.well-known/jwks.json`);
        const { keys } = (await res.json()) as { keys: { kid: string }[] };
        return keys.some((k) => k.kid !== oldKid) ? true : undefined;
      },
      15_000,
    );
    const newToken = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    assert.notEqual(
      decodeProtectedHeader(newToken.access_token).kid,
      oldKid,
      'signed by the new key',
    );
    assert.equal(
      (await get(closed, newToken.access_token)).status,
      200,
      'a new kid is fetched from the JWKS',
    );
    await revokeAndTime('key', oldKid, oldToken.access_token);
    assert.equal(
      (await get(closed, newToken.access_token)).status,
      200,
      'the new key still verifies',
    );

    const status = await app.status();
    assert.equal(status.closed.stream_proof_mismatches, 0);
    assert.equal(status.closed.stream_connections, 1, 'one connection throughout');
    for (const [scope, ms] of Object.entries(timings)) assert.ok(ms < 1000, `${scope}: ${ms} ms`);
    process.stdout.write(`# refused after (ms): ${JSON.stringify(timings)}\n`);
  });

  test('FastAPI: revokd gone → closed answers 503 + Retry-After once past the bound, open accepts and counts; revokd restarted on the same data → caught up without restarting the app', async () => {
    const app = apps[0]!;
    const live = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const doomed = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    assert.equal((await get(`${app.url}/closed/whoami`, live.access_token)).status, 200);
    assert.equal((await get(`${app.url}/closed/whoami`, doomed.access_token)).status, 200);
    // The open verifier too, while revokd is up: it learns the token's signing key (rotated by the
    // test before) now, not from a JWKS that will be unreachable (an unknown kid is a 401).
    assert.equal((await get(`${app.url}/open/whoami`, live.access_token)).status, 200);
    const before = await app.status();

    await server.kill();
    let restarted = false;
    try {
      const downAt = Date.now();
      // Within the bound the replica still decides; past it, closed refuses to (never 401, never 200).
      const res503 = await until(
        'fail-closed 503',
        async () => {
          const res = await get(`${app.url}/closed/whoami`, live.access_token);
          if (res.status === 200) return undefined;
          return res;
        },
        MAX_STALENESS_MS + 3000,
      );
      const after = Date.now() - downAt;
      assert.equal(res503.status, 503);
      assert.ok(Number(res503.headers.get('retry-after')) >= 1);
      assert.equal(((await res503.json()) as any).detail.code, 'ERR_STORE_UNAVAILABLE');
      assert.ok(
        after >= MAX_STALENESS_MS - 1000,
        `503 only once stale (${after} ms after revokd went away)`,
      );
      // The open verifier has its own stream: its last proof may be up to a heartbeat younger.
      await until(
        'the open verifier stale too',
        async () => ((await app.status()).open.stale ? true : undefined),
        MAX_STALENESS_MS + 3000,
      );
      const open = await get(`${app.url}/open/whoami`, live.access_token);
      assert.equal(open.status, 200, 'fail mode open accepts');
      const stale = await app.status();
      assert.equal(stale.closed.stale, true);
      assert.equal(stale.closed.can_decide, false);
      assert.equal(stale.open.can_decide, true);
      assert.ok(
        stale.open.fail_open_accepted > before.open.fail_open_accepted,
        'and counts the acceptance',
      );

      // While revokd is down, the CLI commits a revocation to its database.
      ok(
        await server.cli(['revoke', 'jti', decodeJwt(doomed.access_token).jti as string, '--json']),
        'revoke jti while down',
      );
      await server.spawn();
      restarted = true;
      const upAt = Date.now();
      await until(
        'the app current again',
        async () => {
          const s = await app.status();
          return s.closed.stale || s.open.stale ? undefined : true;
        },
        15_000,
      );
      process.stdout.write(`# caught up ${Date.now() - upAt} ms after revokd was back\n`);
      assert.equal((await get(`${app.url}/closed/whoami`, live.access_token)).status, 200);
      const refused = await get(`${app.url}/closed/whoami`, doomed.access_token);
      assert.equal(refused.status, 401, 'the revocation committed during the outage is enforced');
      assert.equal(((await refused.json()) as any).detail.code, 'ERR_TOKEN_REVOKED');
      assert.equal((await get(`${app.url}/open/whoami`, doomed.access_token)).status, 401);
      const back = await app.status();
      assert.ok(back.closed.stream_connections > before.closed.stream_connections, 'reconnected');
      assert.equal(back.closed.stream_proof_mismatches, 0);
    } finally {
      // Whatever failed above, the tests after this one need revokd.
      if (!restarted) await server.spawn();
    }
  });

  for (const [framework, file, claimsError] of [
    ['Django', 'django_app.py', (b: any) => b.code],
    ['Flask', 'flask_app.py', (b: any) => b.code],
  ] as const) {
    test(`${framework}: jti and session revocations refused within 1 s; RFC 6750 challenges; 403 insufficient_scope`, async () => {
      const app = await PythonApp.start(python, file, appEnv());
      apps.push(app);
      const url = `${app.url}/whoami`;
      const none = await get(url);
      assert.equal(none.status, 401);
      assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="api"');
      assert.equal(claimsError(await none.json()), 'ERR_INVALID_TOKEN');
      const junk = await get(url, 'not.a.token');
      assert.equal(junk.status, 401);
      assert.match(
        junk.headers.get('www-authenticate') ?? '',
        /^Bearer realm="api", error="invalid_token"/,
      );

      const token = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
      const ok200 = await get(url, token.access_token);
      assert.equal(ok200.status, 200);
      assert.equal(((await ok200.json()) as any).jti, decodeJwt(token.access_token).jti);
      const forbidden = await get(`${app.url}/orders`, token.access_token);
      assert.equal(forbidden.status, 403);
      assert.equal(
        forbidden.headers.get('www-authenticate'),
        'Bearer realm="api", error="insufficient_scope", scope="orders:read"',
      );
      assert.equal(claimsError(await forbidden.json()), 'ERR_FORBIDDEN');

      const timings: Record<string, number> = {};
      await revoke('jti', decodeJwt(token.access_token).jti as string);
      timings.jti = await refusedWithin(url, token.access_token, Date.now());
      const bySession = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
      assert.equal((await get(url, bySession.access_token)).status, 200);
      await revoke('session', bySession.session_id);
      timings.session = await refusedWithin(url, bySession.access_token, Date.now());
      process.stdout.write(`# ${framework} refused after (ms): ${JSON.stringify(timings)}\n`);
      await app.stop();
    });
  }

  test('docs/verifier-python.md Install runs as written in an empty directory beside the clone: venv, wheel, install, import', async () => {
    const ran = ok(await docsInstall, 'the Install block of docs/verifier-python.md');
    assert.match(ran.stdout, /^revokd_verifier 0\.1\.0$/m, ran.stdout);
  });

  test('examples/fastapi: a token with orders:write creates an order, one without gets 403 insufficient_scope, a revoked one 401 within 1 s', async () => {
    const writer = await createStreamClient((args) => server.cli(args), 'orders-writer', [
      'orders:read',
      'orders:write',
    ]);
    const app = await PythonApp.start(
      python,
      path.join(REPO_ROOT, 'examples/fastapi/app.py'),
      appEnv(),
      '/healthz',
    );
    apps.push(app);
    const writing = await clientCredentialsToken(server.url, writer, 'orders:write');
    const reading = await clientCredentialsToken(server.url, writer, 'orders:read');
    const post = (token: string) =>
      fetch(`${app.url}/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ item: 'book' }),
      });
    const created = await post(writing);
    assert.equal(created.status, 201, await created.clone().text());
    assert.deepEqual(await created.json(), { id: 1, by: decodeJwt(writing).sub, item: 'book' });
    const refused = await post(reading);
    assert.equal(refused.status, 403);
    assert.equal(
      refused.headers.get('www-authenticate'),
      'Bearer realm="orders", error="insufficient_scope", scope="orders:write"',
    );
    assert.equal(((await refused.json()) as any).detail.error, 'insufficient_scope');
    const listed = await get(`${app.url}/orders`, reading);
    assert.equal(listed.status, 200);
    assert.equal(((await listed.json()) as any).orders.length, 1);
    const revokedAt = Date.now();
    await revoke('jti', decodeJwt(writing).jti as string);
    await refusedWithin(`${app.url}/orders`, writing, revokedAt);
  });

  test('the wheel: ruff check and mypy --strict are clean; pytest passes, every conformance vector included', async () => {
    const { ruff, mypy, pytest } = await lint;
    ok(ruff, 'ruff check');
    ok(mypy, 'mypy --strict');
    ok(pytest, 'pytest');
    const vectors = fs
      .readdirSync(path.join(REPO_ROOT, 'conformance/stream'))
      .filter((f) => f.endsWith('.json'));
    assert.ok(vectors.length >= 13);
    for (const vector of vectors)
      assert.ok(
        pytest.stdout.includes(`test_vector[${vector.slice(0, -'.json'.length)}] PASSED`),
        `vector ${vector}:\n${pytest.stdout}`,
      );
    assert.match(path.basename(wheel), /^revokd_verifier-0\.1\.0-py3-none-any\.whl$/);
  });
});
