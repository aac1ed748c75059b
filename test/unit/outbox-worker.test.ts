/** The outbox worker against an in-memory outbox and scripted transports; the SMTP transport's timeouts against a silent server. */
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import pino from 'pino';
import type { MailEnvelope, MailTransport } from '../../src/mail/mail-transport.js';
import { OutboxWorker, retryDelayMs } from '../../src/mail/outbox-worker.js';
import { createSmtpTransport } from '../../src/mail/smtp-transport.js';
import type { OutboxRecord } from '../../src/stores/types.js';

const silent = pino({ level: 'silent' });

/** The store's outbox contract, in memory (claim leases and counts the attempt). */
class MemoryOutbox {
  rows: Array<
    { -readonly [K in keyof OutboxRecord]: OutboxRecord[K] } & { leaseUntil: number | null }
  > = [];
  failures: Array<{ id: number; error: string; nextAttemptAtMs: number }> = [];

  add(recipient: string, nowMs = 0): number {
    const id = this.rows.length + 1;
    this.rows.push({
      id,
      kind: 'test',
      recipient,
      subject: `subject ${id}`,
      body: `body ${id}`,
      createdAtMs: nowMs,
      attempts: 0,
      nextAttemptAtMs: nowMs,
      sentAtMs: null,
      lastError: null,
      leaseUntil: null,
    });
    return id;
  }
  async claimOutbox(nowMs: number, leaseMs: number, limit: number): Promise<OutboxRecord[]> {
    const due = this.rows
      .filter(
        (r) =>
          r.sentAtMs === null &&
          r.nextAttemptAtMs <= nowMs &&
          (r.leaseUntil === null || r.leaseUntil <= nowMs),
      )
      .slice(0, limit);
    for (const r of due) {
      r.leaseUntil = nowMs + leaseMs;
      r.attempts++;
    }
    return due.map((r) => ({ ...r }));
  }
  async markOutboxSent(id: number, nowMs: number): Promise<void> {
    const r = this.rows[id - 1]!;
    r.sentAtMs = nowMs;
    r.leaseUntil = null;
    r.lastError = null;
  }
  async markOutboxFailed(id: number, error: string, nextAttemptAtMs: number): Promise<void> {
    this.failures.push({ id, error, nextAttemptAtMs });
    const r = this.rows[id - 1]!;
    r.lastError = error;
    r.nextAttemptAtMs = nextAttemptAtMs;
    r.leaseUntil = null;
  }
}

function scripted(outcomes: Array<'ok' | 'fail'>): MailTransport & { sent: MailEnvelope[] } {
  const sent: MailEnvelope[] = [];
  return {
    sent,
    async send(message) {
      const outcome = outcomes.shift() ?? 'ok';
      if (outcome === 'fail')
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:25'), {
          code: 'ECONNECTION',
        });
      sent.push(message);
    },
    close() {},
  };
}

test('retry delays double from the base and stop at the cap', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((n) => retryDelayMs(n, 1000, 300_000)),
    [1000, 2000, 4000, 8000, 16_000],
  );
  assert.equal(retryDelayMs(9, 1000, 300_000), 256_000);
  assert.equal(retryDelayMs(10, 1000, 300_000), 300_000);
  assert.equal(retryDelayMs(10_000, 1000, 300_000), 300_000);
  assert.equal(retryDelayMs(0, 1000, 300_000), 1000);
});

test('a failing message is retried with backoff and sent once the transport works; others are not held up', async () => {
  let now = 1_000_000;
  const outbox = new MemoryOutbox();
  const transport = scripted(['fail', 'ok', 'fail', 'ok']);
  const worker = new OutboxWorker({
    store: outbox,
    transport,
    from: 'revokd@example.org',
    log: silent,
    now: () => now,
  });
  outbox.add('a@example.com', now);
  outbox.add('b@example.com', now);

  assert.equal(await worker.runOnce(), 1); // a fails, b is sent
  assert.deepEqual(
    outbox.failures.map((f) => [f.id, f.nextAttemptAtMs - now]),
    [[1, 1000]],
  );
  assert.match(outbox.failures[0]!.error, /ECONNECTION/);
  assert.equal(await worker.runOnce(), 0, 'not due yet');

  now += 1000;
  assert.equal(await worker.runOnce(), 0); // second failure: next in 2 s
  assert.equal(outbox.failures[1]!.nextAttemptAtMs, now + 2000);

  now += 2000;
  assert.equal(await worker.runOnce(), 1);
  assert.deepEqual(
    transport.sent.map((m) => [m.to, m.from, m.subject, m.text]),
    [
      ['b@example.com', 'revokd@example.org', 'subject 2', 'body 2'],
      ['a@example.com', 'revokd@example.org', 'subject 1', 'body 1'],
    ],
  );
  assert.ok(outbox.rows.every((r) => r.sentAtMs !== null));
});

test('a store that throws never escapes the worker', async () => {
  const throwing = {
    claimOutbox: async (): Promise<OutboxRecord[]> => {
      throw new Error('database is locked');
    },
    markOutboxSent: async () => {
      throw new Error('database is locked');
    },
    markOutboxFailed: async () => {
      throw new Error('database is locked');
    },
  };
  const worker = new OutboxWorker({
    store: throwing,
    transport: scripted([]),
    from: 'x@y',
    log: silent,
  });
  assert.equal(await worker.runOnce(), 0);

  const outbox = new MemoryOutbox();
  outbox.add('a@example.com');
  const marksThrow = {
    claimOutbox: outbox.claimOutbox.bind(outbox),
    markOutboxSent: throwing.markOutboxSent,
    markOutboxFailed: throwing.markOutboxFailed,
  };
  assert.equal(
    await new OutboxWorker({
      store: marksThrow,
      transport: scripted(['fail']),
      from: 'x@y',
      log: silent,
      now: () => 0,
    }).runOnce(),
    0,
  );
});

test('a send that never settles counts as failed after the send timeout', async () => {
  const outbox = new MemoryOutbox();
  outbox.add('a@example.com');
  const hanging: MailTransport = { send: () => new Promise(() => {}), close() {} };
  const worker = new OutboxWorker({
    store: outbox,
    transport: hanging,
    from: 'x@y',
    log: silent,
    now: () => 0,
    sendTimeoutMs: 50,
  });
  assert.equal(await worker.runOnce(), 0);
  assert.match(outbox.failures[0]!.error, /longer than 50 ms/);
});

test('stop() waits for the send in flight, records it, and polls no more', async () => {
  const outbox = new MemoryOutbox();
  outbox.add('a@example.com');
  let release!: () => void;
  let started!: () => void;
  const sendStarted = new Promise<void>((resolve) => {
    started = resolve;
  });
  let sends = 0;
  const slow: MailTransport = {
    send: () => {
      sends++;
      started();
      return new Promise<void>((resolve) => {
        release = resolve;
      });
    },
    close() {},
  };
  const worker = new OutboxWorker({
    store: outbox,
    transport: slow,
    from: 'x@y',
    log: silent,
    pollMs: 10,
  });
  const keepAlive = setInterval(() => {}, 1000); // the worker's own timer does not hold the process open
  try {
    worker.start();
    await sendStarted;
    let stopped = false;
    const stopping = worker.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(stopped, false, 'stop() waits while a send is in flight');
    release();
    await stopping;
    assert.ok(outbox.rows[0]!.sentAtMs !== null, 'the finished send was recorded');
    outbox.add('b@example.com');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(sends, 1, 'no polling after stop()');
  } finally {
    clearInterval(keepAlive);
  }
});

test('the SMTP transport gives up on a server that accepts the connection and never greets', async () => {
  const sockets: net.Socket[] = [];
  const silentServer = net.createServer((socket) => {
    sockets.push(socket);
  });
  await new Promise<void>((resolve) => silentServer.listen(0, '127.0.0.1', resolve));
  const { port } = silentServer.address() as net.AddressInfo;
  const transport = createSmtpTransport(`smtp://127.0.0.1:${port}`, {
    greetingTimeout: 200,
    connectionTimeout: 200,
    socketTimeout: 500,
  });
  try {
    await assert.rejects(
      transport.send({ from: 'x@example.org', to: 'y@example.org', subject: 's', text: 't' }),
      /greeting|timeout/i,
    );
  } finally {
    transport.close();
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silentServer.close(resolve));
  }
});
