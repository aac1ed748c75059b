/**
 * Every page of the web UI, at desktop (1280 px) and phone (390 px) width, with realistic data:
 * writes the screenshots that docs/ui.md shows (docs/screenshots/<page>-<width>.png) and checks
 * that no page scrolls sideways on a phone and that every form control has a label.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import {
  DESKTOP,
  PHONE,
  launchChromium,
  newContext,
  overflowsHorizontally,
  screenshot,
  signIn,
  unlabelledControls,
} from '../support/browser.js';
import { createUserViaAdmin, login, request } from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess } from '../support/server-process.js';

const ALICE = 'alice@example.com';
const PASSWORD = 'user-password-1';

const AGENTS = {
  mac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  iphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  windows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0',
  desktop:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
};

describe('web UI: every page at desktop and phone width', () => {
  let server: ServerProcess;
  let browser: Browser;
  let aliceId = '';

  before(async () => {
    server = await ServerProcess.start({
      env: { REVOKD_TRUSTED_PROXIES: '127.0.0.1', REVOKD_HONEYPOT_THRESHOLD: '2' },
    });
    browser = await launchChromium();
    const base = server.url;
    const admin = await login(base, ADMIN_EMAIL, ADMIN_PASSWORD);
    aliceId = (await createUserViaAdmin(base, admin.access_token, ALICE, PASSWORD)).id;
    for (const email of ['bob@example.com', 'carol@example.com', 'dave@example.com'])
      await createUserViaAdmin(base, admin.access_token, email, PASSWORD);

    // Alice's other devices, from other addresses, with their own browsers.
    const devices: Array<[string, string]> = [
      [AGENTS.mac, '198.51.100.23'],
      [AGENTS.iphone, '203.0.113.54'],
      [AGENTS.windows, '192.0.2.77'],
    ];
    let api: { access_token: string } | undefined;
    for (const [ua, ip] of devices)
      api = await login(base, ALICE, PASSWORD, { 'user-agent': ua, 'x-forwarded-for': ip });
    const make = async (name: string, scopes: string[], expires_in_days?: number) =>
      (
        await request(`${base}/api/v1/tokens`, {
          method: 'POST',
          bearer: api!.access_token,
          json: { name, scopes, ...(expires_in_days === undefined ? {} : { expires_in_days }) },
        })
      ).body;
    const deploy = await make('deploy bot', ['deploy', 'read'], 90);
    await request(`${base}/api/v1/auth/me`, {
      bearer: deploy.token,
      headers: { 'x-forwarded-for': '198.51.100.23' },
    });
    await make('grafana exporter', ['metrics:read'], 365);
    const old = await make('old laptop script', ['read']);
    await request(`${base}/api/v1/tokens/${old.id}`, {
      method: 'DELETE',
      bearer: api!.access_token,
    });

    // Something for the console to show: a range blocked by hand, a scanner caught by the honeypot,
    // a revoked token replayed, a brute-force attempt.
    await request(`${base}/api/v1/security/blocks`, {
      method: 'POST',
      bearer: admin.access_token,
      json: { cidr: '192.0.2.0/24', reason: 'credential stuffing', duration_seconds: 86400 },
    });
    for (const path of ['/.env', '/wp-login.php'])
      await request(`${base}${path}`, { headers: { 'x-forwarded-for': '198.51.100.200' } });
    const bob = await login(base, 'bob@example.com', PASSWORD, {
      'x-forwarded-for': '198.51.100.61',
    });
    await request(`${base}/api/v1/auth/revoke`, {
      method: 'POST',
      bearer: bob.access_token,
      json: {},
    });
    await request(`${base}/api/v1/auth/me`, {
      bearer: bob.access_token,
      headers: { 'x-forwarded-for': '198.51.100.61' },
    });
    for (let i = 0; i < 11; i++)
      await request(`${base}/api/v1/auth/login`, {
        method: 'POST',
        json: { email: 'carol@example.com', password: `guess-${i}` },
        headers: { 'x-forwarded-for': `203.0.113.${100 + i}` },
      });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const [width, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    test(`${width}: every page renders, fits the width and labels its controls`, async () => {
      const base = server.url;
      const context = await newContext(browser, {
        viewport,
        userAgent: width === 'phone' ? AGENTS.iphone : AGENTS.desktop,
        isMobile: width === 'phone',
        hasTouch: width === 'phone',
        deviceScaleFactor: width === 'phone' ? 2 : 1,
      });
      const page = await context.newPage();
      const shoot = async (name: string, firstScreenOnly = false) => {
        assert.equal(
          await overflowsHorizontally(page),
          false,
          `${name} scrolls sideways at ${viewport.width} px`,
        );
        assert.deepEqual(
          await unlabelledControls(page),
          [],
          `${name} has controls without a label`,
        );
        await screenshot(page, `${name}-${width}`, { firstScreenOnly });
      };

      await page.goto(`${base}/login`);
      await shoot('login');
      await page.getByLabel('Email').fill(ALICE);
      await page.getByLabel('Password').fill('wrong password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').waitFor();
      await shoot('login-error');

      await signIn(page, base, ALICE, PASSWORD);
      await shoot('sessions');
      await page.getByRole('button', { name: 'Log out everywhere…' }).click();
      await page.getByRole('dialog').waitFor();
      await shoot('sessions-logout-everywhere', true);
      await page.keyboard.press('Escape');

      await page.goto(`${base}/tokens`);
      await page.getByLabel('Name').fill('ci pipeline');
      await page.getByLabel(/Scopes/).fill('read write');
      await page.getByRole('button', { name: 'Create token' }).click();
      await page.getByLabel('New API token').waitFor();
      await shoot('tokens-created');
      await page.goto(`${base}/tokens`);
      await shoot('tokens', width === 'phone');
      await page.getByRole('button', { name: 'Revoke token deploy bot' }).click();
      await page.getByRole('dialog').waitFor();
      await shoot('tokens-revoke-dialog', true);
      await page.keyboard.press('Escape');
      await page.getByRole('button', { name: 'Sign out', exact: true }).click();

      await signIn(page, base, ADMIN_EMAIL, ADMIN_PASSWORD);
      await page.goto(`${base}/admin/users`);
      await shoot('admin-users');
      await page.goto(`${base}/admin/users/${aliceId}/revoke`);
      await shoot('admin-revoke-user');
      await page.goto(`${base}/admin/alerts`);
      await page.getByRole('row', { name: /Revoked token used again/ }).waitFor();
      await shoot('admin-alerts');
      await page.goto(`${base}/admin/blocks`);
      await shoot('admin-blocks');
      await page.goto(`${base}/admin/audit`);
      await page.getByText('Chain verified').waitFor();
      await shoot('admin-audit', true);
      await context.close();
    });
  }
});
