/**
 * The security console (SPEC §8, admins), in real Chromium against a real server behind a trusted
 * proxy: block a range (its sessions die, the range gets 403), lift it (nothing revives), revoke a
 * user after the dry-run preview with a mandatory reason (sessions and API tokens die), triage the
 * alert that follows, and read both actions in the audit log under "Chain verified".
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, newContext, signIn } from '../support/browser.js';
import { createUserViaAdmin, login, request } from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess } from '../support/server-process.js';

const CAROL = 'carol@example.com';
const PASSWORD = 'user-password-1';

describe('web UI: security console', () => {
  let server: ServerProcess;
  let browser: Browser;
  let adminContext: BrowserContext;
  let admin: Page;

  before(async () => {
    // The browser talks to the server directly (127.0.0.1, the "proxy"); a context that sends
    // X-Forwarded-For stands for a user behind that proxy at that address.
    server = await ServerProcess.start({ env: { REVOKD_TRUSTED_PROXIES: '127.0.0.1' } });
    browser = await launchChromium();
    adminContext = await newContext(browser);
    admin = await adminContext.newPage();
    await signIn(admin, server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('block a range, revoke a user with a reason, and find both in a verified audit log', async () => {
    const base = server.url;
    const adminApi = await login(base, ADMIN_EMAIL, ADMIN_PASSWORD);
    await createUserViaAdmin(base, adminApi.access_token, CAROL, PASSWORD);

    // Carol: a browser at a hotel (203.0.113.7), a browser at home (198.51.100.9), an API login and an API token.
    const hotel = await newContext(browser, {
      extraHTTPHeaders: { 'x-forwarded-for': '203.0.113.7' },
    });
    const home = await newContext(browser, {
      extraHTTPHeaders: { 'x-forwarded-for': '198.51.100.9' },
    });
    const hotelPage = await hotel.newPage();
    const homePage = await home.newPage();
    await signIn(hotelPage, base, CAROL, PASSWORD);
    await signIn(homePage, base, CAROL, PASSWORD);
    const carolApi = await login(base, CAROL, PASSWORD, { 'x-forwarded-for': '198.51.100.9' });
    const apiToken = await request(`${base}/api/v1/tokens`, {
      method: 'POST',
      bearer: carolApi.access_token,
      json: { name: 'carol sync' },
    });
    assert.equal(apiToken.status, 201, apiToken.text);

    // Block the hotel's range from the console. The admin's own address is refused first.
    await admin.getByRole('link', { name: 'Security' }).click();
    await admin.getByRole('link', { name: 'IP blocks' }).click();
    await admin.getByLabel('IP address or CIDR range').fill('127.0.0.0/8');
    await admin.getByLabel(/^Reason/).fill('oops');
    await admin.getByRole('button', { name: 'Block', exact: true }).click();
    await admin
      .getByRole('alert')
      .getByText(/contains your own address \(127\.0\.0\.1\)/)
      .waitFor();
    await admin.getByLabel('IP address or CIDR range').fill('203.0.113.0/24');
    await admin.getByLabel(/^Reason/).fill('credential stuffing from the hotel network');
    await admin.getByLabel('Duration').selectOption('permanent');
    await admin.getByRole('button', { name: 'Block', exact: true }).click();
    await admin
      .getByText('Blocked 203.0.113.0/24. Revoked from it: 1 session and 0 API tokens.')
      .waitFor();
    await admin
      .getByRole('row', { name: /203\.0\.113\.0\/24/ })
      .getByText('credential stuffing from the hotel network')
      .waitFor();

    // The hotel browser is refused outright; home still works.
    const blocked = await hotelPage.goto(`${base}/sessions`);
    assert.equal(blocked?.status(), 403);
    await hotelPage.getByRole('heading', { name: 'Access blocked' }).waitFor();
    await homePage.goto(`${base}/sessions`);
    assert.equal(new URL(homePage.url()).pathname, '/sessions');

    // Revoke everything Carol holds: find her, preview (dry run: nothing changes), a reason is required.
    await admin.getByRole('link', { name: 'Users' }).click();
    await admin.getByLabel('Search by email').fill('carol@');
    await admin.getByRole('button', { name: 'Search' }).click();
    await admin.getByRole('link', { name: `Revoke everything ${CAROL} holds` }).click();
    const preview = admin.locator('[data-preview]');
    assert.match(await preview.innerText(), /2\s*live sessions/);
    assert.match(await preview.innerText(), /1\s*active API token/);
    assert.equal(
      (await request(`${base}/api/v1/auth/me`, { bearer: apiToken.body.token })).status,
      200,
      'the preview must revoke nothing',
    );
    await admin.getByLabel(/^Reason/).fill('   ');
    await admin.getByRole('button', { name: 'Revoke everything' }).click();
    await admin.getByRole('alert').getByText('A reason is required').waitFor();
    assert.equal(
      (await request(`${base}/api/v1/auth/me`, { bearer: apiToken.body.token })).status,
      200,
      'no reason, no revocation',
    );
    await admin.getByLabel(/^Reason/).fill('laptop stolen, ticket SEC-1234');
    await admin.getByRole('button', { name: 'Revoke everything' }).click();
    await admin.getByText(`Revoked everything ${CAROL} held: 2 sessions`).waitFor();

    // Everything of Carol's is dead: the API token, the API session, the home browser.
    assert.equal(
      (await request(`${base}/api/v1/auth/me`, { bearer: apiToken.body.token })).status,
      401,
    );
    assert.equal(
      (await request(`${base}/api/v1/auth/me`, { bearer: carolApi.access_token })).status,
      401,
    );
    await homePage.goto(`${base}/tokens`);
    assert.equal(new URL(homePage.url()).pathname, '/login');

    // Those two replays (her API token, her access token) each raised a CRITICAL alert naming
    // Carol; acknowledge the access-token one and it leaves the open list.
    await admin.getByRole('link', { name: 'Alerts' }).click();
    await admin.getByLabel('Severity', { exact: true }).selectOption('CRITICAL');
    await admin.getByRole('button', { name: 'Filter' }).click();
    const replays = admin
      .getByRole('row', { name: /Revoked token used again/ })
      .filter({ hasText: CAROL });
    assert.equal(await replays.count(), 2);
    await replays
      .filter({ hasText: 'kind: access_token' })
      .getByRole('button', { name: /^Acknowledge/ })
      .click();
    await admin.getByText('Alert acknowledged (CRITICAL revoked_token_replay).').waitFor();
    assert.equal(await replays.count(), 1, 'the acknowledged alert leaves the open list');
    assert.match(await replays.innerText(), /kind: api_token/);
    await admin.getByLabel('State', { exact: true }).selectOption('acknowledged');
    await admin.getByRole('button', { name: 'Filter' }).click();
    const acknowledged = admin.getByRole('row', { name: /Revoked token used again/ });
    assert.equal(await acknowledged.count(), 1);
    assert.match(
      await acknowledged.innerText(),
      new RegExp(`kind: access_token[\\s\\S]*by ${ADMIN_EMAIL.replace('.', '\\.')}`),
    );

    // Lift the block with a reason: the range may come back, but nothing it revoked does.
    await admin.getByRole('link', { name: 'IP blocks' }).click();
    await admin.getByRole('button', { name: 'Unblock 203.0.113.0/24' }).click();
    const unblock = admin.getByRole('dialog', { name: 'Unblock 203.0.113.0/24?' });
    await unblock.getByLabel(/^Reason/).fill('hotel fixed its network');
    await unblock.getByRole('button', { name: 'Unblock' }).click();
    await admin
      .getByText('Unblocked 203.0.113.0/24. Tokens the block revoked stay revoked.')
      .waitFor();
    await hotelPage.goto(`${base}/sessions`);
    assert.equal(new URL(hotelPage.url()).pathname, '/login');

    // The audit log: both actions with their reasons, and the chain verified.
    await admin.getByRole('link', { name: 'Audit log' }).click();
    await admin.getByText('Chain verified').waitFor();
    const blockedEntry = admin.getByRole('row', { name: /ip\.blocked/ });
    assert.match(await blockedEntry.innerText(), /203\.0\.113\.0\/24/);
    assert.match(await blockedEntry.innerText(), new RegExp(ADMIN_EMAIL.replace('.', '\\.')));
    const revokedEntry = admin
      .getByRole('row', { name: /user\.tokens_revoked/ })
      .filter({ hasText: 'laptop stolen, ticket SEC-1234' });
    assert.match(await revokedEntry.innerText(), new RegExp(CAROL.replace('.', '\\.')));
    await admin
      .getByRole('row', { name: /ip\.unblocked/ })
      .filter({ hasText: 'hotel fixed its network' })
      .waitFor();

    // Filtered to Carol and to one event type.
    await admin.getByLabel('Event', { exact: true }).selectOption('user.tokens_revoked');
    await admin.getByLabel('User (email or id)').fill(CAROL);
    await admin.getByRole('button', { name: 'Filter' }).click();
    const rows = admin.locator('tbody tr');
    assert.ok((await rows.count()) >= 1);
    for (const text of await rows.allInnerTexts()) assert.match(text, /user\.tokens_revoked/);
    await hotel.close();
    await home.close();
  });

  test('the console is for admins only', async () => {
    const adminApi = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    await createUserViaAdmin(server.url, adminApi.access_token, 'dave@example.com', PASSWORD);
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, server.url, 'dave@example.com', PASSWORD);
    assert.equal(await page.getByRole('link', { name: 'Security' }).count(), 0);
    for (const path of ['/admin/users', '/admin/alerts', '/admin/blocks', '/admin/audit']) {
      const res = await page.goto(`${server.url}${path}`);
      assert.equal(res?.status(), 403, path);
      await page.getByRole('heading', { name: 'Administrators only' }).waitFor();
    }
    await context.close();
  });
});
