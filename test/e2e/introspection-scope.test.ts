/**
 * Issue 17 item 4, on both backends: introspection needs the client scope `introspect`. A client created without
 * explicit scopes may introspect (as before); one created with only `revocations:read` (a stream
 * reader) gets 403 insufficient_scope with an RFC 6750 challenge and learns nothing about the token.
 * API-token answers name the owner by `sub` (the user id), never by email.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createClientViaAdmin,
  createUserViaAdmin,
  introspect,
  login,
  request,
} from '../support/http-client.js';
import { BACKENDS, type ServerOnBackend, startServerOn } from '../support/server-on-backend.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, type ServerProcess } from '../support/server-process.js';
import { clientCredentialsToken, createStreamClient } from '../support/stream-setup.js';

for (const backend of BACKENDS)
  describe(`introspection needs the scope introspect (${backend})`, () => {
    let running: ServerOnBackend;
    let server: ServerProcess;
    let adminToken: string;
    before(async () => {
      running = await startServerOn(backend, 'introspect_scope', {
        env: { REVOKD_LOG_LEVEL: 'warn' },
      });
      server = running.server;
      adminToken = (await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
    });
    after(async () => {
      await running?.stop();
    });

    test('a stream-only client (revocations:read) gets 403 insufficient_scope with a challenge, for every kind of token', async () => {
      const email = `victim-${Date.now()}@example.com`;
      await createUserViaAdmin(server.url, adminToken, email, 'victim-password-1');
      const victim = await login(server.url, email, 'victim-password-1');
      const apiToken = await request(`${server.url}/api/v1/tokens`, {
        method: 'POST',
        bearer: victim.access_token,
        json: { name: 'ci' },
      });
      assert.equal(apiToken.status, 201, apiToken.text);

      const reader = await createStreamClient((args) => server.cli(args), 'stream-only');
      for (const [kind, token] of [
        ['access', victim.access_token],
        ['refresh', victim.refresh_token],
        ['api', apiToken.body.token as string],
      ] as const) {
        const res = await introspect(server.url, reader, token);
        assert.equal(res.status, 403, `${kind}: ${res.text}`);
        assert.equal(res.body.error, 'insufficient_scope');
        assert.equal(res.body.active, undefined, 'nothing about the token');
        assert.doesNotMatch(res.text, new RegExp(email.replace(/[.]/g, '\\.')));
        const challenge = res.headers.get('www-authenticate') ?? '';
        assert.match(challenge, /^Bearer /);
        assert.match(challenge, /error="insufficient_scope"/);
        assert.match(challenge, /scope="introspect"/);
      }
      // The stream reader's own stream and grant still work: only introspection needs the scope.
      assert.ok((await clientCredentialsToken(server.url, reader)).length > 0);
    });

    test('clients created without scopes, or with introspect, may introspect', async () => {
      const unscoped = await createClientViaAdmin(server.url, adminToken, 'unscoped', []);
      const scoped = await createClientViaAdmin(server.url, adminToken, 'scoped', [
        'introspect',
        'revocations:read',
      ]);
      for (const client of [unscoped, scoped]) {
        const res = await introspect(server.url, client, adminToken);
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.active, true);
      }
    });

    test("an API token's introspection gives sub = the user id and never the email", async () => {
      const email = `owner-${Date.now()}@example.com`;
      const owner = await createUserViaAdmin(server.url, adminToken, email, 'owner-password-1');
      const session = await login(server.url, email, 'owner-password-1');
      const created = await request(`${server.url}/api/v1/tokens`, {
        method: 'POST',
        bearer: session.access_token,
        json: { name: 'deploy' },
      });
      assert.equal(created.status, 201, created.text);
      const introspector = await createClientViaAdmin(server.url, adminToken, 'introspector', [
        'introspect',
      ]);
      const res = await introspect(server.url, introspector, created.body.token as string);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.active, true);
      assert.equal(res.body.token_type, 'api_token');
      assert.equal(res.body.sub, owner.id);
      assert.equal(res.body.username, undefined);
      assert.doesNotMatch(res.text, /@example\.com/, 'no email anywhere in the answer');
    });
  });
