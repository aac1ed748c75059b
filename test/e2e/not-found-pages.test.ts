/**
 * Issue 17, item 9: an unknown path asked for by a browser shows the UI's 404 page (its layout,
 * stylesheet and security headers), not raw JSON; the API's paths, and any client that does not
 * ask for HTML, keep the JSON error shape. Against a real server process.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from '../support/http-client.js';
import { ServerProcess } from '../support/server-process.js';

/** What Chromium sends when navigating to a page. */
const BROWSER_ACCEPT =
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7';

describe('unknown paths', () => {
  let server: ServerProcess;
  before(async () => {
    server = await ServerProcess.start();
  });
  after(async () => {
    await server?.stop();
  });

  test("a browser asking for an unknown UI path gets an HTML 404 page in the UI's layout", async () => {
    for (const path of ['/no-such-page', '/tokens/extra/segments', '/admin/nothing-here?x=1']) {
      const res = await request(`${server.url}${path}`, { headers: { accept: BROWSER_ACCEPT } });
      assert.equal(res.status, 404, path);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/, path);
      assert.match(res.text, /<h1[^>]*>Page not found<\/h1>/, path);
      assert.match(
        res.text,
        /<link rel="stylesheet" href="\/static\/app\.css/,
        `${path}: the UI's stylesheet`,
      );
      assert.match(res.text, /href="\/"/, `${path}: a way back`);
      assert.ok(res.headers.get('content-security-policy'), `${path}: the UI's security headers`);
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
    }
  });

  test('API paths, and clients that do not prefer HTML, keep the JSON error', async () => {
    const json = async (path: string, accept?: string) => {
      const res = await request(
        `${server.url}${path}`,
        accept === undefined ? {} : { headers: { accept } },
      );
      assert.equal(res.status, 404, `${path} (${accept})`);
      assert.match(
        res.headers.get('content-type') ?? '',
        /^application\/json/,
        `${path} (${accept})`,
      );
      assert.deepEqual(res.body, {
        error: 'not_found',
        error_description: 'no such resource',
        code: 'ERR_NOT_FOUND',
      });
    };
    for (const path of ['/api/v1/nope', '/api', '/oauth/nope', '/.well-known/nope'])
      await json(path, BROWSER_ACCEPT);
    await json('/no-such-page');
    await json('/no-such-page', '*/*');
    await json('/no-such-page', 'application/json');
    await json('/no-such-page', 'application/json, text/html;q=0.5');
  });
});
