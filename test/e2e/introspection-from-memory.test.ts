/**
 * Issue 21, "introspection from memory": each instance answers /oauth/introspect of an API token
 * from an in-process view of API tokens, owners and clients, kept current by the commit-ordered
 * feed. Two instances on one store, both backends (PostgreSQL with LISTEN/NOTIFY, one SQLite file
 * with Redis pub/sub). The poll is a minute, so within the test only the feed's wake-up brings A's
 * commits to B.
 *
 * No timing is asserted. The proof is commit order, as in ip-block-propagation.test.ts: after each
 * change on A, A revokes a marker token; once B refuses the marker, B has applied every feed record
 * committed before it. B introspected the token (and authenticated the client) twice before the
 * change, so its view holds them: a view the feed did not correct would answer active (or 200).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, test } from 'node:test';
import {
  createClientViaAdmin,
  createUserViaAdmin,
  introspect,
  login,
  request,
} from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, type ServerProcess } from '../support/server-process.js';
import { type TwoInstances, describeOnTwoInstances } from '../support/two-instances.js';
import { markerReaches } from '../support/feed-marker.js';
import { basicAuth } from '../support/sse-client.js';
import { generateApiToken } from '../../src/core/tokens/api-token.js';

const PASSWORD = 'correct horse battery staple 21';

type Client = { client_id: string; client_secret: string };

function describeView(name: string, servers: TwoInstances): void {
  let admin: string;
  let client: Client;
  before(async () => {
    admin = (await login(servers().a.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
    client = await createClientViaAdmin(servers().a.url, admin, `introspector-${name}`, [
      'introspect',
    ]);
  });

  const adminPost = async (path: string, json?: unknown) => {
    const res = await request(`${servers().a.url}${path}`, {
      method: 'POST',
      bearer: admin,
      ...(json === undefined ? {} : { json }),
    });
    assert.equal(res.status, 200, `${path}: ${res.text}`);
    return res.body as Record<string, unknown>;
  };

  /** A user with one API token, created on A. */
  const ownerWithToken = async (): Promise<{ userId: string; token: string; bearer: string }> => {
    const email = `owner-${name}-${randomBytes(4).toString('hex')}@example.com`;
    const { id } = await createUserViaAdmin(servers().a.url, admin, email, PASSWORD);
    const bearer = (await login(servers().a.url, email, PASSWORD)).access_token;
    const res = await request(`${servers().a.url}/api/v1/tokens`, {
      method: 'POST',
      bearer,
      json: { name: 'ci' },
    });
    assert.equal(res.status, 201, res.text);
    return { userId: id, token: res.body.token as string, bearer };
  };

  /** B answers active, twice: the second answer comes from B's view. */
  const activeOnB = async (token: string, as: Client = client): Promise<void> => {
    for (let i = 0; i < 2; i++) {
      const res = await introspect(servers().b.url, as, token);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.active, true, `B answers the token active (${i + 1})`);
    }
  };

  /** A marker revoked on A and refused by B: B has applied everything A committed before. */
  const markerReachesB = (): Promise<void> => markerReaches(servers().a, servers().b);

  const inactiveOn = async (server: ServerProcess, token: string, why: string): Promise<void> => {
    const res = await introspect(server.url, client, token);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { active: false }, why);
  };

  test(`${name}: an API token revoked on A (one, or all of the owner's) is inactive on B once the feed reached B`, async () => {
    const { a, b } = servers();
    const { token, bearer } = await ownerWithToken();
    const other = await ownerWithToken();
    await activeOnB(token);
    await activeOnB(other.token);
    const id = (await introspect(a.url, client, token)).body.token_id as string;
    const del = await request(`${a.url}/api/v1/tokens/${id}`, { method: 'DELETE', bearer });
    assert.equal(del.status, 200, del.text);
    await inactiveOn(a, token, 'A answers inactive at once');
    await markerReachesB();
    await inactiveOn(b, token, 'B has applied the revocation');
    await activeOnB(other.token); // another owner's token is untouched
    const all = await request(`${a.url}/api/v1/tokens/revoke-all`, {
      method: 'POST',
      bearer: other.bearer,
    });
    assert.equal(all.status, 200, all.text);
    await markerReachesB();
    await inactiveOn(b, other.token, "B has applied the owner's revoke-all");
  });

  test(`${name}: a token of an owner disabled on A is inactive on B; enabling the owner does not bring it back`, async () => {
    const { a, b } = servers();
    const { userId, token } = await ownerWithToken();
    await activeOnB(token);
    const disabled = await adminPost(`/api/v1/admin/users/${userId}/disable`);
    assert.deepEqual(disabled.revoked, { sessions: 1, api_tokens: 1 });
    await inactiveOn(a, token, 'A answers inactive at once');
    await markerReachesB();
    await inactiveOn(b, token, 'B has applied the disable');
    await adminPost(`/api/v1/admin/users/${userId}/enable`);
    await markerReachesB();
    for (const server of [a, b])
      await inactiveOn(server, token, 'what the disable revoked stays revoked');
  });

  test(`${name}: a client disabled on A gets 401 on B (introspection and revocation); a client whose secret A rotated too (old secret), the new one works on B`, async () => {
    const { a, b } = servers();
    const { token } = await ownerWithToken();
    const doomed = await createClientViaAdmin(a.url, admin, `doomed-${name}`, ['introspect']);
    const rotated = await createClientViaAdmin(a.url, admin, `rotated-${name}`, ['introspect']);
    // /oauth/revoke authenticates from the same view: an unknown token answers 200 (RFC 7009).
    const revokeAs = (
      server: ServerProcess,
      client: { client_id: string; client_secret: string },
    ) =>
      request(`${server.url}/oauth/revoke`, {
        method: 'POST',
        headers: { authorization: basicAuth(client.client_id, client.client_secret) },
        form: { token: 'not-a-token-of-anyone' },
      });
    await activeOnB(token, doomed);
    await activeOnB(token, rotated);
    for (const client of [doomed, rotated])
      assert.equal((await revokeAs(b, client)).status, 200, 'B holds both clients in its view');

    await adminPost(`/api/v1/admin/clients/${doomed.client_id}/disable`);
    const fresh = await adminPost(`/api/v1/admin/clients/${rotated.client_id}/rotate-secret`);
    const renewed = { client_id: rotated.client_id, client_secret: fresh.client_secret as string };
    await markerReachesB();
    for (const server of [a, b]) {
      const off = await introspect(server.url, doomed, token);
      assert.equal(off.status, 401, `the disabled client: ${off.text}`);
      assert.equal(off.body.error, 'invalid_client');
      const old = await introspect(server.url, rotated, token);
      assert.equal(old.status, 401, `the replaced secret: ${old.text}`);
      assert.equal((await revokeAs(server, doomed)).status, 401, 'the disabled client revokes');
      assert.equal((await revokeAs(server, rotated)).status, 401, 'the replaced secret revokes');
    }
    assert.equal((await revokeAs(b, renewed)).status, 200);
    await activeOnB(token, renewed);
  });

  test(`${name}: a canary introspected on B is inactive every time and raises an alert naming the client`, async () => {
    const { b } = servers();
    const planted = await request(`${servers().a.url}/api/v1/security/canaries`, {
      method: 'POST',
      bearer: admin,
      json: { name: `canary-${name}` },
    });
    assert.equal(planted.status, 201, planted.text);
    const relay = await createClientViaAdmin(b.url, admin, `relay-${name}`, ['introspect']);
    for (let i = 0; i < 2; i++) {
      const res = await introspect(b.url, relay, planted.body.token as string);
      assert.deepEqual(res.body, { active: false }, `presentation ${i + 1}`);
    }
    const alerts = await request(`${b.url}/api/v1/security/alerts?limit=500`, { bearer: admin });
    const raised = (alerts.body.alerts as { type: string; details: Record<string, unknown> }[])
      .filter((a) => a.type === 'canary_triggered')
      .filter((a) => a.details.relayed_by_client === relay.client_id);
    assert.ok(raised.length >= 1, 'the canary alerted, naming the relaying client');
  });

  test(`${name}: a well-formed token nobody holds is inactive on B however often it is asked`, async () => {
    const unknown = generateApiToken();
    for (let i = 0; i < 3; i++)
      await inactiveOn(servers().b, unknown, 'an unknown hash is never remembered as anything');
  });
}

describeOnTwoInstances(
  'introspection from memory',
  'introspection_view',
  { REVOKD_LOG_LEVEL: 'warn' },
  describeView,
);
