/**
 * The web UI a user sees (SPEC §8), in real Chromium against a real server process: API tokens
 * (secret shown once, revoke through a confirmation dialog that can be cancelled), sessions (log out
 * everywhere ends the other browser's session; "this wasn't me" revokes everything and alerts), and
 * the page's defences (escaping, cross-site posts refused, CSP, locale dates, keyboard dialogs).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  focusedText,
  launchChromium,
  newContext,
  sessionCookie,
  signIn,
} from '../support/browser.js';
import { createUserViaAdmin, login, request } from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess } from '../support/server-process.js';

const PASSWORD = 'user-password-1';

describe('web UI: tokens and sessions', () => {
  let server: ServerProcess;
  let browser: Browser;
  let adminToken: string;
  let users = 0;

  /** A new user of our own for each test, so tests never see each other's tokens and sessions. */
  const newUser = async (): Promise<string> => {
    const email = `person${++users}@example.com`;
    await createUserViaAdmin(server.url, adminToken, email, PASSWORD);
    return email;
  };

  /** A new user signed in through the form in a fresh browser context. */
  const signedInUser = async (): Promise<{
    email: string;
    context: BrowserContext;
    page: Page;
  }> => {
    const email = await newUser();
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, server.url, email, PASSWORD);
    return { email, context, page };
  };

  /** Creates an API token through the form; returns the secret the page shows once. */
  const createTokenInPage = async (page: Page, name: string): Promise<string> => {
    await page.getByLabel('Name').fill(name);
    await page.getByRole('button', { name: 'Create token' }).click();
    return page.getByLabel('New API token').inputValue();
  };

  before(async () => {
    server = await ServerProcess.start();
    adminToken = (await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('create a token, see its secret once, cancel then confirm the revoke dialog; the API refuses it afterwards', async () => {
    const { context, page } = await signedInUser();

    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByLabel('Name').fill('deploy bot');
    await page.getByLabel(/Scopes/).fill('read write');
    await page.getByLabel('Expires after').selectOption('30');
    await page.getByRole('button', { name: 'Create token' }).click();

    // The secret, once, with its warning; it works against the API.
    await page.getByText('it will not be shown again').waitFor();
    const secret = await page.getByLabel('New API token').inputValue();
    assert.match(secret, /^rvk_[0-9A-Za-z]{36}$/);
    assert.equal((await request(`${server.url}/api/v1/auth/me`, { bearer: secret })).status, 200);
    const row = page.getByRole('row', { name: /deploy bot/ });
    await row.getByText('Active', { exact: true }).waitFor();
    assert.match(await row.innerText(), /read/);

    // Reloading (a GET) never shows the secret again, nor does the page's HTML hold it.
    await page.goto(`${server.url}/tokens`);
    assert.equal(await page.getByLabel('New API token').count(), 0);
    assert.ok(
      !(await page.content()).includes(secret),
      'the secret must appear only in the response that created it',
    );

    // The revoke button opens a modal <dialog> naming the token; Cancel changes nothing.
    await page.getByRole('button', { name: 'Revoke token deploy bot' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke “deploy bot”?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: secret })).status,
      200,
      'cancel must not revoke',
    );
    await page
      .getByRole('row', { name: /deploy bot/ })
      .getByText('Active', { exact: true })
      .waitFor();

    // Confirm: revoked, shown as such, and refused by the API.
    await page.getByRole('button', { name: 'Revoke token deploy bot' }).click();
    await dialog.getByRole('button', { name: 'Revoke token' }).click();
    await page.getByText('Token “deploy bot” was revoked').waitFor();
    await page
      .getByRole('row', { name: /deploy bot/ })
      .getByText('Revoked', { exact: true })
      .waitFor();
    const refused = await request(`${server.url}/api/v1/auth/me`, { bearer: secret });
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate') ?? '', /invalid_token/);
    await context.close();
  });

  test('revoke all is offered once an hour and says when it comes back', async () => {
    const { context, page } = await signedInUser();
    await page.goto(`${server.url}/tokens`);
    const secrets: string[] = [];
    for (const name of ['ci', 'backup job']) secrets.push(await createTokenInPage(page, name));
    await page.getByRole('button', { name: 'Revoke all…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke all API tokens?' });
    await dialog.getByText('All 2 active tokens').waitFor();
    await dialog.getByRole('button', { name: 'Revoke all tokens' }).click();
    await page.getByText('Revoked 2 tokens.').waitFor();
    for (const secret of secrets)
      assert.equal((await request(`${server.url}/api/v1/auth/me`, { bearer: secret })).status, 401);

    // A new token can be made, but revoke all is disabled for the hour, and the page says so.
    await page.getByLabel('Name').fill('after the purge');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.goto(`${server.url}/tokens`);
    assert.equal(await page.getByRole('button', { name: 'Revoke all…' }).isDisabled(), true);
    await page.getByText(/Revoke all was used; available again/).waitFor();
    await context.close();
  });

  test('two browsers as the same user: "log out everywhere" in one sends the other to the login page', async () => {
    const email = await newUser();
    const laptop = await newContext(browser, {
      userAgent:
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    });
    const phone = await newContext(browser, {
      userAgent:
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
    });
    const laptopPage = await laptop.newPage();
    const phonePage = await phone.newPage();
    await signIn(laptopPage, server.url, email, PASSWORD);
    await signIn(phonePage, server.url, email, PASSWORD);

    // Each browser's session is listed, with its device, and marked on the device that is looking.
    await laptopPage.reload();
    const rows = laptopPage.getByRole('row').filter({ hasText: '127.0.0.1' });
    assert.equal(await rows.count(), 2);
    await laptopPage
      .getByRole('row', { name: /This device/ })
      .getByText('Chrome 131 on Windows')
      .waitFor();
    await laptopPage
      .getByRole('row', { name: /Safari 17 on iOS/ })
      .getByText('Phone · Apple iPhone')
      .waitFor();

    await laptopPage.getByRole('button', { name: 'Log out everywhere…' }).click();
    const dialog = laptopPage.getByRole('dialog', { name: 'Log out everywhere?' });
    await dialog.getByRole('button', { name: 'Log out everywhere' }).click();
    await laptopPage.waitForURL(`${server.url}/login`);
    await laptopPage.getByText('You were signed out everywhere (2 sessions ended).').waitFor();

    // The other browser still holds its cookie; its next navigation lands on the login page.
    await phonePage.goto(`${server.url}/tokens`);
    assert.equal(new URL(phonePage.url()).pathname, '/login');
    await phonePage.getByText('Your session has ended. Sign in again.').waitFor();
    await laptop.close();
    await phone.close();
  });

  test('revoking another device ends it; "this wasn\'t me" revokes every session and API token and raises an alert', async () => {
    const email = await newUser();
    const mine = await newContext(browser);
    const oldPhone = await newContext(browser, {
      userAgent:
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
    });
    const thief = await newContext(browser);
    const page = await mine.newPage();
    await signIn(page, server.url, email, PASSWORD);
    const oldPhonePage = await oldPhone.newPage();
    await signIn(oldPhonePage, server.url, email, PASSWORD);
    await signIn(await thief.newPage(), server.url, email, PASSWORD);
    const api = await login(server.url, email, PASSWORD);
    const created = await request(`${server.url}/api/v1/tokens`, {
      method: 'POST',
      bearer: api.access_token,
      json: { name: 'laptop script' },
    });
    assert.equal(created.status, 201);

    // Revoke one other device from its row: that browser is signed out, the rest are not.
    await page.reload();
    await page
      .getByRole('button', {
        name: 'Revoke the session on Safari 17 on iOS (Phone · Apple iPhone)',
      })
      .click();
    await page.getByText('Session revoked. That device is signed out.').waitFor();
    assert.equal(await page.getByRole('row', { name: /Safari 17 on iOS/ }).count(), 0);
    await oldPhonePage.goto(`${server.url}/tokens`);
    assert.equal(new URL(oldPhonePage.url()).pathname, '/login');
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: api.access_token })).status,
      200,
      'only that session ends',
    );

    await page.getByRole('button', { name: 'This wasn’t me…' }).click();
    await page
      .getByRole('dialog', { name: 'Secure your account?' })
      .getByRole('button', { name: 'Revoke everything and alert' })
      .click();
    await page.waitForURL(`${server.url}/login`);
    await page
      .getByText(/3 sessions and 1 API token revoked, and the security team was alerted/)
      .waitFor();

    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: created.body.token })).status,
      401,
    );
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: api.access_token })).status,
      401,
    );
    const thiefPage = thief.pages()[0]!;
    await thiefPage.goto(`${server.url}/sessions`);
    assert.equal(new URL(thiefPage.url()).pathname, '/login');
    const alerts = await request(`${server.url}/api/v1/security/alerts?severity=HIGH`, {
      bearer: adminToken,
    });
    assert.equal(alerts.status, 200, alerts.text);
    const alert = (
      alerts.body.alerts as Array<{ severity: string; type: string; details: { email?: string } }>
    ).find((a) => a.type === 'user_reported_compromise' && a.details.email === email);
    assert.ok(alert !== undefined, `no alert for ${email}: ${alerts.text}`);
    assert.equal(alert.severity, 'HIGH');
    await mine.close();
    await oldPhone.close();
    await thief.close();
  });

  test('a token named like markup renders as text, and the page carries a strict CSP and no framing', async () => {
    const email = await newUser();
    const name = '<img src=x onerror=alert(1)>';
    const context = await newContext(browser);
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await signIn(page, server.url, email, PASSWORD);
    const response = await page.goto(`${server.url}/tokens`);
    await page.getByLabel('Name').fill(name);
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByRole('row', { name: /Active/ }).waitFor();

    // Shown literally — in the list, the success panel and the dialog — and no <img> was made of it.
    assert.equal(
      await page
        .getByRole('row', { name: /Active/ })
        .locator('.strong')
        .innerText(),
      name,
    );
    await page.getByText(`Token “${name}” created`).waitFor();
    assert.equal(await page.locator('main img, dialog img').count(), 0);
    await page.getByRole('button', { name: `Revoke token ${name}` }).click();
    await page.getByRole('dialog', { name: `Revoke “${name}”?` }).waitFor();
    assert.deepEqual(dialogs, [], 'no script may run from a token name');
    assert.deepEqual(violations, [], 'the page itself must not need anything the CSP forbids');

    const headers = response!.headers();
    assert.match(headers['content-security-policy'] ?? '', /default-src 'none'/);
    assert.match(headers['content-security-policy'] ?? '', /script-src 'self'(;|$)/);
    assert.match(headers['content-security-policy'] ?? '', /frame-ancestors 'none'/);
    assert.equal(headers['x-frame-options'], 'DENY');
    assert.equal(headers['cache-control'], 'no-store');
    const cookie = (await context.cookies()).find((c) => c.name === 'revokd_session');
    assert.equal(cookie?.httpOnly, true);
    assert.equal(cookie?.sameSite, 'Strict');
    await context.close();
  });

  test("a cross-site form post to a revoke URL is refused with 403 and revokes nothing, even carrying the victim's cookie", async () => {
    const { context, page } = await signedInUser();
    await page.goto(`${server.url}/tokens`);
    const secret = await createTokenInPage(page, 'victim token');
    const revokeUrl = await page
      .locator('form[action$="/revoke"][action^="/tokens/"]')
      .first()
      .getAttribute('action');
    assert.ok(revokeUrl !== null);

    // An attacker's page on another origin (localhost is another site than 127.0.0.1) that
    // auto-submits a form to the revoke URL, forged anti-CSRF field and all, in the victim's browser.
    const target = `${server.url}${revokeUrl}`;
    const attacker = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        `<!doctype html><form id="f" method="post" action="${target}"><input name="_csrf" value="guess"></form><script>document.getElementById('f').submit()</script>`,
      );
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    try {
      const attackerUrl = `http://localhost:${(attacker.address() as AddressInfo).port}/`;
      const posted = page.waitForResponse(
        (r) => r.url() === target && r.request().method() === 'POST',
      );
      await page.goto(attackerUrl);
      const answer = await posted;
      assert.equal(answer.status(), 403);
      await page.getByText('Request refused').waitFor();
    } finally {
      attacker.close();
    }
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: secret })).status,
      200,
      'the cross-site post must revoke nothing',
    );

    // SameSite=Strict kept the cookie off that request; a forger who does attach it (a non-browser
    // client, or an older browser) is refused by the Origin check, and without one by the CSRF token.
    const cookie = await sessionCookie(context);
    const forged: Array<Record<string, string>> = [
      { origin: 'http://localhost:9', 'sec-fetch-site': 'cross-site' },
      { origin: 'null' },
      { 'sec-fetch-site': 'same-site' },
      {},
    ];
    for (const extra of forged) {
      const res = await request(target, {
        method: 'POST',
        form: { _csrf: 'guess' },
        headers: { cookie, ...extra },
        redirect: 'manual',
      });
      assert.equal(res.status, 403, `${JSON.stringify(extra)}: ${res.status}`);
    }
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: secret })).status,
      200,
      'forged posts must revoke nothing',
    );

    // GET never changes anything: the revoke URL opened by a link is only a confirmation page.
    await page.goto(target);
    await page.getByRole('heading', { name: 'Revoke “victim token”?' }).waitFor();
    assert.equal((await request(`${server.url}/api/v1/auth/me`, { bearer: secret })).status, 200);
    await context.close();
  });

  test("sign-in errors are clear, dates follow the reader's locale, and the dialog works from the keyboard", async () => {
    const email = await newUser();
    const context = await newContext(browser, { locale: 'de-DE', timezoneId: 'Europe/Berlin' });
    const page = await context.newPage();
    await page.goto(`${server.url}/login`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page
      .getByRole('alert')
      .getByText('That email and password do not match an active account')
      .waitFor();
    assert.equal(
      await page.getByLabel('Email').inputValue(),
      email,
      'the email is kept for the next try',
    );
    assert.equal(await page.getByLabel('Password').getAttribute('aria-invalid'), 'true');

    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Password').press('Enter');
    await page.waitForURL(`${server.url}/sessions`);
    // German dates: "23.11.2026, 11:14" — from the <time datetime> the server wrote in UTC.
    const signedIn = page
      .getByRole('row', { name: /Diese|This device/ })
      .locator('td[data-label="Signed in"] time');
    assert.match(await signedIn.innerText(), /^\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}$/);
    const iso = await signedIn.getAttribute('datetime');
    const expected = new Intl.DateTimeFormat('de-DE', {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone: 'Europe/Berlin',
    }).format(new Date(iso!));
    assert.equal(await signedIn.innerText(), expected);

    // Keyboard only: Tab to "Log out everywhere…", Enter opens the dialog with focus on Cancel,
    // Escape closes it and returns focus to the trigger; nothing was revoked.
    const trigger = page.getByRole('button', { name: 'Log out everywhere…' });
    await trigger.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Log out everywhere?' });
    await dialog.waitFor();
    assert.equal(await focusedText(page), 'Cancel');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await focusedText(page), 'Log out everywhere…');
    await page.reload();
    assert.equal(new URL(page.url()).pathname, '/sessions', 'Escape must not log out');
    await context.close();
  });
});
