/**
 * The web UI's forms against junk and forgery, through the real HTTP stack in-process (real SQLite
 * file): every bad request gets a clear 4xx page (never a 5xx), and nothing changes — no token
 * revoked, no session ended — unless a same-origin form of a live session, with its anti-CSRF
 * token, asked for it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { createApiToken } from '../../src/app/api-tokens/create-api-token.js';
import { type OpenedContext, openAppContext } from '../../src/app/open-app-context.js';
import { createUser } from '../../src/app/users.js';
import { loadConfig } from '../../src/core/config.js';
import { buildApp } from '../../src/http/app.js';
import { tempDir } from '../support/server-process.js';
import {
  cookiesOf,
  formPost,
  hiddenCsrf,
  setCookieLines,
  signInByForm,
} from '../support/web-form-client.js';

const EMAIL = 'web@example.com';
const PASSWORD = 'user-password-1';

let ctx: OpenedContext;
let app: FastifyInstance;
let userId: string;

/** Signs in as the test user. */
const signIn = (): Promise<{ cookie: string; csrf: string }> => signInByForm(app, EMAIL, PASSWORD);

async function liveTokens(): Promise<number> {
  return (await ctx.stores.records.listApiTokens(userId)).filter((t) => t.isActive).length;
}

describe('web UI forms: junk and forgery', () => {
  before(async () => {
    const config = loadConfig({
      REVOKD_DATA_DIR: tempDir('web-forms'),
      REVOKD_LOG_LEVEL: 'silent',
      PORT: '8080',
    });
    ctx = await openAppContext(config, { log: pino({ level: 'silent' }) });
    userId = (
      await createUser(ctx, { email: EMAIL, password: PASSWORD }, { type: 'cli', id: null })
    ).id;
    await createApiToken(ctx, { userId, name: 'keep me', ip: null });
    app = await buildApp(ctx);
  });
  after(async () => {
    await app?.close();
    await ctx?.close();
  });

  test('state-changing posts without a session, with a forged or missing anti-CSRF token, or from another origin change nothing', async () => {
    const { cookie, csrf } = await signIn();
    const other = await signIn(); // the same user's second session: its token must not fit this one
    assert.notEqual(other.csrf, csrf);
    const id = (await ctx.stores.records.listApiTokens(userId))[0]!.id;
    const url = `/tokens/${id}/revoke`;
    const attempts: Array<[string, Record<string, string>, Record<string, string>, number]> = [
      ['no session', {}, { _csrf: csrf }, 303],
      ['no anti-CSRF field', { cookie }, {}, 403],
      ['wrong anti-CSRF field', { cookie }, { _csrf: 'A'.repeat(43) }, 403],
      ["another session's anti-CSRF token", { cookie }, { _csrf: other.csrf }, 403],
      ['a truncated anti-CSRF token', { cookie }, { _csrf: csrf.slice(0, -1) }, 403],
      ['foreign Origin', { cookie, origin: 'https://evil.example' }, { _csrf: csrf }, 403],
      ['opaque Origin', { cookie, origin: 'null' }, { _csrf: csrf }, 403],
      [
        'cross-site fetch metadata',
        { cookie, 'sec-fetch-site': 'cross-site' },
        { _csrf: csrf },
        403,
      ],
      [
        'same-site (sibling subdomain)',
        { cookie, 'sec-fetch-site': 'same-site' },
        { _csrf: csrf },
        403,
      ],
    ];
    for (const [what, headers, payload, status] of attempts) {
      const res = await app.inject(formPost(url, headers, payload));
      assert.equal(res.statusCode, status, `${what}: ${res.statusCode}`);
      if (status === 303) assert.equal(res.headers.location, '/login');
      if (status === 403) assert.match(res.body, /nothing was changed/);
      assert.equal(await liveTokens(), 1, `${what} revoked a token`);
    }
    // GET on a state-changing URL is only the confirmation page.
    const confirm = await app.inject({ method: 'GET', url, headers: { cookie } });
    assert.equal(confirm.statusCode, 200);
    assert.equal(await liveTokens(), 1);
    // The real thing works: same origin, live session, right token.
    const ok = await app.inject(
      formPost(
        url,
        { cookie, origin: 'http://127.0.0.1:8080', 'sec-fetch-site': 'same-origin' },
        { _csrf: csrf },
      ),
    );
    assert.equal(ok.statusCode, 303);
    assert.equal(await liveTokens(), 0);
  });

  test('junk gets a 4xx page, never a 5xx', async () => {
    const { cookie, csrf } = await signIn();
    const cases: Array<[string, InjectOptions]> = [
      [
        'JSON instead of a form',
        {
          method: 'POST',
          url: '/tokens',
          headers: { cookie, 'content-type': 'application/json' },
          payload: JSON.stringify({ _csrf: csrf, name: 'x' }),
        },
      ],
      [
        'no body type',
        {
          method: 'POST',
          url: '/tokens',
          headers: { cookie, 'content-type': 'text/plain' },
          payload: 'name=x',
        },
      ],
      [
        '1 MiB form',
        {
          method: 'POST',
          url: '/tokens',
          headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: `_csrf=${csrf}&name=${'a'.repeat(1 << 20)}`,
        },
      ],
      [
        'repeated fields',
        {
          method: 'POST',
          url: '/tokens',
          headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: `_csrf=${csrf}&_csrf=${csrf}&name=a`,
        },
      ],
      ['NUL in the name', formPost('/tokens', { cookie }, { _csrf: csrf, name: 'a\u0000b' })],
      [
        'a 500-character name',
        formPost('/tokens', { cookie }, { _csrf: csrf, name: 'n'.repeat(500) }),
      ],
      [
        'an unknown expiry',
        formPost('/tokens', { cookie }, { _csrf: csrf, name: 'x', expires: '-1' }),
      ],
      [
        'quotes in scopes',
        formPost('/tokens', { cookie }, { _csrf: csrf, name: 'x', scopes: 'read "write"' }),
      ],
      ['a malformed token id', formPost('/tokens/not-a-uuid/revoke', { cookie }, { _csrf: csrf })],
      [
        'an unknown token id',
        formPost(
          '/tokens/00000000-0000-4000-8000-000000000000/revoke',
          { cookie },
          { _csrf: csrf },
        ),
      ],
      [
        'a malformed session id',
        formPost(`/sessions/${'%00'.repeat(3)}/revoke`, { cookie }, { _csrf: csrf }),
      ],
      [
        "another user's page as a non-admin",
        { method: 'GET', url: '/admin/users', headers: { cookie } },
      ],
      [
        'a garbled cookie',
        {
          method: 'GET',
          url: '/tokens',
          headers: { cookie: 'revokd_session=%E0%A4%A; revokd_flash=%7B' },
        },
      ],
      [
        'a 16 KiB cookie',
        {
          method: 'GET',
          url: '/sessions',
          headers: { cookie: `revokd_session=${'x'.repeat(16_500)}` },
        },
      ],
      [
        'a static path outside the assets',
        { method: 'GET', url: '/static/..%2F..%2Fpackage.json' },
      ],
      [
        'sign-in with an expired form',
        formPost('/login', {}, { _csrf: 'stale', email: EMAIL, password: PASSWORD }),
      ],
      ['sign-in with nothing', formPost('/login', {}, {})],
      [
        'sign-in with NULs',
        formPost(
          '/login',
          { cookie: 'revokd_login=' + 'a'.repeat(43) },
          { _csrf: 'a'.repeat(43), email: 'a\u0000@example.com', password: '\u0000' },
        ),
      ],
    ];
    const before = await ctx.stores.records.listApiTokens(userId);
    for (const [what, request] of cases) {
      const res = await app.inject(request);
      assert.ok(
        res.statusCode >= 300 && res.statusCode < 500,
        `${what}: ${res.statusCode} ${res.body.slice(0, 200)}`,
      );
      if (res.statusCode >= 400)
        assert.match(String(res.headers['content-type']), /text\/html|application\/json/, what);
    }
    assert.deepEqual(
      (await ctx.stores.records.listApiTokens(userId)).map((t) => [t.id, t.isActive]),
      before.map((t) => [t.id, t.isActive]),
      'junk changed the tokens',
    );
  });

  test('sign-in never redirects off the site, and a sign-out ends the session it came from', async () => {
    const form = await app.inject({ method: 'GET', url: '/login?next=//evil.example/x' });
    assert.doesNotMatch(form.body, /evil\.example/);
    const loginCookie = cookiesOf(form)['revokd_login']!;
    for (const next of ['//evil.example', 'https://evil.example', '/\\evil.example', '/tokens']) {
      const res = await app.inject(
        formPost(
          '/login',
          { cookie: `revokd_login=${loginCookie}` },
          { _csrf: hiddenCsrf(form.body), email: EMAIL, password: PASSWORD, next },
        ),
      );
      assert.equal(res.statusCode, 303);
      assert.equal(res.headers.location, next === '/tokens' ? '/tokens' : '/sessions', next);
    }
    const { cookie, csrf } = await signIn();
    const out = await app.inject(formPost('/logout', { cookie }, { _csrf: csrf }));
    assert.equal(out.statusCode, 303);
    const after = await app.inject({ method: 'GET', url: '/sessions', headers: { cookie } });
    assert.equal(after.statusCode, 303);
    assert.match(String(after.headers.location), /^\/login/);
  });

  test('malformed Cookie headers never give a 5xx; a live session among junk pairs still works', async () => {
    const { cookie } = await signIn();
    const junk = [
      ';;;',
      '=',
      '=x',
      'revokd_session',
      'revokd_session=',
      '__proto__=x; constructor=y',
      'a=1;'.repeat(2000),
      'revokd_session="unterminated',
      'revokd_flash=%7B%22k%22%3A%22success%22',
      'revokd_flash=%ZZ',
      'revokd_login=\t  ',
    ];
    for (const header of junk) {
      const res = await app.inject({
        method: 'GET',
        url: '/sessions',
        headers: { cookie: header },
      });
      assert.ok(
        res.statusCode === 303 && String(res.headers.location).startsWith('/login'),
        `${header.slice(0, 40)}: ${res.statusCode}`,
      );
      const login = await app.inject({ method: 'GET', url: '/login', headers: { cookie: header } });
      assert.equal(login.statusCode, 200, header.slice(0, 40));
    }
    // The first pair of a name wins (as browsers send the most specific first); junk around it is ignored.
    const res = await app.inject({
      method: 'GET',
      url: '/sessions',
      headers: { cookie: `=; bogus; ${cookie}; revokd_session=other; x=%E0%A4%A` },
    });
    assert.equal(res.statusCode, 200);
  });

  test('a garbled session cookie is cleared, not left in the browser to fail on every page', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/tokens',
      headers: { cookie: 'revokd_session=%E0%A4%A' },
    });
    assert.equal(res.statusCode, 303);
    const cleared = setCookieLines(res).find((l) => l.startsWith('revokd_session='));
    assert.ok(
      cleared !== undefined,
      `the session cookie is deleted: ${JSON.stringify(res.headers['set-cookie'])}`,
    );
    assert.match(cleared, /Max-Age=0/);
    assert.equal(cookiesOf(res)['revokd_session'], '');
  });

  test('each cookie is set at most once per response, with HttpOnly, SameSite=Strict and Path=/', async () => {
    // A stale session and a pending message: the sign-in redirect both clears the one and replaces the other.
    const form = await app.inject({ method: 'GET', url: '/login' });
    for (const res of [
      form,
      await app.inject({
        method: 'GET',
        url: '/tokens',
        headers: { cookie: 'revokd_session=stale; revokd_flash=%7B%7D' },
      }),
    ]) {
      const names = setCookieLines(res).map((l) => l.slice(0, l.indexOf('=')));
      assert.deepEqual(names, [...new Set(names)], `one Set-Cookie per name: ${names.join(', ')}`);
      for (const line of setCookieLines(res)) {
        for (const attribute of ['HttpOnly', 'SameSite=Strict', 'Path=/'])
          assert.ok(line.split('; ').includes(attribute), `${attribute} missing: ${line}`);
        assert.ok(!line.split('; ').includes('Secure'), `no Secure on http://: ${line}`);
      }
    }
  });
});

describe('web UI cookies over HTTPS', () => {
  async function open(
    env: Record<string, string>,
  ): Promise<{ ctx: OpenedContext; app: FastifyInstance }> {
    const config = loadConfig({
      REVOKD_DATA_DIR: tempDir('web-https'),
      REVOKD_LOG_LEVEL: 'silent',
      ...env,
    });
    const opened = await openAppContext(config, { log: pino({ level: 'silent' }) });
    await createUser(opened, { email: EMAIL, password: PASSWORD }, { type: 'cli', id: null });
    return { ctx: opened, app: await buildApp(opened) };
  }

  async function signInCookies(
    target: FastifyInstance,
    headers: Record<string, string>,
  ): Promise<string[]> {
    const page = await target.inject({ method: 'GET', url: '/login', headers });
    const login = setCookieLines(page).find((c) => c.includes('revokd_login='))!;
    assert.ok(login !== undefined);
    const [pair] = login.split(';');
    const res = await target.inject(
      formPost(
        '/login',
        { ...headers, cookie: pair! },
        { _csrf: hiddenCsrf(page.body), email: EMAIL, password: PASSWORD },
      ),
    );
    assert.equal(res.statusCode, 303, res.body);
    return setCookieLines(res);
  }

  test('an https issuer: the session cookie is __Host-, Secure, HttpOnly, SameSite=Strict', async () => {
    const { ctx: c, app: a } = await open({ REVOKD_ISSUER: 'https://auth.example.com' });
    try {
      const session = (await signInCookies(a, { host: 'auth.example.com' })).find((l) =>
        l.includes('revokd_session='),
      );
      assert.ok(session !== undefined);
      assert.match(session, /^__Host-revokd_session=/);
      for (const attribute of ['Secure', 'HttpOnly', 'SameSite=Strict', 'Path=/'])
        assert.ok(session.split('; ').includes(attribute), `${attribute} missing: ${session}`);
      assert.doesNotMatch(session, /Domain=/i);
    } finally {
      await a.close();
      await c.close();
    }
  });

  test('behind a trusted TLS-terminating proxy: Secure only when that proxy says https', async () => {
    const { ctx: c, app: a } = await open({ REVOKD_TRUSTED_PROXIES: '127.0.0.1' });
    try {
      const viaProxy = (await signInCookies(a, { 'x-forwarded-proto': 'https' })).find((l) =>
        l.includes('revokd_session='),
      )!;
      assert.match(viaProxy, /^__Host-revokd_session=.*; Secure/);
      const plain = (await signInCookies(a, {})).find((l) => l.includes('revokd_session='))!;
      assert.match(plain, /^revokd_session=/);
      assert.ok(!plain.split('; ').includes('Secure'));
    } finally {
      await a.close();
      await c.close();
    }
  });

  test('the header from an untrusted peer is ignored', async () => {
    const { ctx: c, app: a } = await open({});
    try {
      const spoofed = (await signInCookies(a, { 'x-forwarded-proto': 'https' })).find((l) =>
        l.includes('revokd_session='),
      )!;
      assert.match(spoofed, /^revokd_session=/);
    } finally {
      await a.close();
      await c.close();
    }
  });
});

describe("web UI form posts share the API's rate limits", () => {
  test('per address and per signed-in user, answered with 429, Retry-After and a page', async () => {
    const config = loadConfig({
      REVOKD_DATA_DIR: tempDir('web-limits'),
      REVOKD_LOG_LEVEL: 'silent',
      REVOKD_RATE_LIMIT_REVOKE_PER_MINUTE: '2',
    });
    const c = await openAppContext(config, { log: pino({ level: 'silent' }) });
    await createUser(c, { email: EMAIL, password: PASSWORD }, { type: 'cli', id: null });
    const a = await buildApp(c);
    try {
      const { cookie, csrf } = await signInByForm(a, EMAIL, PASSWORD);
      const unknown = '/tokens/00000000-0000-4000-8000-000000000000/revoke';
      // One user from three addresses: the per-user budget (2 a minute) is spent on the third.
      const statuses: number[] = [];
      for (const remoteAddress of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) {
        const res = await a.inject({
          ...formPost(unknown, { cookie }, { _csrf: csrf }),
          remoteAddress,
        });
        statuses.push(res.statusCode);
        if (res.statusCode === 429) {
          assert.match(String(res.headers['retry-after']), /^\d+$/);
          assert.match(res.body, /Too many requests/);
        }
      }
      assert.deepEqual(statuses, [404, 404, 429]);
      // One address without a session: the per-address budget of that form.
      const anonymous = [];
      for (let i = 0; i < 3; i++)
        anonymous.push(
          (await a.inject({ ...formPost('/logout', {}, {}), remoteAddress: '10.0.0.9' }))
            .statusCode,
        );
      assert.deepEqual(anonymous, [303, 303, 429]);
    } finally {
      await a.close();
      await c.close();
    }
  });
});
