/**
 * Issue 17, item 10: a browser app on another origin calls the API, in real Chromium against a real
 * server process. Pages are served by two small HTTP servers of the test's own: one on an origin
 * listed in REVOKD_CORS_ORIGINS (http://127.0.0.1:<port> — another origin than the server's, but
 * the same site, so the browser would attach the UI's SameSite cookie), one on an origin that is
 * not listed (http://localhost:<port>). The listed one calls the API with a bearer token (preflight
 * and all); the other is blocked by the browser; a cookie-authenticated call is blocked for both.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, newContext, signIn } from '../support/browser.js';
import { login, request } from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess } from '../support/server-process.js';

type FetchOutcome = { status: number; body: string } | { error: string };

/** A server of blank pages: the origin a browser app would be served from. */
async function pageServer(): Promise<{ port: number; close: () => void }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>another app</title><p>another app</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

/** `fetch` run by the page itself (so the browser applies CORS): the answer, or the browser's refusal. */
function fetchFromPage(
  page: Page,
  url: string,
  init: Record<string, unknown> = {},
): Promise<FetchOutcome> {
  // Page-side code as source text: this project compiles without the DOM's types.
  return page.evaluate<FetchOutcome>(`fetch(${JSON.stringify(url)}, ${JSON.stringify(init)})
    .then(async (r) => ({ status: r.status, body: await r.text() }), (e) => ({ error: String(e) }))`);
}

describe('CORS: a browser app on another origin', () => {
  let server: ServerProcess;
  let browser: Browser;
  let context: BrowserContext;
  let listed: { port: number; close: () => void };
  let unlisted: { port: number; close: () => void };
  let listedOrigin: string;
  let accessToken: string;

  before(async () => {
    listed = await pageServer();
    unlisted = await pageServer();
    listedOrigin = `http://127.0.0.1:${listed.port}`;
    server = await ServerProcess.start({
      env: { REVOKD_CORS_ORIGINS: `https://app.example.com,${listedOrigin}` },
    });
    accessToken = (await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
    browser = await launchChromium();
    context = await newContext(browser);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    listed?.close();
    unlisted?.close();
  });

  test('a listed origin calls the API with a bearer token: GET, and a JSON POST after a preflight', async () => {
    const page = await context.newPage();
    await page.goto(`${listedOrigin}/`);
    const me = await fetchFromPage(page, `${server.url}/api/v1/auth/me`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    assert.ok('status' in me, `the browser refused the call: ${JSON.stringify(me)}`);
    assert.equal(me.status, 200, me.body);
    assert.equal(JSON.parse(me.body).email, ADMIN_EMAIL);
    // Authorization + a JSON body: not a "simple" request, so the browser sends a preflight first.
    const created = await fetchFromPage(page, `${server.url}/api/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'from another origin' }),
    });
    assert.ok('status' in created, `the browser refused the call: ${JSON.stringify(created)}`);
    assert.equal(created.status, 201, created.body);
    // An error is readable too (the app can tell a 401 from a network failure).
    const refused = await fetchFromPage(page, `${server.url}/api/v1/auth/me`, {
      headers: { authorization: 'Bearer not-a-token' },
    });
    assert.ok('status' in refused, JSON.stringify(refused));
    assert.equal(refused.status, 401);
    await page.close();
  });

  test('the preflight is cached (max-age), allows Authorization and Content-Type, and never credentials', async () => {
    const res = await fetch(`${server.url}/api/v1/tokens`, {
      method: 'OPTIONS',
      headers: {
        origin: listedOrigin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), listedOrigin);
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /authorization/i);
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /content-type/i);
    assert.ok(Number(res.headers.get('access-control-max-age')) > 0, 'a preflight max-age is set');
    assert.equal(res.headers.get('access-control-allow-credentials'), null);
  });

  test('an origin that is not listed is blocked by the browser (the request may reach the server; the page reads nothing)', async () => {
    const page = await context.newPage();
    await page.goto(`http://localhost:${unlisted.port}/`);
    const me = await fetchFromPage(page, `${server.url}/api/v1/auth/me`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    assert.ok('error' in me, `an unlisted origin read the answer: ${JSON.stringify(me)}`);
    const created = await fetchFromPage(page, `${server.url}/api/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'should not exist' }),
    });
    assert.ok('error' in created, JSON.stringify(created));
    const tokens = await request<{ tokens: Array<{ name: string }> }>(
      `${server.url}/api/v1/tokens`,
      { bearer: accessToken },
    );
    assert.ok(
      !JSON.stringify(tokens.body).includes('should not exist'),
      'the refused preflight kept the POST from being sent',
    );
    await page.close();
  });

  test('cookies do not cross origins: with the UI signed in, a credentialed call from the listed origin is blocked (API and UI routes)', async () => {
    const ui = await context.newPage();
    await signIn(ui, server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const page = await context.newPage();
    await page.goto(`${listedOrigin}/`);
    for (const path of ['/api/v1/auth/me', '/api/v1/sessions', '/sessions', '/account']) {
      const outcome = await fetchFromPage(page, `${server.url}${path}`, { credentials: 'include' });
      assert.ok(
        'error' in outcome,
        `${path}: a cookie-authenticated cross-origin call was readable: ${JSON.stringify(outcome).slice(0, 200)}`,
      );
    }
    // The UI itself is not for other origins, even without cookies.
    const uiPage = await fetchFromPage(page, `${server.url}/sessions`, { credentials: 'omit' });
    assert.ok('error' in uiPage, JSON.stringify(uiPage).slice(0, 200));
    await ui.close();
    await page.close();
  });
});
