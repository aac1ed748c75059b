/**
 * Issue 9 item 10: a disabled client cannot authenticate anywhere (and its tokens are revoked); an
 * enabled one can again; a rotated secret replaces the old one at once; the CLI does the same.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { type JsonResponse, createClientViaAdmin, login, request } from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess } from '../support/server-process.js';

let server: ServerProcess | undefined;
after(async () => {
  await server?.stop();
});

type Creds = { client_id: string; client_secret: string };
const basic = (c: Creds) => ({
  authorization: `Basic ${Buffer.from(`${encodeURIComponent(c.client_id)}:${encodeURIComponent(c.client_secret)}`).toString('base64')}`,
});

/** The status of every client-authenticated endpoint for these credentials. */
async function clientEndpoints(
  base: string,
  creds: Creds,
  token: string,
): Promise<Record<string, number>> {
  const call = (path: string, form: Record<string, string>): Promise<JsonResponse> =>
    request(`${base}${path}`, { method: 'POST', form, headers: basic(creds) });
  return {
    token: (await call('/oauth/token', { grant_type: 'client_credentials' })).status,
    introspect: (await call('/oauth/introspect', { token })).status,
    revoke: (await call('/oauth/revoke', { token: 'not-a-token-of-anyone' })).status,
  };
}

test('a disabled client gets 401 invalid_client on every client-authenticated endpoint and its tokens are revoked; enabled, it works again; a rotated secret works and the old one does not', async () => {
  server = await ServerProcess.start();
  const admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  const client = await createClientViaAdmin(server.url, admin.access_token, 'rs', []);
  const grant = await request(`${server.url}/oauth/token`, {
    method: 'POST',
    form: { grant_type: 'client_credentials' },
    headers: basic(client),
  });
  assert.equal(grant.status, 200, grant.text);
  const machineToken = grant.body.access_token as string;
  const ok = { token: 200, introspect: 200, revoke: 200 };
  assert.deepEqual(await clientEndpoints(server.url, client, admin.access_token), ok);

  const adminPost = (path: string): Promise<JsonResponse> =>
    request(`${server!.url}${path}`, { method: 'POST', bearer: admin.access_token });
  const disabled = await adminPost(`/api/v1/admin/clients/${client.client_id}/disable`);
  assert.equal(disabled.status, 200, disabled.text);
  assert.deepEqual(await clientEndpoints(server.url, client, admin.access_token), {
    token: 401,
    introspect: 401,
    revoke: 401,
  });
  const refused = await request(`${server.url}/oauth/token`, {
    method: 'POST',
    form: { grant_type: 'client_credentials' },
    headers: basic(client),
  });
  assert.equal(refused.body.error, 'invalid_client');
  assert.equal(
    (await request(`${server.url}/api/v1/auth/token/validate`, { bearer: machineToken })).status,
    401,
    'its tokens are revoked',
  );

  assert.equal((await adminPost(`/api/v1/admin/clients/${client.client_id}/enable`)).status, 200);
  assert.deepEqual(await clientEndpoints(server.url, client, admin.access_token), ok);
  assert.equal(
    (await request(`${server.url}/api/v1/auth/token/validate`, { bearer: machineToken })).status,
    401,
    'old tokens stay revoked',
  );

  const rotated = await adminPost(`/api/v1/admin/clients/${client.client_id}/rotate-secret`);
  assert.equal(rotated.status, 200, rotated.text);
  const fresh: Creds = { client_id: client.client_id, client_secret: rotated.body.client_secret };
  assert.notEqual(fresh.client_secret, client.client_secret);
  assert.deepEqual(await clientEndpoints(server.url, client, admin.access_token), {
    token: 401,
    introspect: 401,
    revoke: 401,
  });
  assert.deepEqual(await clientEndpoints(server.url, fresh, admin.access_token), ok);

  // Bad ids: unknown 404, malformed 400, the built-in client 409 (the web UI needs it).
  assert.equal((await adminPost('/api/v1/admin/clients/cl_nosuchclient/disable')).status, 404);
  const malformed = await adminPost(
    `/api/v1/admin/clients/${encodeURIComponent('bad id!')}/rotate-secret`,
  );
  assert.equal(malformed.status, 400);
  assert.doesNotMatch(malformed.text, /PATTERN/);
  assert.equal((await adminPost('/api/v1/admin/clients/revokd/disable')).status, 409);
  assert.equal(
    (await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token.length > 0,
    true,
  );
});

test('`revokd client disable|enable|rotate-secret` from the CLI reaches the running server', async () => {
  server ??= await ServerProcess.start();
  const admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  const client = await createClientViaAdmin(server.url, admin.access_token, 'rs-cli', []);
  assert.equal((await server.cli(['client', 'disable', client.client_id])).code, 0);
  assert.equal((await clientEndpoints(server.url, client, admin.access_token)).token, 401);
  assert.equal((await server.cli(['client', 'enable', client.client_id])).code, 0);
  assert.equal((await clientEndpoints(server.url, client, admin.access_token)).token, 200);
  const rotated = await server.cli(['client', 'rotate-secret', client.client_id, '--json']);
  assert.equal(rotated.code, 0, rotated.stderr);
  const fresh: Creds = {
    client_id: client.client_id,
    client_secret: JSON.parse(rotated.stdout).client_secret,
  };
  assert.equal((await clientEndpoints(server.url, client, admin.access_token)).token, 401);
  assert.equal((await clientEndpoints(server.url, fresh, admin.access_token)).token, 200);
  const unknown = await server.cli(['client', 'disable', 'cl_nosuchclient']);
  assert.notEqual(unknown.code, 0);
});
