/**
 * Issue 17, item 3: an IP block travels like every revocation — through the commit-ordered feed and
 * its wake-up — so every instance enforces it (and its lifting) as fast as a token revocation, and
 * every instance ends the push streams open from the range. Two instances on one store, for both
 * backends: PostgreSQL with LISTEN/NOTIFY, one SQLite file with Redis pub/sub. The poll is a minute,
 * so within the test only the feed's wake-up can bring anything from A to B.
 *
 * No timing is asserted. The proof is commit order: after each block (or lift) A revokes a marker
 * token; once B refuses the marker, B has applied every feed record committed before it, so it must
 * already enforce the block (a block reloaded on a timer instead — the old 1 s reload — is not yet
 * in force when the marker arrives by wake-up, milliseconds later).
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { login, request } from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, type ServerProcess } from '../support/server-process.js';
import { type TwoInstances, describeOnTwoInstances } from '../support/two-instances.js';
import { type SseStream, openSse, connectSse } from '../support/sse-client.js';
import { STREAM_PATH, type StreamClient, createStreamClient } from '../support/stream-setup.js';
import { markerReaches } from '../support/feed-marker.js';
import { until } from '../support/until.js';

const from = (ip: string): Record<string, string> => ({ 'x-forwarded-for': ip });
/** An unauthenticated bearer route: 403 while the address is blocked, else 401. */
const statusFrom = async (server: ServerProcess, ip: string): Promise<number> =>
  (await request(`${server.url}/api/v1/auth/me`, { headers: from(ip) })).status;

function describeBlocks(name: string, servers: TwoInstances): void {
  let admin: string;
  let reader: StreamClient;
  before(async () => {
    const { a } = servers();
    admin = (await login(a.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
    reader = await createStreamClient((args) => a.cli(args), `blocked-reader-${name}`);
  });

  const block = async (cidr: string): Promise<string> => {
    const res = await request(`${servers().a.url}/api/v1/security/blocks`, {
      method: 'POST',
      bearer: admin,
      json: { cidr, reason: `issue 17 test (${name})` },
    });
    assert.equal(res.status, 201, res.text);
    return res.body.id as string;
  };
  const lift = async (id: string): Promise<void> => {
    const res = await request(`${servers().a.url}/api/v1/security/blocks/${id}`, {
      method: 'DELETE',
      bearer: admin,
    });
    assert.equal(res.status, 200, res.text);
  };
  /** A marker revoked on A and refused by B: B has applied everything A committed before. */
  const markerReachesB = (): Promise<void> => markerReaches(servers().a, servers().b);

  test(`${name}: B enforces a block made on A (403) as soon as it has applied what A committed after it; a lift likewise`, async () => {
    const { a, b } = servers();
    // Several rounds: each one a reload timer could only pass by luck.
    for (let i = 1; i <= 4; i++) {
      const inside = `198.51.${100 + i}.7`;
      assert.equal(await statusFrom(b, inside), 401, 'not blocked yet');
      const id = await block(`198.51.${100 + i}.0/24`);
      assert.equal(await statusFrom(a, inside), 403, 'A enforces its own block at once');
      await markerReachesB();
      assert.equal(
        await statusFrom(b, inside),
        403,
        `round ${i}: B has applied A's later revocation, so the earlier block too`,
      );
      assert.equal(
        await statusFrom(b, '192.0.2.1'),
        401,
        'an address outside the range is not blocked',
      );

      await lift(id);
      assert.equal(await statusFrom(a, inside), 401, 'A lets the address in at once');
      await markerReachesB();
      assert.equal(
        await statusFrom(b, inside),
        401,
        `round ${i}: B has applied A's later revocation, so the earlier lift too`,
      );
    }
  });

  test(`${name}: a block ends the streams open from its range on both instances; lifting it lets them back in on both`, async () => {
    const { a, b } = servers();
    const open = async (server: ServerProcess, ip: string): Promise<SseStream> => {
      const stream = await openSse(`${server.url}${STREAM_PATH}`, {
        authorization: reader.basic,
        headers: from(ip),
      });
      await stream.snapshot();
      return stream;
    };
    const blockedOnA = await open(a, '203.0.113.10');
    const blockedOnB = await open(b, '203.0.113.11');
    const sparedOnB = await open(b, '192.0.2.44');

    const id = await block('203.0.113.0/24');
    await Promise.all(
      [blockedOnA, blockedOnB].map((s) =>
        until('the stream from the blocked range ends', () => (s.ended ? true : undefined), 15_000),
      ),
    );
    // The spared stream gets the marker (committed after the block), so it was not ended by it.
    const marker = await request(`${a.url}/api/v1/auth/revoke`, {
      method: 'POST',
      bearer: (await login(a.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token,
    });
    assert.equal(marker.status, 200, marker.text);
    await sparedOnB.until('the marker revocation', (events) =>
      events.find((e) => e.event === 'revocation' && e.data.jti === marker.body.jti),
    );
    assert.equal(sparedOnB.ended, false);
    for (const server of [a, b]) {
      const refused = await connectSse(`${server.url}${STREAM_PATH}`, {
        authorization: reader.basic,
        headers: from('203.0.113.10'),
      });
      assert.ok(
        !('events' in refused) && refused.status === 403,
        'a new stream from the range is refused',
      );
    }

    await lift(id);
    await markerReachesB();
    for (const server of [a, b]) {
      const again = await open(server, '203.0.113.10');
      assert.equal(again.ended, false, 'the address may stream again once the block is lifted');
      again.close();
    }
    sparedOnB.close();
  });
}

// X-Forwarded-For from the test (127.0.0.1) names the address a request comes from.
describeOnTwoInstances(
  'IP blocks',
  'ip_block_feed',
  { REVOKD_TRUSTED_PROXIES: '127.0.0.1' },
  describeBlocks,
);
