/**
 * The push stream across two instances on PostgreSQL (a server of the test's own, so it can be
 * stopped): a revocation made on A reaches a stream served by B (B's replica brings it, woken by
 * NOTIFY); a consumer that read from A resumes on B with A's Last-Event-ID and gets exactly what it
 * missed (one feed, one cursor space); while B cannot reach the database its stream sends no
 * heartbeats (it must not tell consumers they are current), and once the database is back the
 * heartbeats resume and new revocations flow again — the same stream, never reconnected.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster } from '../support/cluster.js';
import { PrivatePostgres } from '../support/private-postgres.js';
import { type ServerProcess, sleep } from '../support/server-process.js';
import { openSse } from '../support/sse-client.js';
import {
  STREAM_PATH,
  type StreamClient,
  adminRevoker,
  createStreamClient,
  randomJti,
} from '../support/stream-setup.js';

describe('the push stream across instances on PostgreSQL', () => {
  let postgres: PrivatePostgres;
  let cluster: Cluster;
  let a: ServerProcess;
  let b: ServerProcess;
  let reader: StreamClient;

  before(async () => {
    postgres = await PrivatePostgres.start();
    const databaseUrl = await postgres.createDatabase('revokd_stream');
    cluster = await Cluster.start({
      label: 'stream_pg',
      instances: 2,
      backend: 'postgres',
      databaseUrl,
      env: {
        REVOKD_LOG_LEVEL: 'warn',
        REVOKD_STREAM_HEARTBEAT_MS: '300',
        REVOKD_MAX_STALENESS_MS: '60000',
      },
    });
    [a, b] = [cluster.instance(0), cluster.instance(1)];
    reader = await createStreamClient((args) => cluster.cli(args), 'pg-reader');
  });
  after(async () => {
    await cluster?.stop();
    await postgres?.destroy();
  });

  test("revoked on A, delivered by the stream on B; A's Last-Event-ID resumes on B exactly", async () => {
    const onB = await openSse(`${b.url}${STREAM_PATH}`, { authorization: reader.basic });
    await onB.snapshot();
    const onA = await openSse(`${a.url}${STREAM_PATH}`, { authorization: reader.basic });
    await onA.snapshot();
    const revokeOnA = await adminRevoker(a.url);
    const jti = randomJti();
    await revokeOnA('jti', jti);
    const viaB = await onB.until('the revocation made on A', (events) =>
      events.find((e) => e.event === 'revocation' && e.data.jti === jti),
    );
    await onA.until('the same on A', (events) =>
      events.find((e) => e.event === 'revocation' && e.data.jti === jti),
    );
    assert.equal(onA.lastEventId, viaB.id, 'both instances give the record the same cursor');
    onB.close();
    onA.close();

    const missed = [randomJti(), randomJti(), randomJti(), randomJti(), randomJti()];
    for (const m of missed) await revokeOnA('jti', m);
    const resumed = await openSse(`${b.url}${STREAM_PATH}`, {
      authorization: reader.basic,
      lastEventId: viaB.id!,
    });
    await resumed.until('the five', (events) =>
      events.filter((e) => e.event === 'revocation').length >= 5 ? true : undefined,
    );
    await resumed.until('heartbeats after them', (events) =>
      events.filter((e) => e.event === 'heartbeat').length >= 3 ? true : undefined,
    );
    assert.deepEqual(
      resumed.revocations().map((e) => e.data.jti),
      missed,
    );
    resumed.close();
  });

  test('no heartbeats while B cannot reach the database; they resume, and revocations flow, once it is back', async () => {
    const stream = await openSse(`${b.url}${STREAM_PATH}`, { authorization: reader.basic });
    await stream.snapshot();
    await stream.until('heartbeats', (events) =>
      events.filter((e) => e.event === 'heartbeat').length >= 2 ? true : undefined,
    );

    await postgres.stopImmediately();
    // Past the last confirmation (one poll + one heartbeat interval) plus a generous margin, then watch.
    await sleep(2_500);
    const quietFrom = stream.events.length;
    await sleep(3_000);
    assert.equal(stream.ended, false, 'the stream stays open through the outage');
    assert.deepEqual(
      stream.events.slice(quietFrom).map((e) => e.event),
      [],
      'no heartbeat while the view cannot be confirmed',
    );

    await postgres.startServer();
    const resumedAt = stream.events.length;
    await stream.until(
      'heartbeats again',
      (events) =>
        events.slice(resumedAt).filter((e) => e.event === 'heartbeat').length >= 2
          ? true
          : undefined,
      30_000,
    );
    const jti = randomJti();
    await (
      await adminRevoker(a.url)
    )('jti', jti);
    await stream.until(
      'a revocation after the outage',
      (events) => events.find((e) => e.event === 'revocation' && e.data.jti === jti),
      30_000,
    );
    stream.close();
  });
});
