/**
 * Who may open the push stream, against a real server: a client with `revocations:read` by HTTP
 * Basic or by a client_credentials bearer token; everything else refused with the status and
 * challenge the RFCs name (401 + WWW-Authenticate Basic / Bearer error="invalid_token"; 403
 * insufficient_scope); a blocked address is refused before anything; a disabled client is refused
 * and its open stream ends.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { login, request } from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess } from '../support/server-process.js';
import { type SseRefusal, SseStream, basicAuth, connectSse } from '../support/sse-client.js';
import {
  STREAM_PATH,
  type StreamClient,
  clientCredentialsToken,
  createStreamClient,
} from '../support/stream-setup.js';

async function refused(
  url: string,
  authorization: string | undefined,
  headers: Record<string, string> = {},
): Promise<SseRefusal> {
  const result = await connectSse(url, {
    ...(authorization === undefined ? {} : { authorization }),
    headers,
  });
  if (result instanceof SseStream) {
    result.close();
    assert.fail('the stream was opened');
  }
  return result;
}

describe('push stream authentication', () => {
  let server: ServerProcess;
  let reader: StreamClient;
  let other: StreamClient;
  const url = (): string => `${server.url}${STREAM_PATH}`;

  before(async () => {
    server = await ServerProcess.start({ env: { REVOKD_TRUSTED_PROXIES: '127.0.0.1' } });
    reader = await createStreamClient((args) => server.cli(args), 'reader', [
      'revocations:read',
      'reports',
    ]);
    other = await createStreamClient((args) => server.cli(args), 'no-scope', ['reports']);
  });
  after(async () => {
    await server?.stop();
  });

  test('HTTP Basic client credentials with the scope: 200 and a snapshot', async () => {
    const stream = await connectSse(url(), { authorization: reader.basic });
    assert.ok(stream instanceof SseStream);
    await stream.snapshot();
    stream.close();
  });

  test('a client_credentials bearer token carrying the scope: 200 and a snapshot', async () => {
    const token = await clientCredentialsToken(server.url, reader, 'revocations:read');
    const stream = await connectSse(url(), { authorization: `Bearer ${token}` });
    assert.ok(stream instanceof SseStream);
    await stream.snapshot();
    stream.close();
  });

  test('no credentials, a wrong secret, an unknown client: 401 with a Basic challenge', async () => {
    for (const authorization of [
      undefined,
      basicAuth(reader.client_id, 'cs_wrong'),
      basicAuth('cl_nobody', 'x'),
    ]) {
      const res = await refused(url(), authorization);
      assert.equal(res.status, 401);
      assert.equal(res.body.code, 'ERR_INVALID_CLIENT');
      assert.match(String(res.headers['www-authenticate']), /^Basic realm="revokd"/);
    }
  });

  test('a forged or garbage bearer token: 401 with Bearer error="invalid_token"', async () => {
    const token = await clientCredentialsToken(server.url, reader, 'revocations:read');
    const [h, p] = token.split('.');
    for (const bad of ['garbage', `${h}.${p}.AAAA`]) {
      const res = await refused(url(), `Bearer ${bad}`);
      assert.equal(res.status, 401);
      assert.match(
        String(res.headers['www-authenticate']),
        /^Bearer realm="revokd", error="invalid_token"/,
      );
    }
  });

  test('a client without the scope, or a token whose scope lacks it: 403 insufficient_scope', async () => {
    const basic = await refused(url(), other.basic);
    assert.equal(basic.status, 403);
    assert.equal(basic.body.error, 'insufficient_scope');
    const narrow = await clientCredentialsToken(server.url, reader, 'reports');
    const bearer = await refused(url(), `Bearer ${narrow}`);
    assert.equal(bearer.status, 403);
    assert.equal(bearer.body.error, 'insufficient_scope');
    assert.match(
      String(bearer.headers['www-authenticate']),
      /error="insufficient_scope", scope="revocations:read"/,
    );
  });

  test("a user's access token: 403", async () => {
    const user = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const res = await refused(url(), `Bearer ${user.access_token}`);
    assert.equal(res.status, 403);
    assert.equal(res.body.code, 'ERR_FORBIDDEN');
  });

  test('a blocked address: 403 before credentials are looked at', async () => {
    const admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const block = await request(`${server.url}/api/v1/security/blocks`, {
      method: 'POST',
      bearer: admin.access_token,
      json: { ip: '198.51.100.23', reason: 'stream test' },
    });
    assert.equal(block.status, 201, block.text);
    const res = await refused(url(), reader.basic, { 'x-forwarded-for': '198.51.100.23' });
    assert.equal(res.status, 403);
    assert.equal(res.body.code, 'ERR_IP_BLOCKED');
  });

  test('disabling a client: its open stream ends, Basic is refused with 401, its bearer token with 401', async () => {
    const victim = await createStreamClient((args) => server.cli(args), 'to-disable');
    const token = await clientCredentialsToken(server.url, victim, 'revocations:read');
    const open = await connectSse(url(), { authorization: victim.basic });
    assert.ok(open instanceof SseStream);
    await open.snapshot();
    const out = await server.cli(['client', 'disable', victim.client_id, '--json']);
    assert.equal(out.code, 0, out.stderr);
    await Promise.race([
      open.endedPromise,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('the stream of a disabled client stayed open')), 10_000),
      ),
    ]);
    const basic = await refused(url(), victim.basic);
    assert.equal(basic.status, 401);
    const bearer = await refused(url(), `Bearer ${token}`);
    assert.equal(bearer.status, 401);
    assert.match(String(bearer.headers['www-authenticate']), /^Bearer /);
  });
});
