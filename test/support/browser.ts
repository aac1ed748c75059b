/**
 * Real Chromium (Debian's /usr/bin/chromium, installed by .ci/run) driven by playwright-core, for
 * the web-UI tests. Nothing is downloaded: a missing browser fails the test with the fix in the
 * message rather than skipping it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
  chromium,
} from 'playwright-core';
import { REPO_ROOT } from './server-process.js';

export const CHROMIUM_PATH = process.env['REVOKD_TEST_CHROMIUM'] ?? '/usr/bin/chromium';

/** Where the tests write the screenshots docs/ui.md shows. */
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'docs', 'screenshots');

export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 390, height: 844 } as const;

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    assert.fail(
      `Chromium is not installed at ${CHROMIUM_PATH}: run \`apt-get install -y chromium\` (.ci/run does), or set REVOKD_TEST_CHROMIUM`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    // As root in a container there is no user namespace for the sandbox; the rest keeps Chromium
    // from calling out to Google's services on a closed network.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

export async function newContext(
  browser: Browser,
  options: BrowserContextOptions = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: DESKTOP,
    locale: 'en-GB',
    timezoneId: 'Europe/London',
    ...options,
  });
  context.setDefaultTimeout(15_000);
  return context;
}

/** Signs in through the form, as a person would, and waits for the sessions page. */
export async function signIn(
  page: Page,
  base: string,
  email: string,
  password: string,
): Promise<void> {
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/sessions`);
}

/** The value of the UI's session cookie in a context (to replay it from outside the browser). */
export async function sessionCookie(context: BrowserContext): Promise<string> {
  const cookie = (await context.cookies()).find((c) => c.name === 'revokd_session');
  assert.ok(cookie !== undefined, 'no session cookie in this browser context');
  return `${cookie.name}=${cookie.value}`;
}

/** Writes a screenshot (the whole page, or only the first screen of a long one) to docs/screenshots/<name>.png. */
export async function screenshot(
  page: Page,
  name: string,
  options: { firstScreenOnly?: boolean } = {},
): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({
    path: file,
    fullPage: options.firstScreenOnly !== true,
    animations: 'disabled',
  });
  return file;
}

/** Whether the page scrolls sideways at the current viewport (it should not on a 390 px phone). */
export async function overflowsHorizontally(page: Page): Promise<boolean> {
  // Page-side code is given as source text: this project compiles without the DOM's types.
  return page.evaluate<boolean>('document.documentElement.scrollWidth > window.innerWidth + 1');
}

/**
 * Controls a person can use that have no accessible name (a <label>, aria-label/-labelledby, or a
 * button's own text), skipping those inside closed dialogs. Should be none on every page.
 */
export async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate<
    string[]
  >(`[...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
    .filter((el) => {
      const named = (el.labels && el.labels.length > 0) || el.hasAttribute('aria-label') || el.hasAttribute('aria-labelledby');
      const text = el.tagName === 'BUTTON' && el.textContent.trim() !== '';
      const dialog = el.closest('dialog');
      return !named && !text && !(dialog !== null && !dialog.open);
    })
    .map((el) => el.outerHTML.slice(0, 120))`);
}

/** The visible text of the focused element. */
export async function focusedText(page: Page): Promise<string> {
  return (await page.locator(':focus').innerText()).trim();
}
