/**
 * Proof by commit order between two instances on one store: `a` revokes a fresh marker token, and
 * once `b` refuses it, `b` has applied every feed record `a` committed before the marker — with no
 * sleep and no timing assertion.
 */
import assert from 'node:assert/strict';
import { login, request } from './http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, type ServerProcess } from './server-process.js';
import { until } from './until.js';

export async function markerReaches(a: ServerProcess, b: ServerProcess): Promise<void> {
  const marker = (await login(a.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
  const revoked = await request(`${a.url}/api/v1/auth/revoke`, { method: 'POST', bearer: marker });
  assert.equal(revoked.status, 200, revoked.text);
  await until(
    'B refuses the marker A revoked',
    async () =>
      (await request(`${b.url}/api/v1/auth/me`, { bearer: marker })).status === 401
        ? true
        : undefined,
    15_000,
  );
}
