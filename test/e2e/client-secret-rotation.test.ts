/**
 * Issue 17 item 2: rotating a client secret cuts off the holder of the old one. Without a grace
 * period the rotation ends the client's open streams and revokes its outstanding tokens at once (a
 * client-scope revocation in the feed, which a verifier applies too); with `grace_seconds` the old
 * secret keeps working until the grace ends, and then the same cut-off happens. An out-of-bounds
 * grace is a 400 that changes nothing. On SQLite and on PostgreSQL.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createVerifier, type Verifier } from '../../packages/verifier/src/index.js';
import {
  type JsonResponse,
  createClientViaAdmin,
  introspect,
  login,
  request,
} from '../support/http-client.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess } from '../support/server-process.js';
import { SseStream, basicAuth, connectSse, openSse } from '../support/sse-client.js';
import {
  STREAM_PATH,
  type StreamClient,
  clientCredentialsToken,
  createStreamClient,
} from '../support/stream-setup.js';
import { until } from '../support/until.js';

const BACKENDS = ['sqlite', 'postgres'] as const;

for (const backend of BACKENDS) {
  describe(`client secret rotation (${backend})`, () => {
    let server: ServerProcess;
    let db: TestDatabase | undefined;
    let adminToken: string;
    /** A client that is never rotated: it watches the feed and introspects. */
    let watcher: { client_id: string; client_secret: string };
    let watcherStream: SseStream;
    let verifier: Verifier;

    before(async () => {
      db = backend === 'postgres' ? await createTestDatabase('secret_rotation') : undefined;
      server = await ServerProcess.start({
        // A short prune interval: the sweep that ends a grace runs with it.
        env: {
          REVOKD_LOG_LEVEL: 'warn',
          REVOKD_PRUNE_INTERVAL_MS: '200',
          ...(db === undefined
            ? {}
            : { REVOKD_DATABASE_URL: db.url, REVOKD_SECRET: randomBytes(32).toString('hex') }),
        },
      });
      adminToken = (await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
      watcher = await createClientViaAdmin(server.url, adminToken, 'watcher', [
        'revocations:read',
        'introspect',
      ]);
      watcherStream = await openSse(`${server.url}${STREAM_PATH}`, {
        authorization: basicAuth(watcher.client_id, watcher.client_secret),
      });
      await watcherStream.snapshot();
      verifier = await createVerifier({
        issuer: server.url,
        audience: server.url,
        jwksUri: `${server.url}/.well-known/jwks.json`,
        stream: {
          url: `${server.url}${STREAM_PATH}`,
          clientId: watcher.client_id,
          clientSecret: watcher.client_secret,
        },
        maxStalenessMs: 30_000,
        failMode: 'closed',
      });
    });
    after(async () => {
      watcherStream?.close();
      await verifier?.close();
      await server?.stop();
      await db?.drop();
    });

    const rotate = (clientId: string, json?: unknown): Promise<JsonResponse> =>
      request(`${server.url}/api/v1/admin/clients/${clientId}/rotate-secret`, {
        method: 'POST',
        bearer: adminToken,
        ...(json === undefined ? {} : { json }),
      });
    const grant = (c: StreamClient): Promise<JsonResponse> =>
      request(`${server.url}/oauth/token`, {
        method: 'POST',
        form: { grant_type: 'client_credentials' },
        headers: { authorization: c.basic },
      });
    const validate = async (token: string): Promise<number> =>
      (await request(`${server.url}/api/v1/auth/token/validate`, { bearer: token })).status;
    const verifies = (token: string): Promise<boolean> =>
      verifier.verify(token).then(
        () => true,
        () => false,
      );
    /** The client.secret_rotated audit entries of one client. */
    const rotationsAudited = async (
      clientId: string,
    ): Promise<Array<{ details: Record<string, unknown> }>> => {
      const res = await request(
        `${server.url}/api/v1/security/audit?type=client.secret_rotated&limit=1000`,
        { bearer: adminToken },
      );
      assert.equal(res.status, 200, res.text);
      return (
        res.body.entries as Array<{ target_id: string; details: Record<string, unknown> }>
      ).filter((e) => e.target_id === clientId);
    };
    const clientRecordFor =
      (clientId: string) => (events: readonly { event: string; data: any }[]) =>
        events.find(
          (e) =>
            e.event === 'revocation' && e.data.scope === 'client' && e.data.client_id === clientId,
        );

    test('without grace: a stream opened with the old secret is closed, its tokens are refused everywhere, a client revocation is in the feed', async () => {
      const holder = await createStreamClient((args) => server.cli(args), 'rotated-at-once');
      const token = await clientCredentialsToken(server.url, holder);
      const stream = await openSse(`${server.url}${STREAM_PATH}`, { authorization: holder.basic });
      await stream.snapshot();
      assert.equal(await validate(token), 200);
      assert.equal((await introspect(server.url, watcher, token)).body.active, true);
      assert.equal(await verifies(token), true);

      const rotated = await rotate(holder.client_id);
      assert.equal(rotated.status, 200, rotated.text);
      assert.equal(rotated.body.grace_seconds, 0);

      await until(
        'the stream opened with the old secret ends',
        () => (stream.ended ? true : undefined),
        10_000,
      );
      await watcherStream.until(
        'a client revocation in the feed',
        clientRecordFor(holder.client_id),
      );
      assert.equal(await validate(token), 401, 'a token minted with the old secret is refused');
      assert.equal((await introspect(server.url, watcher, token)).body.active, false);
      await until(
        'the verifier refuses it',
        async () => ((await verifies(token)) ? undefined : true),
        10_000,
      );

      assert.equal((await grant(holder)).status, 401, 'the old secret no longer authenticates');
      const refused = await connectSse(`${server.url}${STREAM_PATH}`, {
        authorization: holder.basic,
      });
      assert.equal('status' in refused ? refused.status : 200, 401, 'nor opens a stream');
      const fresh: StreamClient = {
        ...holder,
        client_secret: rotated.body.client_secret,
        basic: basicAuth(holder.client_id, rotated.body.client_secret),
      };
      const freshToken = await clientCredentialsToken(server.url, fresh);
      assert.equal(await validate(freshToken), 200, 'a token minted after the rotation is good');
    });

    test('with grace: the old secret works until the grace ends; then it stops, its stream ends and the tokens are revoked', async () => {
      const holder = await createStreamClient((args) => server.cli(args), 'rotated-with-grace');
      const before = await clientCredentialsToken(server.url, holder);
      const rotated = await rotate(holder.client_id, { grace_seconds: 3 });
      assert.equal(rotated.status, 200, rotated.text);
      assert.equal(rotated.body.grace_seconds, 3);
      assert.ok(
        Date.parse(rotated.body.old_secret_expires_at) > Date.now() - 1_000,
        'the grace end is given',
      );

      // Within the grace: the old token is good, the old secret mints and opens a stream.
      const during = await grant(holder);
      assert.equal(during.status, 200, during.text);
      assert.ok(
        during.body.expires_in <= 3,
        'a token minted with the old secret does not outlive its grace',
      );
      const stream = await openSse(`${server.url}${STREAM_PATH}`, { authorization: holder.basic });
      await stream.snapshot();
      assert.equal(await validate(before), 200, 'the grace keeps the outstanding tokens');

      await until(
        'the old secret stops working',
        async () => ((await grant(holder)).status === 401 ? true : undefined),
        15_000,
      );
      await until(
        'the stream opened with it ends',
        () => (stream.ended ? true : undefined),
        10_000,
      );
      await watcherStream.until(
        'a client revocation in the feed',
        clientRecordFor(holder.client_id),
      );
      assert.equal(
        await validate(before),
        401,
        'tokens from before the rotation are revoked when the grace ends',
      );
      assert.equal(
        await validate(during.body.access_token),
        401,
        'and those minted with the old secret during it',
      );
      await until(
        'the verifier refuses them',
        async () => ((await verifies(before)) ? undefined : true),
        10_000,
      );
      const fresh: StreamClient = {
        ...holder,
        client_secret: rotated.body.client_secret,
        basic: basicAuth(holder.client_id, rotated.body.client_secret),
      };
      assert.equal((await grant(fresh)).status, 200, 'the new secret works');
    });

    test('grants and stream opens racing the rotation: no token obtained outlives it, no stream opened stays open', async () => {
      const holder = await createStreamClient((args) => server.cli(args), 'raced');
      const grants = Array.from({ length: 16 }, () => grant(holder));
      const streams = Array.from({ length: 6 }, () =>
        connectSse(`${server.url}${STREAM_PATH}`, { authorization: holder.basic }),
      );
      const rotated = await rotate(holder.client_id);
      assert.equal(rotated.status, 200, rotated.text);
      for (const answer of await Promise.all(grants)) {
        assert.ok(answer.status === 200 || answer.status === 401, answer.text);
        if (answer.status === 200)
          assert.equal(
            await validate(answer.body.access_token),
            401,
            'a token obtained with the old secret is refused',
          );
      }
      for (const opened of await Promise.all(streams)) {
        if (opened instanceof SseStream)
          await until(
            'a stream opened with the old secret ends',
            () => (opened.ended ? true : undefined),
            10_000,
          );
      }
    });

    test('an out-of-bounds grace_seconds is a 400 and changes nothing', async () => {
      const holder = await createStreamClient((args) => server.cli(args), 'bad-grace');
      const token = await clientCredentialsToken(server.url, holder);
      for (const grace of [-1, 604_801, 1.5, '10', null]) {
        const res = await rotate(holder.client_id, { grace_seconds: grace });
        assert.equal(res.status, 400, `${JSON.stringify(grace)}: ${res.text}`);
        assert.match(res.body.error_description, /grace_seconds/);
      }
      assert.equal((await grant(holder)).status, 200, 'the secret still works');
      assert.equal(await validate(token), 200, 'its token is still good');
      assert.deepEqual(await rotationsAudited(holder.client_id), [], 'no rotation was audited');
    });

    test('the CLI takes --grace-seconds and the audit log records the grace', async () => {
      const holder = await createStreamClient((args) => server.cli(args), 'cli-grace');
      const out = await server.cli([
        'client',
        'rotate-secret',
        holder.client_id,
        '--grace-seconds',
        '600',
        '--json',
      ]);
      assert.equal(out.code, 0, out.stderr);
      const answer = JSON.parse(out.stdout) as { client_secret: string; grace_seconds: number };
      assert.equal(answer.grace_seconds, 600);
      assert.equal((await grant(holder)).status, 200, 'the old secret works during the grace');
      const bad = await server.cli([
        'client',
        'rotate-secret',
        holder.client_id,
        '--grace-seconds',
        '604801',
      ]);
      assert.notEqual(bad.code, 0);
      assert.deepEqual(
        (await rotationsAudited(holder.client_id)).map((e) => e.details.grace_seconds),
        [600],
      );
    });
  });
}
