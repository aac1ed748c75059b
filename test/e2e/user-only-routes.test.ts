/**
 * Issue 9 item 10: routes that act on a user's own tokens and sessions refuse a client_credentials
 * token (it has no user) with 403, through one guard option (bearerGuard `userOnly`).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { type JsonResponse, createClientViaAdmin, login, request } from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess } from '../support/server-process.js';

let server: ServerProcess | undefined;
after(async () => {
  await server?.stop();
});

test('a client_credentials token gets 403 on revoke-all, logout-all, the API-token and the sessions routes', async () => {
  server = await ServerProcess.start();
  const admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  const client = await createClientViaAdmin(server.url, admin.access_token, 'machine', []);
  const grant = await request(`${server.url}/oauth/token`, {
    method: 'POST',
    form: {
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: client.client_secret,
    },
  });
  assert.equal(grant.status, 200, grant.text);
  const machine = grant.body.access_token as string;
  // Control: the token itself is good, so the 403s below are the route's rule.
  assert.equal(
    (await request(`${server.url}/api/v1/auth/token/validate`, { bearer: machine })).status,
    200,
  );

  const userOnly: Array<[string, string, unknown?]> = [
    ['POST', '/api/v1/auth/revoke-all', {}],
    ['POST', '/api/v1/auth/logout-all'],
    ['POST', '/api/v1/auth/logout-all-devices'],
    ['GET', '/api/v1/tokens'],
    ['POST', '/api/v1/tokens', { name: 'x' }],
    ['POST', '/api/v1/tokens/revoke-all', {}],
    ['GET', '/api/v1/sessions'],
    ['DELETE', `/api/v1/sessions/${admin.session_id}`],
  ];
  for (const [method, path, json] of userOnly) {
    const res: JsonResponse = await request(`${server.url}${path}`, {
      method,
      bearer: machine,
      ...(json === undefined ? {} : { json }),
    });
    assert.equal(res.status, 403, `${method} ${path}: ${res.text}`);
    assert.match(
      res.text,
      /this route acts for a user; a client_credentials token has none/,
      `${method} ${path}`,
    );
  }
  // Nothing was done on the user's behalf: the admin's session is still alive, and a user token passes the same guard.
  assert.equal(
    (await request(`${server.url}/api/v1/sessions`, { bearer: admin.access_token })).status,
    200,
  );
  assert.equal(
    (await request(`${server.url}/api/v1/auth/me`, { bearer: admin.access_token })).status,
    200,
  );
});

test('an API token on a route that takes a user access token: 401 that says so, and nothing done', async () => {
  server ??= await ServerProcess.start();
  const admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  const created = await request(`${server.url}/api/v1/tokens`, {
    method: 'POST',
    bearer: admin.access_token,
    json: { name: 'script' },
  });
  assert.equal(created.status, 201, created.text);
  const apiToken = created.body.token as string;
  // Control: the API token is good where API tokens are taken.
  assert.equal((await request(`${server.url}/api/v1/auth/me`, { bearer: apiToken })).status, 200);

  const accessOnly: Array<[string, string, unknown?]> = [
    ['POST', '/api/v1/auth/logout-all'],
    ['POST', '/api/v1/auth/revoke-all', {}],
    ['GET', '/api/v1/tokens'],
    ['POST', '/api/v1/tokens', { name: 'x' }],
    ['GET', '/api/v1/sessions'],
    ['GET', '/api/v1/admin/users'],
    ['GET', '/api/v1/security/blocks'],
  ];
  for (const [method, path, json] of accessOnly) {
    const res: JsonResponse = await request(`${server.url}${path}`, {
      method,
      bearer: apiToken,
      ...(json === undefined ? {} : { json }),
    });
    assert.equal(res.status, 401, `${method} ${path}: ${res.text}`);
    assert.equal(res.body.error, 'invalid_token', `${method} ${path}`);
    assert.equal(
      res.body.error_description,
      'this route needs a user access token; an API token was presented',
      `${method} ${path}`,
    );
  }
  // An unknown token that merely looks like one gets the same answer: validity is not revealed here.
  const forged = await request(`${server.url}/api/v1/sessions`, {
    bearer: `rvk_${'A'.repeat(40)}`,
  });
  assert.equal(forged.status, 401);
  assert.match(forged.text, /an API token was presented/);
  // Nothing was done: the admin's session lives and the token list holds just the one token.
  const tokens = await request(`${server.url}/api/v1/tokens`, { bearer: admin.access_token });
  assert.equal(tokens.status, 200);
  assert.equal(tokens.body.filter((t: { is_active: boolean }) => t.is_active).length, 1);
});
