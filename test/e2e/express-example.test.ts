/**
 * The Express example (examples/express) against a real revokd: both run as child processes, the
 * example reading revocations over the push stream with a client made by the CLI, as its README
 * says. A live token → 200; revoked through the HTTP API → 401 within 1 s; without the route's
 * scope → 403 with the RFC 6750 challenge; SIGTERM → exit 0.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { REPO_ROOT, ServerProcess, freePort, sleep } from '../support/server-process.js';
import {
  type StreamClient,
  adminRevoker,
  clientCredentialsToken,
  createStreamClient,
} from '../support/stream-setup.js';
import { killProcessGroup } from '../support/kill-process-group.js';

const PROPAGATION_BOUND_MS = 1000;

describe('Express example: @revokd/verifier/express with requireScopes, against a real revokd', () => {
  let server: ServerProcess;
  let example: ChildProcess | undefined;
  let output = '';
  let url: string;
  let writer: StreamClient;
  let revoke: (scope: string, value: string) => Promise<void>;

  const call = (method: 'GET' | 'POST', token: string | undefined) =>
    fetch(`${url}/orders`, {
      method,
      headers: {
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        'content-type': 'application/json',
      },
      ...(method === 'POST' ? { body: JSON.stringify({ item: 'book' }) } : {}),
    });

  const killExample = (): Promise<void> => killProcessGroup(example);

  before(async () => {
    server = await ServerProcess.start();
    const cli = (args: readonly string[]) => server.cli(args);
    // The README's two clients: one reading the stream, one that may be granted orders:write.
    const [reader, orderWriter, port] = await Promise.all([
      createStreamClient(cli, 'orders-api'),
      createStreamClient(cli, 'orders-writer', ['orders:read', 'orders:write']),
      freePort(),
    ]);
    writer = orderWriter;
    revoke = await adminRevoker(server.url);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(REPO_ROOT, 'examples/express/server.ts')],
      {
        cwd: REPO_ROOT,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          REVOKD_URL: server.url,
          REVOKD_CLIENT_ID: reader.client_id,
          REVOKD_CLIENT_SECRET: reader.client_secret,
          PORT: String(port),
        },
      },
    );
    example = child;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`the Express example did not start:\n${output}`)),
          30_000,
        );
        child.stdout.on('data', (d: Buffer) => {
          output += d.toString();
          if (output.includes('listening on')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.stderr.on('data', (d: Buffer) => {
          output += d.toString();
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`the Express example exited with ${code}:\n${output}`));
        });
      });
    } catch (err) {
      await killExample();
      await server.stop();
      throw err;
    }
    url = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    await killExample();
    await server?.stop();
  });

  test('prints one line on stdout when listening', () => {
    assert.match(
      output,
      new RegExp(`^express example listening on http://127\\.0\\.0\\.1:${new URL(url).port}\\n$`),
    );
  });

  test('a live token with orders:write → 200 and 201; no token → 401', async () => {
    const token = await clientCredentialsToken(server.url, writer, 'orders:write');
    const list = await call('GET', token);
    assert.equal(list.status, 200);
    assert.deepEqual(await list.json(), { user: decodeJwt(token).sub, orders: [] });
    const created = await call('POST', token);
    assert.equal(created.status, 201);
    assert.deepEqual(await created.json(), { id: 1, by: decodeJwt(token).sub, item: 'book' });
    const none = await call('GET', undefined);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="api"');
  });

  test('a token without orders:write → 200 on GET, 403 insufficient_scope on POST', async () => {
    const token = await clientCredentialsToken(server.url, writer, 'orders:read');
    assert.equal(decodeJwt(token).scope, 'orders:read');
    assert.equal((await call('GET', token)).status, 200);
    const res = await call('POST', token);
    assert.equal(res.status, 403);
    assert.equal(
      res.headers.get('www-authenticate'),
      'Bearer realm="orders", error="insufficient_scope", scope="orders:write"',
    );
    assert.deepEqual(await res.json(), {
      error: 'insufficient_scope',
      error_description: 'the token lacks the scope orders:write',
      code: 'ERR_FORBIDDEN',
    });
  });

  test(`a token revoked through the HTTP API → 401 within ${PROPAGATION_BOUND_MS} ms`, async (t) => {
    const token = await clientCredentialsToken(server.url, writer, 'orders:write');
    assert.equal((await call('POST', token)).status, 201);
    await revoke('jti', decodeJwt(token).jti as string);
    const revokedAt = performance.now();
    let res = await call('POST', token);
    while (res.status !== 401 && performance.now() - revokedAt < PROPAGATION_BOUND_MS) {
      await sleep(5);
      res = await call('POST', token);
    }
    const elapsed = performance.now() - revokedAt;
    t.diagnostic(`revoked through the API → 401 from the example after ${elapsed.toFixed(1)} ms`);
    assert.equal(res.status, 401, `still ${res.status} after ${elapsed.toFixed(0)} ms`);
    assert.match(
      res.headers.get('www-authenticate') ?? '',
      /^Bearer realm="orders", error="invalid_token"/,
    );
    assert.equal(((await res.json()) as { code: string }).code, 'ERR_TOKEN_REVOKED');
    // Another token of the same client is not affected.
    assert.equal(
      (await call('GET', await clientCredentialsToken(server.url, writer, 'orders:write'))).status,
      200,
    );
  });

  test('GET /healthz answers the verifier status; SIGTERM → exit 0', async () => {
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { canDecide: boolean }).canDecide, true);
    const child = example as ChildProcess;
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    child.kill('SIGTERM');
    assert.equal(await exited, 0, output);
  });
});
