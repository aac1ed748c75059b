/**
 * Sends the durable outbox: every `pollMs` it claims the messages that are due (leased, so another
 * worker on the same store does not send them at the same time), hands each to the transport, and
 * marks it sent — or failed, due again after an exponential backoff. Nothing is ever dropped: a
 * message stays in the outbox until a server accepted it. A crash between claim and mark leaves
 * the lease, which expires, and the message is sent again (at least once, never lost).
 *
 * The loop never throws; failures are logged without the message body or recipient.
 */
import type { Logger } from 'pino';
import type { OutboxPort, OutboxRecord } from '../stores/types.js';
import type { MailTransport } from './mail-transport.js';

export interface OutboxWorkerOptions {
  readonly store: Pick<OutboxPort, 'claimOutbox' | 'markOutboxSent' | 'markOutboxFailed'>;
  readonly transport: MailTransport;
  readonly from: string;
  readonly log: Logger;
  readonly now?: () => number;
  /** Pause between passes (default 500 ms). */
  readonly pollMs?: number;
  /** Most messages tried per pass (default 50). */
  readonly batchSize?: number;
  /** Longest a single send may take before it counts as failed (default 30 s). */
  readonly sendTimeoutMs?: number;
  /** How long a claim keeps other workers away, and how long a crash delays a claimed message (default: twice the send timeout). */
  readonly leaseMs?: number;
  /** First retry delay; doubles with each attempt (default 1 s). */
  readonly retryBaseMs?: number;
  /** Longest retry delay (default 5 min). */
  readonly retryMaxMs?: number;
}

/** Delay before the next attempt, after `attempts` failed ones: base, 2·base, 4·base, … up to max. */
export function retryDelayMs(attempts: number, baseMs: number, maxMs: number): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  return Math.min(baseMs * 2 ** exponent, maxMs);
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

export class OutboxWorker {
  private readonly store: OutboxWorkerOptions['store'];
  private readonly transport: MailTransport;
  private readonly from: string;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly pollMs: number;
  private readonly batchSize: number;
  private readonly sendTimeoutMs: number;
  private readonly leaseMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;

  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;

  constructor(options: OutboxWorkerOptions) {
    this.store = options.store;
    this.transport = options.transport;
    this.from = options.from;
    this.log = options.log;
    this.now = options.now ?? Date.now;
    this.pollMs = options.pollMs ?? 500;
    this.batchSize = options.batchSize ?? 50;
    this.sendTimeoutMs = options.sendTimeoutMs ?? 30_000;
    this.leaseMs = options.leaseMs ?? 2 * this.sendTimeoutMs;
    this.retryBaseMs = options.retryBaseMs ?? 1_000;
    this.retryMaxMs = options.retryMaxMs ?? 300_000;
  }

  /** Starts polling; the first pass runs at once. */
  start(): void {
    if (this.running !== undefined || this.timer !== undefined || this.stopping) return;
    this.schedule(0);
  }

  /** Stops polling and waits for a send in flight (bounded by the send timeout). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    this.transport.close();
  }

  /**
   * One pass: claims due messages one at a time (so a lease only has to cover one send) and tries
   * each, until none is due, `batchSize` were tried, or the worker is stopping. Never rejects.
   * Returns how many were sent.
   */
  async runOnce(): Promise<number> {
    let sent = 0;
    for (let tried = 0; tried < this.batchSize && !this.stopping; tried++) {
      let claimed: OutboxRecord[];
      try {
        claimed = await this.store.claimOutbox(this.now(), this.leaseMs, 1);
      } catch (err) {
        this.log.warn({ err: describe(err) }, 'mail outbox: could not claim messages');
        break;
      }
      const [message] = claimed;
      if (message === undefined) break;
      if (await this.deliver(message)) sent++;
    }
    return sent;
  }

  private schedule(delayMs: number): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.runOnce()
        .then(
          () => undefined,
          (err: unknown) => this.log.error({ err: describe(err) }, 'mail outbox: unexpected error'),
        )
        .finally(() => {
          this.running = undefined;
          this.schedule(this.pollMs);
        });
    }, delayMs);
    this.timer.unref();
  }

  private async deliver(message: OutboxRecord): Promise<boolean> {
    try {
      await this.sendWithDeadline(message);
    } catch (err) {
      const reason = describe(err);
      const nextAttemptAtMs =
        this.now() + retryDelayMs(message.attempts, this.retryBaseMs, this.retryMaxMs);
      try {
        await this.store.markOutboxFailed(message.id, reason, nextAttemptAtMs);
      } catch (markErr) {
        // The lease expires and the message is tried again then.
        this.log.warn(
          { outboxId: message.id, err: describe(markErr) },
          'mail outbox: could not record a failed send',
        );
      }
      this.log.warn(
        {
          outboxId: message.id,
          kind: message.kind,
          attempts: message.attempts,
          nextAttemptAt: new Date(nextAttemptAtMs).toISOString(),
          err: reason,
        },
        'mail outbox: send failed, will retry',
      );
      return false;
    }
    try {
      await this.store.markOutboxSent(message.id, this.now());
    } catch (err) {
      // Sent but not recorded: after the lease it is sent again (at least once beats never).
      this.log.warn(
        { outboxId: message.id, err: describe(err) },
        'mail outbox: sent, but could not record it',
      );
      return true;
    }
    this.log.info(
      { outboxId: message.id, kind: message.kind, attempts: message.attempts },
      'mail outbox: sent',
    );
    return true;
  }

  private async sendWithDeadline(message: OutboxRecord): Promise<void> {
    let deadline: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_resolve, reject) => {
      deadline = setTimeout(
        () => reject(new Error(`send took longer than ${this.sendTimeoutMs} ms`)),
        this.sendTimeoutMs,
      );
    });
    try {
      await Promise.race([
        this.transport.send({
          from: this.from,
          to: message.recipient,
          subject: message.subject,
          text: message.body,
        }),
        timedOut,
      ]);
    } finally {
      clearTimeout(deadline);
    }
  }
}
