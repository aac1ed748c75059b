/**
 * Issue 17, item 8: a Last-Event-ID ahead of the store's head — a database restored from an older
 * backup, a verifier moved between deployments — is answered with a fresh snapshot at once, and a
 * stream that is still catching up sends SSE comments, so a consumer's idle timer never takes it
 * for a dead connection (a verifier with a small maxStalenessMs used to drop it, reconnect with the
 * same id, and loop, stale for ever).
 *
 * The servers' join deadline (REVOKD_MAX_STALENESS_MS) is two minutes here: the old fallback — a
 * snapshot once a stream had waited that long without joining — cannot rescue anything within a
 * test, so only an immediate answer passes. No timing is asserted.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createVerifier, type Verifier } from '../../packages/verifier/src/index.js';
import { login, request } from '../support/http-client.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  ServerProcess,
  freePort,
  tempDir,
} from '../support/server-process.js';
import { openSse } from '../support/sse-client.js';
import { STREAM_PATH, type StreamClient, createStreamClient } from '../support/stream-setup.js';
import { until } from '../support/until.js';

const JOIN_DEADLINE_MS = '120000';

/** A store the test can back up and restore while no server runs on it. */
interface RestorableStore {
  readonly env: Record<string, string>;
  /** The data dir a server on the live store uses. */
  readonly dataDir: string;
  backup(): Promise<void>;
  /** The env and data dir of a server on the backup. */
  restored(): { env: Record<string, string>; dataDir: string };
  release(): Promise<void>;
}

function sqliteStore(): RestorableStore {
  const dataDir = tempDir('ahead-live');
  const backupDir = tempDir('ahead-backup');
  return {
    env: {},
    dataDir,
    backup: async () => fs.cpSync(dataDir, backupDir, { recursive: true }),
    restored: () => ({ env: {}, dataDir: backupDir }),
    release: async () => {
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(backupDir, { recursive: true, force: true });
    },
  };
}

async function postgresStore(): Promise<RestorableStore> {
  const live = await createTestDatabase('ahead_live');
  let backup: TestDatabase | undefined;
  const dataDir = tempDir('ahead-pg');
  return {
    env: { REVOKD_DATABASE_URL: live.url },
    dataDir,
    backup: async () => {
      // CREATE DATABASE … TEMPLATE copies the database as it is (no server may be connected to it).
      backup = await createTestDatabase('ahead_backup');
      const admin = new pg.Client({ connectionString: live.url.replace(/\/[^/]+$/, '/postgres') });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE "${backup.name}"`);
        await admin.query(`CREATE DATABASE "${backup.name}" TEMPLATE "${live.name}"`);
      } finally {
        await admin.end();
      }
    },
    restored: () => ({
      env: { REVOKD_DATABASE_URL: backup!.url },
      dataDir: path.join(dataDir, 'restored'),
    }),
    release: async () => {
      await backup?.drop();
      await live.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function describeAhead(name: string, openStore: () => Promise<RestorableStore>): void {
  describe(`a Last-Event-ID ahead of the store (${name})`, () => {
    let store: RestorableStore;
    let port: number;
    let env: Record<string, string>;
    let reader: StreamClient;
    let server: ServerProcess | undefined;
    let verifier: Verifier | undefined;
    const start = (where: { env: Record<string, string>; dataDir: string }) => {
      fs.mkdirSync(where.dataDir, { recursive: true });
      return ServerProcess.start({ port, dataDir: where.dataDir, env: { ...env, ...where.env } });
    };

    before(async () => {
      store = await openStore();
      port = await freePort();
      env = {
        ...store.env,
        REVOKD_SECRET: randomBytes(32).toString('hex'),
        REVOKD_MAX_STALENESS_MS: JOIN_DEADLINE_MS,
        REVOKD_RATE_LIMIT_LOGIN_PER_MINUTE: '0',
        REVOKD_RATE_LIMIT_REVOKE_PER_MINUTE: '0',
      };
      server = await start({ env: {}, dataDir: store.dataDir });
      reader = await createStreamClient((args) => server!.cli(args), 'ahead-reader');
    });
    after(async () => {
      await verifier?.close();
      await server?.stop();
      await store?.release();
    });

    test('a raw stream resuming from a cursor the store never handed out gets a snapshot at once, then live revocations', async () => {
      const stream = await openSse(`${server!.url}${STREAM_PATH}`, {
        authorization: reader.basic,
        lastEventId: '987654321',
      });
      try {
        const parts = await stream.snapshot(20_000);
        assert.ok(parts.length >= 1);
        const snapshotCursor = stream.lastEventId;
        assert.notEqual(
          snapshotCursor,
          '987654321',
          "the stream continues from the store's own cursor",
        );
        const session = await login(server!.url, ADMIN_EMAIL, ADMIN_PASSWORD);
        const revoked = await request(`${server!.url}/api/v1/auth/revoke`, {
          method: 'POST',
          bearer: session.access_token,
        });
        assert.equal(revoked.status, 200, revoked.text);
        await stream.until('the live revocation', (events) =>
          events.find((e) => e.event === 'revocation' && e.data.jti === revoked.body.jti),
        );
      } finally {
        stream.close();
      }
    });

    test('a verifier whose store was restored from an older backup becomes current at once, without a reconnect loop', async () => {
      await server!.stop();
      await store.backup();
      server = await start({ env: {}, dataDir: store.dataDir });
      verifier = await createVerifier({
        issuer: `http://127.0.0.1:${port}`,
        audience: `http://127.0.0.1:${port}`,
        jwksUri: `${server.url}/.well-known/jwks.json`,
        stream: {
          url: `${server.url}${STREAM_PATH}`,
          clientId: reader.client_id,
          clientSecret: reader.client_secret,
        },
        // Under the old 5 s of silence (its idle timeout is max(3 s, this)).
        maxStalenessMs: 1000,
        failMode: 'closed',
      });
      // Revocations the backup will not have: the verifier's cursor moves past the backup's head.
      let applied = 0;
      const stop = verifier.onRevocation(() => {
        applied++;
      });
      for (let i = 0; i < 3; i++) {
        const session = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
        assert.equal(
          (
            await request(`${server.url}/api/v1/auth/revoke`, {
              method: 'POST',
              bearer: session.access_token,
            })
          ).status,
          200,
        );
      }
      await until('the verifier applied the three revocations', () =>
        applied >= 3 ? true : undefined,
      );
      stop();
      const connectionsBefore = verifier.status().streamConnections;

      // The database is restored from the backup; the service comes back at the same address.
      await server.stop();
      server = await start(store.restored());
      const session = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
      await until(
        'the verifier accepts a fresh token (it is current again)',
        async () =>
          verifier!.verify(session.access_token).then(
            () => true,
            () => undefined,
          ),
        20_000,
      );
      const revoked = await request(`${server.url}/api/v1/auth/revoke`, {
        method: 'POST',
        bearer: session.access_token,
      });
      assert.equal(revoked.status, 200, revoked.text);
      await until(
        'the verifier refuses the token revoked on the restored service',
        async () =>
          verifier!.verify(session.access_token).then(
            () => undefined,
            (err: { code?: string }) => (err.code === 'ERR_TOKEN_REVOKED' ? true : undefined),
          ),
        20_000,
      );
      assert.equal(
        verifier.status().streamConnections,
        connectionsBefore + 1,
        'one reconnection (to the restored service), no loop',
      );
    });
  });
}

describeAhead('SQLite', async () => sqliteStore());
describeAhead('PostgreSQL', postgresStore);

describe('a stream catching up sends SSE comments', () => {
  let server: ServerProcess;
  let reader: StreamClient;
  before(async () => {
    // No wake-up and a one-minute poll: a revocation another process commits is in the store long
    // before this instance's replica (and so its stream hub) has it.
    server = await ServerProcess.start({
      env: {
        REVOKD_FEED_WAKEUP: 'none',
        REVOKD_FEED_POLL_MS: '60000',
        REVOKD_MAX_STALENESS_MS: '600000',
        REVOKD_STREAM_HEARTBEAT_MS: '200',
      },
    });
    reader = await createStreamClient((args) => server.cli(args), 'catch-up-reader');
  });
  after(async () => {
    await server?.stop();
  });

  test('a stream that has read past what the instance applied waits to join, and says so in comments meanwhile', async () => {
    const first = await openSse(`${server.url}${STREAM_PATH}`, { authorization: reader.basic });
    await first.snapshot();
    const cursor = first.lastEventId;
    first.close();
    // Another process (the CLI) revokes: the store has it, this instance's replica will not for a minute.
    const cli = await server.cli([
      'revoke',
      'jti',
      'caught-up-from-the-store',
      '--reason',
      'compromised',
      '--json',
    ]);
    assert.equal(cli.code, 0, cli.stderr);

    const stream = await openSse(`${server.url}${STREAM_PATH}`, {
      authorization: reader.basic,
      lastEventId: cursor,
    });
    try {
      await stream.until('the revocation read from the store', (events) =>
        events.find((e) => e.event === 'revocation' && e.data.jti === 'caught-up-from-the-store'),
      );
      await stream.until(
        'comments while the stream waits to join',
        () => (stream.comments >= 3 ? true : undefined),
        20_000,
      );
      assert.deepEqual(
        stream.events.filter((e) => e.event === 'heartbeat'),
        [],
        'no heartbeat: the stream does not vouch for a view it has not joined',
      );
    } finally {
      stream.close();
    }
  });
});
