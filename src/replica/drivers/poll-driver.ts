/**
 * The service's replica driver: loads the store's snapshot, then reads the store's feed every
 * `pollMs` and whenever a wake-up says another process committed (src/replica/wakeups/). Every
 * successful read — even one that found nothing — confirms the view current; a failed one does
 * not, so a store that cannot be read makes the view stale (and the fail policy apply).
 */
import type { FeedCursor, FeedPage, FeedSnapshot } from '../../core/revocation/feed.js';
import type { SnapshotReceiver } from '../../core/revocation/snapshot-stream.js';
import type { ReplicaDriver, ReplicaSink, WakeupStatus } from '../revocation-replica.js';

export interface FeedSource {
  loadSnapshot(nowMs: number): Promise<FeedSnapshot>;
  /** When the source has it, the snapshot is streamed into the replica instead (see RevocationLogPort). */
  streamSnapshot?(nowMs: number, receiver: SnapshotReceiver): Promise<void>;
  readFeed(after: FeedCursor, limit: number): Promise<FeedPage>;
}

/**
 * Something that says "new records were committed: read the feed now" (a PostgreSQL NOTIFY, a
 * Redis message). A wake-up is only ever a hint: the driver also polls every `pollMs`, so a lost
 * message delays a record by at most one poll and never loses it.
 */
export interface FeedWakeup {
  /** Shown in /readyz and logs (`notify`, `redis`). */
  readonly name: string;
  start(wake: () => void): Promise<void>;
  stop(): Promise<void>;
  /** Whether wake-ups can arrive now (while not, the poll alone keeps the view current). */
  status(): WakeupStatus;
}

export interface PollDriverOptions {
  readonly source: FeedSource;
  readonly pollMs: number;
  /** Read the feed as soon as these say so, besides the poll. */
  readonly wakeups?: readonly FeedWakeup[];
  readonly now?: () => number;
  /** Told about each failed read (for logs and metrics). */
  readonly onSyncError?: (err: unknown) => void;
}

const FEED_PAGE = 5000;

export class PollDriver implements ReplicaDriver {
  private readonly options: PollDriverOptions;
  private readonly now: () => number;
  private sink: ReplicaSink | undefined;
  private cursor: FeedCursor | undefined;
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private pendingWake: Promise<void> | undefined;

  constructor(options: PollDriverOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  async start(sink: ReplicaSink): Promise<void> {
    const source = this.options.source;
    if (source.streamSnapshot === undefined) {
      const snapshot = await source.loadSnapshot(this.now());
      sink.loadSnapshot(snapshot);
      this.cursor = snapshot.cursor;
    } else {
      const builder = sink.snapshotBuilder();
      await source.streamSnapshot(this.now(), builder);
      this.cursor = builder.install();
    }
    this.sink = sink;
    await this.sync();
    this.timer = setInterval(() => void this.sync(), this.options.pollMs);
    this.timer.unref();
    for (const wakeup of this.options.wakeups ?? []) await wakeup.start(() => this.wake());
  }

  async stop(): Promise<void> {
    this.sink = undefined;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    for (const wakeup of this.options.wakeups ?? []) await wakeup.stop().catch(() => undefined);
  }

  wakeupStatus(): WakeupStatus[] {
    return (this.options.wakeups ?? []).map((w) => w.status());
  }

  /** Reads the feed past what has been applied. Concurrent calls share one read. */
  sync(): Promise<void> {
    this.syncing ??= this.readAll().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  readNow(): void {
    this.wake();
  }

  /**
   * A wake-up: read now, and once more after a read already under way (it may have started before
   * the commit it is being woken for).
   */
  private wake(): void {
    if (this.sink === undefined) return;
    const running = this.syncing;
    if (running === undefined) void this.sync();
    else
      this.pendingWake ??= running.then(() => {
        this.pendingWake = undefined;
        return this.sync();
      });
  }

  private async readAll(): Promise<void> {
    const sink = this.sink;
    if (sink === undefined || this.cursor === undefined) return;
    try {
      for (;;) {
        const page = await this.options.source.readFeed(this.cursor, FEED_PAGE);
        sink.applyCommitted(page);
        this.cursor = page.cursor;
        if (page.records.length < FEED_PAGE) break;
      }
      sink.markCurrent();
    } catch (err) {
      this.options.onSyncError?.(err);
    }
  }
}
