/**
 * Must-show 1 in the browser (issue 12): the generated first-run admin signs in through the form in
 * real Chromium, is sent to "Choose a new password" before anything else, is refused a common
 * password with the reason, chooses one; the file is gone, the old password fails, and the other
 * browser signed in as that admin is signed out while this one stays.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, newContext, screenshot, unlabelledControls } from '../support/browser.js';
import { login, request } from '../support/http-client.js';
import { ServerProcess } from '../support/server-process.js';

const CHOSEN = 'Copper giraffes whisper 3 lunar recipes';

describe('web UI: the first-run admin must choose a password', () => {
  let server: ServerProcess;
  let browser: Browser;

  before(async () => {
    // No REVOKD_ADMIN_*: the server generates the first admin.
    server = await ServerProcess.start({
      env: { REVOKD_ADMIN_EMAIL: '', REVOKD_ADMIN_PASSWORD: '' },
    });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const signInByForm = async (page: Page, email: string, password: string): Promise<void> => {
    await page.goto(`${server.url}/login`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  test('sign in with initial-admin.json → forced to the password page → weak refused → changed → file gone', async () => {
    const file = path.join(server.dataDir, 'initial-admin.json');
    const initial = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      email: string;
      password: string;
    };

    // A second browser signed in as the same admin: it must be signed out by the change.
    const other = await (await newContext(browser)).newPage();
    await signInByForm(other, initial.email, initial.password);
    await other.waitForURL(`${server.url}/account`);

    const context = await newContext(browser);
    const page = await context.newPage();
    await signInByForm(page, initial.email, initial.password);
    await page.waitForURL(`${server.url}/account`);
    assert.equal(
      await page.getByRole('heading', { level: 1 }).textContent(),
      'Choose a new password',
    );
    assert.deepEqual(await unlabelledControls(page), []);

    // Nothing else opens first: the security console and the tokens page lead back here.
    for (const target of ['/tokens', '/admin/users', '/sessions']) {
      await page.goto(`${server.url}${target}`);
      assert.equal(
        new URL(page.url()).pathname,
        '/account',
        `${target} waits for the new password`,
      );
    }

    const fill = async (current: string, next: string, again = next) => {
      await page.getByLabel('Current password').fill(current);
      await page.getByLabel('New password', { exact: true }).fill(next);
      await page.getByLabel('New password, again').fill(again);
      await page.getByRole('button', { name: 'Change password' }).click();
    };

    await fill(initial.password, 'password123');
    const refusal = page.getByRole('alert');
    assert.match(
      (await refusal.textContent()) ?? '',
      /too easy to guess.*commonly used password.*Nothing was changed/,
    );
    await screenshot(page, 'first-run-password');

    await fill(initial.password, CHOSEN, `${CHOSEN}!`);
    assert.match((await page.getByRole('alert').textContent()) ?? '', /two new passwords differ/);

    await fill(initial.password, CHOSEN);
    await page.waitForURL(`${server.url}/sessions`);
    assert.match(
      (await page.getByRole('status').first().textContent()) ?? '',
      /Your password was changed\. 1 other session was signed out\./,
    );
    assert.equal(fs.existsSync(file), false, "the generated password's file is deleted");

    // This browser stays signed in and can now open everything; the other one is signed out.
    await page.goto(`${server.url}/admin/users`);
    assert.equal(new URL(page.url()).pathname, '/admin/users');
    await other.goto(`${server.url}/sessions`);
    assert.equal(new URL(other.url()).pathname, '/login');

    // The generated password is dead; the chosen one works.
    const old = await request(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      json: { email: initial.email, password: initial.password },
    });
    assert.equal(old.status, 401);
    await login(server.url, initial.email, CHOSEN);

    // Later changes use the same page, reached from the navigation, without the first-run wording.
    await page.getByRole('link', { name: 'Account' }).click();
    await page.waitForURL(`${server.url}/account`);
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Account');
    await fill('not my password', 'Another 5 perfectly fine bicycles');
    assert.match(
      (await page.getByRole('alert').textContent()) ?? '',
      /current password is not right/,
    );
    await context.close();
  });
});
