/**
 * Issue 17: a stream authorized just before a client revocation (a rotation, a disable) must not
 * start. Its credentials are checked, then the stream's start is read from the store, and only then
 * does it subscribe to the replica's records: a record applied in between is not told to the new
 * subscription, so staleCredentials — asked synchronously just before subscribing — must see it.
 * A real SQLite store feeds a real replica here; the record lands exactly in that gap.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  clientGenerationOf,
  type StreamClient,
} from '../../src/app/revocation-stream/authorize-stream-client.js';
import {
  staleCredentials,
  watchCredentials,
} from '../../src/app/revocation-stream/credential-watch.js';
import { PollDriver } from '../../src/replica/drivers/poll-driver.js';
import { RevocationReplica } from '../../src/replica/revocation-replica.js';
import { type SqliteStore, createSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { ClientRecord } from '../../src/stores/types.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';
import { tempDir } from '../support/server-process.js';

let store: SqliteStore;
let replica: RevocationReplica;
let driver: PollDriver;
const now = (): number => Date.now();
const client: ClientRecord = {
  id: 'cl_streamrace',
  name: 'reader',
  secretHash: 'a'.repeat(64),
  grants: [],
  scopes: ['revocations:read'],
  createdAtMs: 0,
  disabledAtMs: null,
};

before(async () => {
  store = await createSqliteStore(path.join(tempDir('stream-race'), 'revokd.db'), {
    auditChainKey: TEST_AUDIT_KEY,
  });
  driver = new PollDriver({ source: store, pollMs: 60_000, now });
  replica = new RevocationReplica({
    driver,
    maxStalenessMs: 60_000,
    failOpenMaxMs: 60_000,
    pruneIntervalMs: 60_000,
    failMode: 'closed',
    now,
  });
  await replica.start();
});
after(async () => {
  await replica.stop();
  await store.close();
});

const ctx = () => ({ replica, now });

test('a client revocation applied between the secret check and the watch refuses the stream', async () => {
  const who: StreamClient = { client, clientGeneration: clientGenerationOf(ctx(), client.id) };
  assert.equal(staleCredentials(ctx(), who), undefined, 'good until something happens');

  // The rotation (or disable) commits and reaches this replica while the stream reads its start.
  await store.revoke(
    { scope: 'client', clientId: client.id },
    {
      initiator: 'admin',
      reason: 'compromised',
      actor: { type: 'cli', id: null },
      nowMs: now(),
      accessCoverMs: 1,
    },
  );
  await driver.sync();

  let ended = false;
  const stop = watchCredentials(ctx(), who, () => {
    ended = true;
  });
  stop();
  assert.equal(
    ended,
    false,
    'the watch alone would never learn of it: the record came before it subscribed',
  );
  assert.equal(
    staleCredentials(ctx(), who)?.code,
    'ERR_INVALID_CLIENT',
    'so the stream is refused before it starts',
  );
});

test('a secret whose grace ended while the stream was opening refuses it', () => {
  const who: StreamClient = {
    client,
    clientGeneration: clientGenerationOf(ctx(), client.id),
    secretEndsAtMs: now() - 1,
  };
  assert.equal(staleCredentials(ctx(), who)?.code, 'ERR_INVALID_CLIENT');
  assert.equal(staleCredentials(ctx(), { ...who, secretEndsAtMs: now() + 60_000 }), undefined);
});
