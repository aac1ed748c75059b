/**
 * Feed wake-ups over Redis pub/sub (REVOKD_FEED_WAKEUP=redis). After a process commits revocation
 * records it publishes one message on `<prefix>feed`; every instance subscribed reads the feed at
 * once instead of at its next poll. A message carries nothing but "read now": the records
 * themselves come from the system of record, in commit order, so a message that is lost (the
 * publisher crashed right after its commit, the subscriber's connection was killed) delays a
 * revocation by at most one poll interval and never loses it. On every (re)subscription the
 * replica is woken too, to catch up on what was published while the connection was down.
 */
import { Redis } from 'ioredis';
import type { FeedWakeup } from '../drivers/poll-driver.js';
import type { FeedAnnouncer, WakeupStatus } from '../revocation-replica.js';

const CONNECT_TIMEOUT_MS = 1000;
const COMMAND_TIMEOUT_MS = 500;

function connect(url: string, role: 'subscriber' | 'publisher'): Redis {
  return new Redis(url, {
    connectTimeout: CONNECT_TIMEOUT_MS,
    // A hung Redis (SIGSTOP) must not pile up pending publishes; subscriptions have no deadline.
    ...(role === 'publisher' ? { commandTimeout: COMMAND_TIMEOUT_MS } : { autoResubscribe: false }),
    // Never queue a publish while disconnected (it would arrive late, in a burst); never wait on one.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
    lazyConnect: true,
  });
}

export class RedisPubSubWakeup implements FeedWakeup, FeedAnnouncer {
  readonly name = 'redis';
  private readonly channel: string;
  private readonly subscriber: Redis;
  private readonly publisher: Redis;
  private subscribed = false;
  private lastProblem: string | undefined;

  constructor(
    url: string,
    prefix: string,
    private readonly onProblem: (err: unknown) => void = () => undefined,
  ) {
    this.channel = `${prefix}feed`;
    this.subscriber = connect(url, 'subscriber');
    this.publisher = connect(url, 'publisher');
    // ioredis reconnects on its own; a publisher error is only ever a lost hint.
    this.publisher.on('error', () => undefined);
  }

  async start(wake: () => void): Promise<void> {
    const sub = this.subscriber;
    sub.on('message', (channel: string) => {
      if (channel === this.channel) wake();
    });
    sub.on('error', (err: Error) => {
      this.lastProblem = err.message;
      this.onProblem(err);
    });
    sub.on('close', () => {
      this.subscribed = false;
    });
    // (Re)subscribe on every connect, then catch up on what was committed while unsubscribed.
    sub.on('ready', () => {
      void sub.subscribe(this.channel).then(
        () => {
          this.subscribed = true;
          this.lastProblem = undefined;
          wake();
        },
        (err: unknown) => this.onProblem(err),
      );
    });
    sub.connect().catch((err: unknown) => {
      this.lastProblem = err instanceof Error ? err.message : String(err);
      this.onProblem(err);
    });
    this.publisher.connect().catch(() => undefined);
  }

  /** Tells the other instances that records were committed (after the commit, so never too early). */
  announce(): void {
    if (this.publisher.status !== 'ready') return;
    this.publisher.publish(this.channel, '1').catch(() => undefined);
  }

  status(): WakeupStatus {
    return this.subscribed
      ? { name: this.name, connected: true }
      : { name: this.name, connected: false, problem: this.lastProblem ?? 'not subscribed' };
  }

  async stop(): Promise<void> {
    this.subscriber.disconnect();
    this.publisher.disconnect();
  }
}
