/**
 * The push stream's bounds against a real server: a consumer that reads too slowly is disconnected
 * (its output never grows past REVOKD_STREAM_MAX_BUFFER_BYTES) and resumes losing nothing, paced by
 * itself; one that stops reading during its snapshot is cut after the stall timeout; a client
 * holds at most REVOKD_STREAM_MAX_PER_CLIENT streams; SIGTERM ends every stream and the server
 * exits promptly.
 *
 * Volume is made by committing rows to the store's revocation feed directly (one SQLite
 * transaction, far quicker than tens of thousands of API calls): the server reads them through its
 * feed exactly as it reads any other process's commits.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { ServerProcess } from '../support/server-process.js';
import { type SseRefusal, SseStream, connectSse, openSse } from '../support/sse-client.js';
import { STREAM_PATH, type StreamClient, createStreamClient } from '../support/stream-setup.js';
import { until } from '../support/until.js';

/** ~400 bytes per event on the wire. */
const LONG_ID = 'j'.repeat(200);

describe('push stream bounds', () => {
  let server: ServerProcess;
  let reader: StreamClient;
  const url = (): string => `${server.url}${STREAM_PATH}`;
  const withDb = <T>(run: (db: Database.Database) => T): T => {
    const db = new Database(path.join(server.dataDir, 'revokd.db'), { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    try {
      return run(db);
    } finally {
      db.close();
    }
  };
  const commitMany = (count: number, tag: string): void =>
    withDb((db) => {
      const insert =
        db.prepare(`INSERT INTO revocations (scope, target, issuer, expires_at, initiator, reason, created_at)
      VALUES ('token', ?, NULL, ?, 'admin', 'admin', ?)`);
      const now = Date.now();
      db.transaction(() => {
        for (let i = 0; i < count; i++)
          insert.run(`${tag}${i}${LONG_ID}`.slice(0, 255), now + 3_600_000, now);
      }).immediate();
    });
  const storeCountAfter = (seq: number): number =>
    withDb(
      (db) =>
        db.prepare('SELECT COUNT(*) FROM revocations WHERE seq > ?').pluck().get(seq) as number,
    );
  const openStreams = async (): Promise<number> => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const line = /^revokd_streams_open (\d+)/m.exec(text);
    assert.ok(line !== null, 'the open-streams gauge is exported');
    return Number(line[1]);
  };
  const closedFor = (reason: string): number =>
    server.output
      .split('\n')
      .filter((l) => l.includes('revocation stream closed') && l.includes(`"reason":"${reason}"`))
      .length;

  before(async () => {
    server = await ServerProcess.start({
      env: {
        REVOKD_STREAM_MAX_BUFFER_BYTES: '65536',
        REVOKD_STREAM_STALL_TIMEOUT_MS: '1000',
        REVOKD_STREAM_MAX_PER_CLIENT: '2',
        REVOKD_STREAM_HEARTBEAT_MS: '300',
      },
    });
    reader = await createStreamClient((args) => server.cli(args), 'limits-reader');
  });
  after(async () => {
    await server?.stop();
  });

  test('a consumer that stops reading live events is disconnected, not buffered for, and resumes losing nothing', async () => {
    const slow = await openSse(url(), { authorization: reader.basic });
    await slow.snapshot();
    const cursor = slow.lastEventId!;
    slow.pause();
    commitMany(40_000, 'slow');
    await until(
      'the slow stream to be closed',
      async () => (closedFor('slow_consumer') >= 1 ? true : undefined),
      60_000,
    );
    slow.close();
    await until('no stream open', async () => ((await openStreams()) === 0 ? true : undefined));

    // Resuming from the last id it had: every record after it, once each, paced by the consumer.
    const resumed = await openSse(url(), { authorization: reader.basic, lastEventId: cursor });
    const expected = storeCountAfter(Number(cursor));
    assert.ok(expected >= 40_000);
    await resumed.until(
      'the whole backlog',
      (events) =>
        events.filter((e) => e.event === 'revocation').length >= expected ? true : undefined,
      120_000,
    );
    const seqs = resumed.revocations().map((e) => e.data.seq as number);
    assert.equal(new Set(seqs).size, seqs.length, 'no duplicates');
    assert.ok(
      seqs.every((s, i) => i === 0 || s > seqs[i - 1]!),
      'in commit order',
    );
    resumed.close();
  });

  test('a consumer that does not read its snapshot is cut after the stall timeout', async () => {
    const before = closedFor('stalled');
    const stuck = await openSse(url(), { authorization: reader.basic });
    stuck.pause();
    await until(
      'the stalled stream to be closed',
      async () => (closedFor('stalled') > before ? true : undefined),
      30_000,
    );
    stuck.close();
  });

  test('a client holds at most REVOKD_STREAM_MAX_PER_CLIENT streams; a closed one frees its slot', async () => {
    await until('no stream open', async () => ((await openStreams()) === 0 ? true : undefined));
    const first = await openSse(url(), { authorization: reader.basic, lastEventId: '0' });
    const second = await openSse(url(), { authorization: reader.basic, lastEventId: '0' });
    const third = (await connectSse(url(), { authorization: reader.basic })) as SseRefusal;
    assert.ok(!(third instanceof SseStream));
    assert.equal(third.status, 429);
    assert.match(String(third.headers['retry-after']), /^\d+$/);
    first.close();
    await until('the slot to be freed', async () =>
      (await openStreams()) === 1 ? true : undefined,
    );
    const again = await openSse(url(), { authorization: reader.basic, lastEventId: '0' });
    again.close();
    second.close();
  });

  test('SIGTERM ends every stream and the server exits promptly', async () => {
    await until('no stream open', async () => ((await openStreams()) === 0 ? true : undefined));
    const streams = [
      await openSse(url(), { authorization: reader.basic }),
      await openSse(url(), { authorization: reader.basic }),
    ];
    await Promise.all(streams.map((s) => s.snapshot(60_000)));
    const started = Date.now();
    await server.stop();
    // ServerProcess.stop falls back to SIGKILL after 5 s: a stream holding shutdown up would show here.
    assert.ok(Date.now() - started < 4_000, `exited ${Date.now() - started} ms after SIGTERM`);
    await Promise.all(streams.map((s) => s.endedPromise));
    assert.match(server.output, /"reason":"shutdown"/);
  });
});
