/** Driving the web UI's forms in-process (fastify.inject), as a browser would send them. */
import assert from 'node:assert/strict';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';

/** name → value of every Set-Cookie in a response. */
export function cookiesOf(res: LightMyRequestResponse): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of setCookieLines(res)) {
    const [pair] = line.split(';');
    const eq = pair!.indexOf('=');
    out[pair!.slice(0, eq)] = decodeURIComponent(pair!.slice(eq + 1));
  }
  return out;
}

export function setCookieLines(res: LightMyRequestResponse): string[] {
  const header = res.headers['set-cookie'];
  return Array.isArray(header) ? header : header === undefined ? [] : [header];
}

/** A POST of URL-encoded form fields, as a browser sends a <form>. */
export function formPost(
  url: string,
  headers: Record<string, string>,
  fields: Record<string, string>,
): InjectOptions {
  return {
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: new URLSearchParams(fields).toString(),
  };
}

/** The value of the first anti-CSRF field on a page. */
export function hiddenCsrf(body: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(body);
  assert.ok(match !== null, 'no anti-CSRF field on the page');
  return match[1]!;
}

/** Signs in through the form; returns the session cookie header and the session's anti-CSRF token. */
export async function signInByForm(
  app: FastifyInstance,
  email: string,
  password: string,
): Promise<{ cookie: string; csrf: string }> {
  const form = await app.inject({ method: 'GET', url: '/login' });
  const loginCookie = cookiesOf(form)['revokd_login']!;
  const res = await app.inject(
    formPost(
      '/login',
      { cookie: `revokd_login=${loginCookie}` },
      { _csrf: hiddenCsrf(form.body), email, password },
    ),
  );
  assert.equal(res.statusCode, 303, res.body);
  const cookie = `revokd_session=${encodeURIComponent(cookiesOf(res)['revokd_session']!)}`;
  const page = await app.inject({ method: 'GET', url: '/tokens', headers: { cookie } });
  assert.equal(page.statusCode, 200);
  return { cookie, csrf: hiddenCsrf(page.body) };
}
