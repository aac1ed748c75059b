/**
 * Feed wake-ups over PostgreSQL LISTEN/NOTIFY (REVOKD_FEED_WAKEUP=notify, the default on
 * PostgreSQL). The store runs `pg_notify` inside every transaction that appends feed records, and
 * PostgreSQL delivers a notification only when (and after) that transaction commits: there is no
 * moment between commit and publish in which a crash can drop the hint, and no message for a
 * rolled-back write. A notification is still only "read now": records come from the feed, in
 * commit order. The listening connection is a dedicated one (LISTEN holds its session, so it
 * cannot come from the pool); when it drops — PostgreSQL restarted, the backend terminated, the
 * network cut — it is reopened with backoff and the replica is woken on every (re)connect to
 * catch up on what was committed meanwhile. Until then the replica's poll keeps it current.
 */
import type { FeedListenerConnection as ListenerClient } from '../../stores/ports/revocation-log.js';
import type { FeedWakeup } from '../drivers/poll-driver.js';
import type { WakeupStatus } from '../revocation-replica.js';

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2_000;

export class PostgresListenWakeup implements FeedWakeup {
  readonly name = 'notify';
  private client: ListenerClient | undefined;
  private stopped = false;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private lastProblem: string | undefined = 'not connected yet';

  constructor(
    private readonly connect: () => Promise<ListenerClient>,
    private readonly channel: string,
    private readonly onProblem: (err: unknown) => void = () => undefined,
  ) {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel))
      throw new TypeError(`invalid LISTEN channel: ${channel}`);
  }

  async start(wake: () => void): Promise<void> {
    this.stopped = false;
    await this.open(wake);
  }

  private async open(wake: () => void): Promise<void> {
    if (this.stopped) return;
    let client: ListenerClient | undefined;
    try {
      client = await this.connect();
      const lost = (err?: Error) => {
        if (this.client !== client) return;
        this.client = undefined;
        this.lastProblem = err?.message ?? 'connection ended';
        if (err !== undefined) this.onProblem(err);
        client?.end().catch(() => undefined);
        this.scheduleReopen(wake);
      };
      client.on('error', (err) => lost(err));
      client.on('end', () => lost());
      client.on('notification', (message) => {
        if (message.channel === this.channel) wake();
      });
      await client.query(`LISTEN ${this.channel}`);
      if (this.stopped) {
        await client.end().catch(() => undefined);
        return;
      }
      this.client = client;
      this.lastProblem = undefined;
      this.retryMs = RETRY_MIN_MS;
      // Whatever was committed while this instance was not listening is read now.
      wake();
    } catch (err) {
      this.lastProblem = err instanceof Error ? err.message : String(err);
      this.onProblem(err);
      await client?.end().catch(() => undefined);
      this.scheduleReopen(wake);
    }
  }

  private scheduleReopen(wake: () => void): void {
    if (this.stopped || this.retryTimer !== undefined) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.open(wake);
    }, delay);
    this.retryTimer.unref();
  }

  status(): WakeupStatus {
    return this.client !== undefined
      ? { name: this.name, connected: true }
      : { name: this.name, connected: false, problem: this.lastProblem ?? 'not connected' };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
