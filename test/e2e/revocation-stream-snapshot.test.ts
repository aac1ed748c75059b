/**
 * The snapshot a new stream starts with holds live revocation state of every scope — jti, session,
 * user and client generations, key, window, global, API token — named the way tokens' claims name
 * their targets, and leaves out entries whose tokens have all expired (short TTLs here: an access
 * token lives 2 s, so a bare-jti entry lives 3 s).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createUserViaAdmin, login, request } from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess, sleep } from '../support/server-process.js';
import { openSse } from '../support/sse-client.js';
import {
  STREAM_PATH,
  type StreamClient,
  adminRevoker,
  createStreamClient,
  randomJti,
} from '../support/stream-setup.js';

describe('the push stream snapshot', () => {
  let server: ServerProcess;
  let reader: StreamClient;
  const snapshotNow = async () => {
    const stream = await openSse(`${server.url}${STREAM_PATH}`, { authorization: reader.basic });
    const parts = await stream.snapshot();
    stream.close();
    return {
      generations: parts[0]!.data.generations,
      tokenEntries: parts[0]!.data.token_entries,
      revocations: parts.flatMap((p) => p.data.revocations as any[]),
    };
  };

  before(async () => {
    server = await ServerProcess.start({
      env: {
        REVOKD_ACCESS_TTL_SECONDS: '2',
        REVOKD_CLOCK_TOLERANCE_SECONDS: '0',
        REVOKD_REFRESH_TTL_SECONDS: '60',
        REVOKD_PRUNE_INTERVAL_MS: '200',
      },
    });
    reader = await createStreamClient((args) => server.cli(args), 'snapshot-reader');
  });
  after(async () => {
    await server?.stop();
  });

  test('every live scope is in it, as the claims name it; expired entries are compacted away', async () => {
    const revoke = await adminRevoker(server.url);
    const admin = async () => (await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;

    // First, through the CLI: rotate, then revoke the key that signed everything so far.
    const jwks = await request(`${server.url}/.well-known/jwks.json`);
    const oldKid = jwks.body.keys[0].kid as string;
    assert.equal((await server.cli(['keys', 'rotate', '--json'])).code, 0);
    const keyRevoked = await server.cli(['keys', 'revoke', oldKid, '--json']);
    assert.equal(keyRevoked.code, 0, keyRevoked.stderr);
    const victimSession = (await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD)).session_id;
    await revoke('session', victimSession);
    const user = await createUserViaAdmin(
      server.url,
      await admin(),
      'stream-victim@example.com',
      'victim-password-1',
    );
    await revoke('user', user.id);
    const victimClient = await createStreamClient((args) => server.cli(args), 'victim-client', []);
    await revoke('client', victimClient.client_id);
    const nowSec = Math.floor(Date.now() / 1000);
    await revoke('window', `${nowSec - 30}-${nowSec - 20}`);
    const created = await request(`${server.url}/api/v1/tokens`, {
      method: 'POST',
      bearer: await admin(),
      json: { name: 'stream test' },
    });
    assert.equal(created.status, 201, created.text);
    const deleted = await request(`${server.url}/api/v1/tokens/${created.body.id}`, {
      method: 'DELETE',
      bearer: await admin(),
    });
    assert.equal(deleted.status, 200, deleted.text);
    await revoke('all', '*');
    // Last: its entry lives only 3 s.
    const shortLived = randomJti();
    await revoke('jti', shortLived);

    const snap = await snapshotNow();
    const find = (pred: (r: any) => boolean, what: string) => {
      const found = snap.revocations.find(pred);
      assert.ok(found !== undefined, `${what} is in the snapshot`);
      return found;
    };
    const token = find((r) => r.scope === 'token' && r.jti === shortLived, 'the jti');
    assert.equal(typeof token.expires_at, 'number');
    find((r) => r.scope === 'session' && r.sid === victimSession, 'the session');
    assert.equal(
      find((r) => r.scope === 'user' && r.sub === user.id, 'the user generation').generation,
      1,
    );
    assert.equal(
      find(
        (r) => r.scope === 'client' && r.client_id === victimClient.client_id,
        'the client generation',
      ).generation,
      1,
    );
    find(
      (r) => r.scope === 'window' && r.iat_from === nowSec - 30 && r.iat_to === nowSec - 20,
      'the window',
    );
    find((r) => r.scope === 'api_token' && r.api_token_id === created.body.id, 'the API token');
    assert.ok(find((r) => r.scope === 'global', 'the global generation').generation >= 1);
    find((r) => r.scope === 'key' && r.kid === oldKid, 'the key');
    // The counters the snapshot starts from agree with the entries.
    assert.ok(snap.generations.global >= 1);
    assert.ok(
      snap.generations.users.some(([id, g]: [string, number]) => id === user.id && g === 1),
    );
    assert.ok(
      snap.generations.clients.some(
        ([id, g]: [string, number]) => id === victimClient.client_id && g === 1,
      ),
    );
    // Part 0 sizes a consumer's jti table: the instance's own count of token entries.
    assert.equal(
      snap.tokenEntries,
      snap.revocations.filter((r) => r.scope === 'token').length,
      'token_entries announces the token entries',
    );
    for (const r of snap.revocations) {
      assert.equal(typeof r.seq, 'number');
      assert.ok(!('note' in r), 'operator notes stay in the audit log');
    }

    // The bare jti's entry lives TTL + tolerance + 1 s = 3 s: once past, a new snapshot leaves it out.
    const expiresAt = token.expires_at as number;
    while (Date.now() <= expiresAt + 100) await sleep(100);
    const later = await snapshotNow();
    assert.equal(
      later.revocations.find((r) => r.scope === 'token' && r.jti === shortLived),
      undefined,
      'an expired entry is compacted away',
    );
    assert.ok(
      later.revocations.some((r) => r.scope === 'key' && r.kid === oldKid),
      'entries that never expire stay',
    );
  });
});
