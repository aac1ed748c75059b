/**
 * A revocation entry outlives its token: with a 5 s access TTL and pruning running constantly,
 * a revoked token polled every 250 ms until well past exp + clock tolerance is never accepted.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { login, request } from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess, sleep } from '../support/server-process.js';

let server: ServerProcess;
before(async () => {
  server = await ServerProcess.start({
    env: {
      REVOKD_ACCESS_TTL_SECONDS: '5',
      REVOKD_CLOCK_TOLERANCE_SECONDS: '2',
      REVOKD_PRUNE_INTERVAL_MS: '200',
    },
  });
});
after(async () => {
  await server?.stop();
});

test('a revoked token is never accepted between revocation and exp + tolerance (pruning every 200 ms)', async () => {
  const session = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  const { exp } = JSON.parse(
    Buffer.from(session.access_token.split('.')[1]!, 'base64url').toString(),
  ) as { exp: number };
  assert.equal(
    (
      await request(`${server.url}/api/v1/auth/revoke`, {
        method: 'POST',
        bearer: session.access_token,
      })
    ).status,
    200,
  );
  const until = (exp + 2 + 2) * 1000; // past exp + tolerance, with margin
  const seen = new Map<string, number>();
  let polls = 0;
  while (Date.now() < until) {
    const res = await request(`${server.url}/api/v1/auth/me`, { bearer: session.access_token });
    assert.equal(res.status, 401, `accepted at ${new Date().toISOString()} (exp ${exp})`);
    seen.set(res.body.code, (seen.get(res.body.code) ?? 0) + 1);
    polls++;
    await sleep(250);
  }
  assert.ok(polls >= 10);
  // Both phases happened: rejected as revoked while the signature was still good, then as expired.
  assert.ok((seen.get('ERR_TOKEN_REVOKED') ?? 0) > 0, JSON.stringify([...seen]));
  assert.ok((seen.get('ERR_TOKEN_EXPIRED') ?? 0) > 0, JSON.stringify([...seen]));
});
