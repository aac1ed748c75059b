/** What the push-stream tests set up on a running server: a stream client (through the CLI), admin revocations. */
import assert from 'node:assert/strict';
import { login, request } from './http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from './server-process.js';
import { basicAuth } from './sse-client.js';

export const STREAM_PATH = '/api/v1/revocations/stream';

export interface StreamClient {
  readonly client_id: string;
  readonly client_secret: string;
  /** The Authorization header for HTTP Basic. */
  readonly basic: string;
}

/** `revokd client create --name <n> --scope revocations:read` (what the docs tell operators to run). */
export async function createStreamClient(
  cli: (args: readonly string[]) => Promise<{ code: number; stdout: string; stderr: string }>,
  name: string,
  scopes = ['revocations:read'],
): Promise<StreamClient> {
  const args = [
    'client',
    'create',
    '--name',
    name,
    ...(scopes.length > 0 ? ['--scope', ...scopes] : []),
    '--json',
  ];
  const out = await cli(args);
  assert.equal(out.code, 0, out.stderr);
  const created = JSON.parse(out.stdout) as {
    client_id: string;
    client_secret: string;
    grants: string[];
    scopes: string[];
  };
  assert.ok(
    created.grants.includes('client_credentials'),
    'a stream client can use the client_credentials grant',
  );
  assert.deepEqual(created.scopes, scopes);
  return {
    client_id: created.client_id,
    client_secret: created.client_secret,
    basic: basicAuth(created.client_id, created.client_secret),
  };
}

/** An access token from the client_credentials grant. */
export async function clientCredentialsToken(
  base: string,
  client: StreamClient,
  scope?: string,
): Promise<string> {
  const form: Record<string, string> = {
    grant_type: 'client_credentials',
    ...(scope === undefined ? {} : { scope }),
  };
  const res = await request(`${base}/oauth/token`, {
    method: 'POST',
    form,
    headers: { authorization: client.basic },
  });
  assert.equal(res.status, 200, res.text);
  return res.body.access_token as string;
}

/** Logs the admin in and returns a function revoking through POST /api/v1/admin/revocations. */
export async function adminRevoker(
  base: string,
): Promise<(scope: string, value: string) => Promise<void>> {
  let token = (await login(base, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
  return async (scope, value) => {
    let res = await request(`${base}/api/v1/admin/revocations`, {
      method: 'POST',
      bearer: token,
      json: { scope, value },
    });
    if (res.status === 401) {
      // A short access TTL in the test: log in again.
      token = (await login(base, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
      res = await request(`${base}/api/v1/admin/revocations`, {
        method: 'POST',
        bearer: token,
        json: { scope, value },
      });
    }
    assert.equal(res.status, 200, res.text);
  };
}

/** A jti-shaped random id (what `revokd revoke jti` accepts). */
export function randomJti(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64url');
}
