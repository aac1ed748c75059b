/**
 * The push stream against a real server on SQLite (issue 11, must-show 4): snapshot then events in
 * commit order; a consumer that reconnects with Last-Event-ID gets exactly what it missed, in
 * order, once each — also when revocations are committed while it catches up; an id that is not a
 * cursor gets a fresh snapshot; a quiet stream carries heartbeats.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { ServerProcess } from '../support/server-process.js';
import { type SseEvent, connectSse, openSse } from '../support/sse-client.js';
import {
  STREAM_PATH,
  type StreamClient,
  adminRevoker,
  createStreamClient,
  randomJti,
} from '../support/stream-setup.js';

describe('the push stream on SQLite', () => {
  let server: ServerProcess;
  let client: StreamClient;
  let revoke: (scope: string, value: string) => Promise<void>;
  const url = (): string => `${server.url}${STREAM_PATH}`;
  /** The seqs the store holds after `afterSeq`, in order: the truth a resumed stream must match. */
  const storeSeqsAfter = (afterSeq: number): number[] => {
    const db = new Database(path.join(server.dataDir, 'revokd.db'), {
      readonly: true,
      fileMustExist: true,
    });
    try {
      return db
        .prepare('SELECT seq FROM revocations WHERE seq > ? ORDER BY seq')
        .pluck()
        .all(afterSeq) as number[];
    } finally {
      db.close();
    }
  };
  const jtisOf = (events: readonly SseEvent[]): string[] => events.map((e) => e.data.jti as string);

  before(async () => {
    // The shortest request, headers and keep-alive timeouts: a stream must outlive all of them.
    server = await ServerProcess.start({
      env: {
        REVOKD_STREAM_HEARTBEAT_MS: '300',
        REVOKD_REQUEST_TIMEOUT_MS: '1000',
        REVOKD_HEADERS_TIMEOUT_MS: '1000',
        REVOKD_KEEP_ALIVE_TIMEOUT_MS: '1000',
      },
    });
    client = await createStreamClient((args) => server.cli(args), 'stream-consumer');
    revoke = await adminRevoker(server.url);
  });
  after(async () => {
    await server?.stop();
  });

  test('a snapshot, then each revocation with its cursor as id; reconnecting with Last-Event-ID brings exactly the 5 missed, in order', async () => {
    await revoke('jti', randomJti());
    const first = await openSse(url(), { authorization: client.basic });
    assert.match(String(first.headers['content-type']), /^text\/event-stream/);
    assert.equal(first.headers['x-accel-buffering'], 'no');
    assert.match(String(first.headers['cache-control']), /no-cache/);
    const parts = await first.snapshot();
    assert.ok(
      parts.every((p, i) => p.data.part === i),
      'parts in order',
    );
    assert.ok(
      parts.at(-1)!.id !== undefined && parts.slice(0, -1).every((p) => p.id === undefined),
      'only the final part carries the cursor',
    );
    assert.ok(parts[0]!.data.generations !== undefined);

    const seen = randomJti();
    await revoke('jti', seen);
    const live = await first.until('the live revocation', (events) =>
      events.find((e) => e.event === 'revocation' && e.data.jti === seen),
    );
    assert.equal(live.data.scope, 'token');
    assert.ok(live.id !== undefined && live.id !== '');
    const resumeFrom = first.lastEventId!;
    assert.equal(resumeFrom, live.id);
    first.close();

    const missed = [randomJti(), randomJti(), randomJti(), randomJti(), randomJti()];
    for (const jti of missed) await revoke('jti', jti);

    const second = await openSse(url(), { authorization: client.basic, lastEventId: resumeFrom });
    await second.until('the 5 missed revocations', (events) =>
      events.filter((e) => e.event === 'revocation').length >= 5 ? true : undefined,
    );
    // A few heartbeats later nothing more has come: exactly those 5, nothing before, no duplicates.
    await second.until('three heartbeats after them', (events) =>
      events.filter((e) => e.event === 'heartbeat').length >= 3 ? true : undefined,
    );
    assert.equal(
      second.events.filter((e) => e.event === 'snapshot').length,
      0,
      'a resumption sends no snapshot',
    );
    assert.deepEqual(jtisOf(second.revocations()), missed);
    const seqs = second.revocations().map((e) => e.data.seq as number);
    assert.deepEqual(seqs, storeSeqsAfter(live.data.seq as number));
    second.close();
  });

  test('resuming while many revocations commit during the catch-up: every record after the cursor once, in commit order', async () => {
    const from = await openSse(url(), { authorization: client.basic });
    await from.snapshot();
    const cursor = from.lastEventId!;
    from.close();
    const cursorSeq = Number(cursor);
    // Some committed before the reconnect, the rest while it connects and catches up.
    for (let i = 0; i < 10; i++) await revoke('jti', randomJti());
    const during = Promise.all(Array.from({ length: 40 }, () => revoke('jti', randomJti())));
    const resumed = await openSse(url(), { authorization: client.basic, lastEventId: cursor });
    await during;
    for (let i = 0; i < 10; i++) await revoke('jti', randomJti());
    const expected = storeSeqsAfter(cursorSeq);
    assert.equal(expected.length, 60);
    await resumed.until('all 60', (events) =>
      events.filter((e) => e.event === 'revocation').length >= 60 ? true : undefined,
    );
    await resumed.until('two heartbeats after them', (events) => {
      const lastRevocation = events.map((e) => e.event).lastIndexOf('revocation');
      return events.slice(lastRevocation).filter((e) => e.event === 'heartbeat').length >= 2
        ? true
        : undefined;
    });
    assert.deepEqual(
      resumed.revocations().map((e) => e.data.seq),
      expected,
    );
    // Each event's id resumes right after it: the last id is the last record's cursor.
    assert.equal(resumed.lastEventId, resumed.revocations().at(-1)!.id);
    resumed.close();
  });

  test('a Last-Event-ID that is not a cursor of this store gets a fresh snapshot (header or ?last_event_id=)', async () => {
    for (const options of [{ lastEventId: 'not-a-cursor' }, {}]) {
      const target =
        options.lastEventId === undefined
          ? `${url()}?last_event_id=${encodeURIComponent('zz top')}`
          : url();
      const stream = await openSse(target, { authorization: client.basic, ...options });
      const parts = await stream.snapshot();
      assert.ok(parts.length >= 1);
      assert.ok(
        parts.at(-1)!.data.revocations.length +
          parts.slice(0, -1).reduce((n, p) => n + p.data.revocations.length, 0) >=
          1,
      );
      stream.close();
    }
    const bad = await connectSse(url(), {
      authorization: client.basic,
      lastEventId: 'x'.repeat(2000),
    });
    assert.ok(!('events' in bad) && bad.status === 400, 'an absurdly long id is a 400, not a hang');
  });

  test('a quiet stream carries heartbeats about every interval, saying when the view was current, past every HTTP timeout', async () => {
    const stream = await openSse(url(), { authorization: client.basic });
    await stream.snapshot();
    // 10 × 300 ms: three times the request timeout.
    const beats = await stream.until('ten heartbeats', (events) => {
      const hb = events.filter((e) => e.event === 'heartbeat');
      return hb.length >= 10 ? hb : undefined;
    });
    assert.equal(stream.ended, false);
    stream.close();
    for (const beat of beats) {
      assert.equal(beat.id, undefined, 'a heartbeat carries no id');
      assert.equal(typeof beat.data.at, 'number');
      assert.ok(
        beat.data.at <= beat.receivedAtMs + 50 && beat.data.at > beat.receivedAtMs - 2000,
        'at is when the view was last current: recent, not in the future',
      );
    }
    // Generous bound (a 300 ms interval): never tight timing, but a stream that went quiet would fail.
    for (let i = 1; i < beats.length; i++)
      assert.ok(beats[i]!.receivedAtMs - beats[i - 1]!.receivedAtMs < 3000);
  });
});
