/**
 * The "Skip to content" link, in real Chromium: until it has keyboard focus it leaves no pixel on
 * the page (its drop shadow used to show under the top edge of every page); on the first Tab it
 * appears inside the viewport, and following it moves focus to the main content.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  DESKTOP,
  PHONE,
  focusedText,
  launchChromium,
  newContext,
  signIn,
} from '../support/browser.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess } from '../support/server-process.js';

/** The top of the page, where the hidden link sits just above the edge. */
const topStrip = (page: Page, width: number): Promise<Buffer> =>
  page.screenshot({ clip: { x: 0, y: 0, width, height: 140 }, animations: 'disabled' });

describe('web UI: the skip link', () => {
  let server: ServerProcess;
  let browser: Browser;
  before(async () => {
    server = await ServerProcess.start();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const [width, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    test(`${width}: invisible until focused, then on screen and working`, async () => {
      const context = await newContext(browser, { viewport });
      const page = await context.newPage();
      await signIn(page, server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
      for (const path of ['/sessions', '/tokens', '/login?next=/tokens']) {
        if (path.startsWith('/login')) {
          await context.clearCookies();
        }
        await page.goto(`${server.url}${path}`);
        await page.evaluate('document.activeElement && document.activeElement.blur()');
        const withLink = await topStrip(page, viewport.width);
        // The same page without the link: an unfocused skip link must not change a single pixel.
        await page.evaluate('document.querySelector(".skip-link").style.display = "none"');
        const withoutLink = await topStrip(page, viewport.width);
        assert.ok(
          withLink.equals(withoutLink),
          `${path}: the unfocused skip link (or its shadow) is visible`,
        );
        await page.evaluate('document.querySelector(".skip-link").style.display = ""');
        // The sign-in page puts focus in its email field; its keyboard order is the account tests' concern.
        if (path.startsWith('/login')) continue;

        // Keyboard: the first Tab lands on it, and it is then inside the viewport.
        await page.keyboard.press('Tab');
        assert.equal(await focusedText(page), 'Skip to content', path);
        const box = await page.locator('.skip-link').boundingBox();
        assert.ok(
          box !== null && box.y >= 0 && box.y + box.height <= viewport.height,
          `${path}: focused skip link on screen: ${JSON.stringify(box)}`,
        );
        assert.ok(
          !(await topStrip(page, viewport.width)).equals(withoutLink),
          `${path}: the focused skip link shows`,
        );
        await page.keyboard.press('Enter');
        assert.equal(
          await page.evaluate('document.activeElement && document.activeElement.id'),
          'main',
          `${path}: focus moves to the content`,
        );
      }
      await context.close();
    });
  }
});
