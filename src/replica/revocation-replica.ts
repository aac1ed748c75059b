/**
 * The in-process view of revocation state that every check reads. It starts from a snapshot,
 * then follows the change feed; a write made by this process is applied directly after its commit
 * (so this instance answers correctly at once), and writes by other processes (the CLI, other
 * instances) arrive with the next poll. If the feed cannot be read for longer than
 * `maxStalenessMs`, checks refuse to decide (fail closed) unless fail mode is `open`.
 */
import { RevokdError } from '../core/errors.js';
import { RevocationState } from '../core/revocation/revocation-state.js';
import type { CheckOutcome, RevocationRecord, TokenStamp } from '../core/revocation/types.js';
import type { FeedCursor, FeedPage, FeedSnapshot } from '../stores/types.js';

export interface FeedSource {
  loadSnapshot(nowMs: number): Promise<FeedSnapshot>;
  readFeed(after: FeedCursor, limit: number): Promise<FeedPage>;
}

/**
 * Something that says "new records were committed: read the feed now" (a PostgreSQL NOTIFY, a
 * Redis message). A wake-up is only ever a hint: the replica also polls every `pollMs`, so a lost
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

export type WakeupStatus =
  | { readonly name: string; readonly connected: true }
  | { readonly name: string; readonly connected: false; readonly problem: string };

/**
 * Tells other processes that this one committed records (a Redis publish). Called after the commit
 * (applyLocal), never before; a backend that notifies inside its transactions needs none.
 */
export interface FeedAnnouncer {
  announce(): void;
}

export interface ReplicaOptions {
  readonly source: FeedSource;
  readonly pollMs: number;
  /** Read the feed as soon as these say so, besides the poll (see FeedWakeup). */
  readonly wakeups?: readonly FeedWakeup[];
  /** Told after every local commit that added records (see FeedAnnouncer). */
  readonly announcers?: readonly FeedAnnouncer[];
  readonly maxStalenessMs: number;
  /** How often entries past their expiry are dropped from memory. */
  readonly pruneIntervalMs: number;
  readonly failMode: 'closed' | 'open';
  /**
   * Fail-open is bounded: once the view is older than this (the access-token TTL — by then every
   * token it could wrongly accept has been issued after the outage began), checks fail closed anyway.
   */
  readonly failOpenMaxMs?: number;
  readonly now?: () => number;
  /** Told about each failed sync (for logs and metrics). */
  readonly onSyncError?: (err: unknown) => void;
  /** Told about every check whose answer came from fail-open mode. */
  readonly onFailOpen?: () => void;
}

const FEED_PAGE = 5000;
/**
 * How many feed ids to remember for applyLocal's duplicate check. A local commit is applied
 * microseconds after it commits, so the feed can only have overtaken it by a page or two.
 */
const RECENTLY_READ_KEPT = 2 * FEED_PAGE;

export class RevocationReplica {
  readonly state = new RevocationState();
  private readonly options: ReplicaOptions;
  private readonly now: () => number;
  private lastSyncMs = 0;
  private lastPruneMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private readonly listeners = new Set<(record: RevocationRecord) => void>();
  /**
   * Where this view stands in the feed (opaque: the store's). Local writes do not move it: another
   * process may have committed a record this view has not read yet, and it must still be read.
   */
  private cursor: FeedCursor | undefined;
  /** Records applied from a local commit that the feed has not returned yet (to tell listeners once). */
  private readonly appliedAhead = new Set<number>();
  /**
   * Ids of the records read from the feed most recently: a local commit whose records the feed
   * returned before applyLocal ran (another reader was quicker) is then not applied and told twice.
   */
  private readonly recentlyRead = new Set<number>();
  private started = false;

  constructor(options: ReplicaOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /** Loads the snapshot and starts following the feed. */
  async start(): Promise<void> {
    const snapshot = await this.options.source.loadSnapshot(this.now());
    this.state.setGenerations(snapshot.globalGeneration, snapshot.userGenerations, snapshot.clientGenerations);
    for (const record of snapshot.records) this.state.apply(record);
    this.cursor = snapshot.cursor;
    this.lastSyncMs = this.now();
    this.started = true;
    await this.sync();
    this.timer = setInterval(() => void this.sync(), this.options.pollMs);
    this.timer.unref();
    for (const wakeup of this.options.wakeups ?? []) await wakeup.start(() => this.wake());
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    for (const wakeup of this.options.wakeups ?? []) await wakeup.stop().catch(() => undefined);
  }

  /** Reads the feed past what has been applied. Concurrent calls share one read. */
  sync(): Promise<void> {
    this.syncing ??= this.readAll().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  /**
   * A wake-up: read now, and once more after a read already under way (it may have started before
   * the commit it is being woken for).
   */
  private wake(): void {
    if (!this.started) return;
    const running = this.syncing;
    if (running === undefined) void this.sync();
    else this.pendingWake ??= running.then(() => {
      this.pendingWake = undefined;
      return this.sync();
    });
  }

  private pendingWake: Promise<void> | undefined;

  private async readAll(): Promise<void> {
    if (this.cursor === undefined) return;
    try {
      for (;;) {
        const page = await this.options.source.readFeed(this.cursor, FEED_PAGE);
        for (const record of page.records) {
          this.rememberRead(record.seq);
          if (!this.appliedAhead.delete(record.seq)) this.applyAndTell(record);
        }
        this.cursor = page.cursor;
        if (page.records.length < FEED_PAGE) break;
      }
      const now = this.now();
      this.lastSyncMs = now;
      if (now - this.lastPruneMs >= this.options.pruneIntervalMs) {
        this.state.prune(now);
        this.lastPruneMs = now;
      }
    } catch (err) {
      this.options.onSyncError?.(err);
    }
  }

  /** Applies records this process just committed, before it answers the request. */
  applyLocal(records: readonly RevocationRecord[]): void {
    if (records.length > 0) for (const announcer of this.options.announcers ?? []) announcer.announce();
    for (const record of records) {
      if (this.recentlyRead.has(record.seq) || this.appliedAhead.has(record.seq)) continue;
      this.appliedAhead.add(record.seq);
      this.applyAndTell(record);
    }
  }

  private rememberRead(seq: number): void {
    this.recentlyRead.add(seq);
    if (this.recentlyRead.size > RECENTLY_READ_KEPT) {
      // Sets iterate in insertion order: drop the oldest.
      for (const old of this.recentlyRead) {
        this.recentlyRead.delete(old);
        if (this.recentlyRead.size <= RECENTLY_READ_KEPT) break;
      }
    }
  }

  /**
   * Calls `listener` for every revocation this view learns of from now on (local or from the feed),
   * e.g. to drop the connections a revoked token holds. Returns the unsubscribe function.
   */
  onRecord(listener: (record: RevocationRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private applyAndTell(record: RevocationRecord): void {
    this.state.apply(record);
    for (const listener of this.listeners) {
      try {
        listener(record);
      } catch {
        // A listener's failure must not stop the feed.
      }
    }
  }

  /** The wake-up drivers' states (empty when the view follows the feed by polling alone). */
  wakeupStatus(): WakeupStatus[] {
    return (this.options.wakeups ?? []).map((w) => w.status());
  }

  /** Milliseconds since the view last caught up with the store. */
  stalenessMs(): number {
    return this.now() - this.lastSyncMs;
  }

  isStale(): boolean {
    return this.stalenessMs() > this.options.maxStalenessMs;
  }

  /** False when check() would refuse to decide (stale and closed, or stale past the fail-open bound). */
  canDecide(): boolean {
    if (!this.isStale()) return true;
    const beyondOpenBound = this.options.failOpenMaxMs !== undefined && this.stalenessMs() > this.options.failOpenMaxMs;
    return this.options.failMode === 'open' && !beyondOpenBound;
  }

  /**
   * Decides whether the token is revoked. Throws ERR_STORE_UNAVAILABLE when the view is too stale
   * to be trusted and fail mode is closed (SPEC §3 "Fail policy").
   */
  check(stamp: TokenStamp): CheckOutcome {
    if (this.isStale()) {
      if (!this.canDecide()) {
        throw new RevokdError('ERR_STORE_UNAVAILABLE', 'revocation state is not current; try again shortly', { retryAfterSeconds: 1 });
      }
      this.options.onFailOpen?.();
    }
    return this.state.check(stamp);
  }
}

