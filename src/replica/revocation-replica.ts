/**
 * The in-process view of revocation state that every check reads — in the service and in the
 * `@revokd/verifier` package alike. It starts from a snapshot and then follows the change feed in
 * commit order, through a **driver** (src/replica/drivers/): the poll driver reads the store
 * (woken at once by a NOTIFY or a Redis message), the verifier's SSE driver is pushed the same
 * records by the stream. A write made by this process is applied directly after its commit
 * (`applyLocal`, so this instance answers correctly at once) and again, harmlessly, when the feed
 * brings it. If the driver has not confirmed the view current for longer than `maxStalenessMs`,
 * checks refuse to decide (fail closed) unless fail mode is `open`.
 */
import { RevokdError } from '../core/errors.js';
import type { FeedCursor, FeedPage, FeedRecord, FeedSnapshot } from '../core/revocation/feed.js';
import { chainAfter } from '../core/revocation/feed-chain.js';
import { isIpBlockChange } from '../core/revocation/ip-block-change.js';
import { RevocationState } from '../core/revocation/revocation-state.js';
import type { SnapshotHead, SnapshotReceiver } from '../core/revocation/snapshot-stream.js';
import type { CheckOutcome, RevocationRecord, TokenStamp } from '../core/revocation/types.js';

/** What a driver feeds the replica with. */
export interface ReplicaSink {
  /** Replaces the whole view with a snapshot (at start, or when a stream must start over). */
  loadSnapshot(snapshot: FeedSnapshot): void;
  /**
   * The same, streamed: the builder fills a fresh state as the snapshot arrives (the view keeps
   * answering from the current one meanwhile) and install() swaps it in. Never a half snapshot.
   */
  snapshotBuilder(): SnapshotBuilder;
  /** Applies records committed after the last ones, in commit order, with their cursors. */
  applyCommitted(page: FeedPage): void;
  /**
   * The view is known to have been current at `asOfMs` (default: now) — a read that found nothing
   * new, a stream proof naming the time the service vouched for.
   */
  markCurrent(asOfMs?: number): void;
  /** The view is known NOT to be current (a stream proved it lost or was sent altered events). */
  markStale(): void;
  /**
   * The view can no longer decide at all, whatever the fail mode, until a new replica starts: the
   * feed carries what this code cannot apply (a newer protocol's revocation scope).
   */
  halt(error: Error): void;
}

/** A snapshot being received (core/revocation/snapshot-stream.ts) into a state not yet in use. */
export interface SnapshotBuilder extends SnapshotReceiver {
  /** The next records as whole records (a stream's snapshot parts, a loaded FeedSnapshot). */
  records(batch: readonly RevocationRecord[]): void;
  /**
   * Replaces the view with what was received; returns the snapshot's cursor. `position`: where a
   * snapshot learns its cursor and chain only at its end (the stream's final part), those.
   */
  install(position?: Pick<SnapshotHead, 'cursor' | 'chain'>): FeedCursor;
}

/** Keeps a replica current: reads or receives the feed and hands it to the sink. */
export interface ReplicaDriver {
  /** Resolves once the first snapshot has been given to the sink; keeps feeding it until stop(). */
  start(sink: ReplicaSink): Promise<void>;
  stop(): Promise<void>;
  /** The states of whatever makes the driver read at once (empty for a plain poll). */
  wakeupStatus?(): WakeupStatus[];
  /**
   * This process just committed records: read the feed now rather than at the next poll, so that
   * what follows the feed in commit order (the push stream's onCommitted) gets them at once.
   */
  readNow?(): void;
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
  readonly driver: ReplicaDriver;
  readonly maxStalenessMs: number;
  /** How often entries past their expiry are dropped from memory. */
  readonly pruneIntervalMs: number;
  readonly failMode: 'closed' | 'open';
  /**
   * Fail-open is bounded: once the view is older than this (the access-token TTL — by then every
   * token it could wrongly accept has been issued after the outage began), checks fail closed anyway.
   */
  readonly failOpenMaxMs?: number;
  /** Told after every local commit that added records (see FeedAnnouncer). */
  readonly announcers?: readonly FeedAnnouncer[];
  readonly now?: () => number;
  /** Told about every check whose answer came from fail-open mode. */
  readonly onFailOpen?: () => void;
  /**
   * Extend the feed chain over the records the feed brings (default true): the service's stream
   * hub proves it. A consumer that keeps its own chain over the bytes it received (the verifier's
   * StreamConsumer) sets false rather than hash every event twice.
   */
  readonly followChain?: boolean;
}

/**
 * How many feed ids to remember for applyLocal's duplicate check. A local commit is applied
 * microseconds after it commits, so the feed can only have overtaken it by a page or two.
 */
const RECENTLY_READ_KEPT = 10_000;

export class RevocationReplica {
  private current = new RevocationState();
  private readonly options: ReplicaOptions;
  private readonly now: () => number;
  private lastSyncMs = 0;
  private lastPruneMs = 0;
  private readonly listeners = new Set<(record: RevocationRecord) => void>();
  private readonly committedListeners = new Set<(record: FeedRecord, cursor: FeedCursor) => void>();
  /** Records applied from a local commit that the feed has not returned yet (to tell listeners once). */
  private readonly appliedAhead = new Set<number>();
  /**
   * Ids of the records the feed brought most recently: a local commit whose records the feed
   * returned before applyLocal ran (another reader was quicker) is then not applied and told twice.
   */
  private readonly recentlyRead = new Set<number>();
  private cursorValue: FeedCursor | undefined;
  private chainValue: string | undefined;
  private haltedBy: Error | undefined;

  constructor(options: ReplicaOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /** The revocation state checks read (replaced whole when a snapshot is loaded). */
  get state(): RevocationState {
    return this.current;
  }

  /** Where this view stands in the feed (undefined before the first snapshot). */
  get cursor(): FeedCursor | undefined {
    return this.cursorValue;
  }

  /** The feed chain at `cursor` (feed-chain.ts): what the push stream's proofs vouch for. */
  get chain(): string | undefined {
    return this.chainValue;
  }

  /** Loads the first snapshot through the driver and keeps following the feed. */
  async start(): Promise<void> {
    await this.options.driver.start(this.sink);
  }

  async stop(): Promise<void> {
    await this.options.driver.stop();
  }

  private readonly sink: ReplicaSink = {
    loadSnapshot: (snapshot) => {
      const builder = this.sink.snapshotBuilder();
      builder.begin({ ...snapshot, tokenEntries: snapshot.records.length });
      builder.records(snapshot.records);
      builder.install();
    },
    snapshotBuilder: () => this.snapshotBuilder(),
    applyCommitted: (page) => {
      page.records.forEach((record, i) => {
        this.rememberRead(record.seq);
        // An IP block change is no revocation: only onCommitted listeners (ActiveBlocks, the stream hub) act on it.
        if (!isIpBlockChange(record)) {
          // Before the listeners are told: the stream hub reads the chain at each record it is told.
          if (this.chainValue !== undefined) this.chainValue = chainAfter(this.chainValue, record);
          if (!this.appliedAhead.delete(record.seq)) this.applyAndTell(record);
        }
        const cursor = page.cursors[i] ?? page.cursor;
        for (const listener of this.committedListeners) tellSafely(() => listener(record, cursor));
      });
      this.cursorValue = page.cursor;
    },
    markCurrent: (asOfMs) => {
      const now = this.now();
      // Never ahead of this clock (a sender's clock may run ahead), never back (an older proof).
      this.lastSyncMs = Math.max(this.lastSyncMs, Math.min(now, asOfMs ?? now));
      if (now - this.lastPruneMs >= this.options.pruneIntervalMs) {
        this.current.prune(now);
        this.lastPruneMs = now;
      }
    },
    markStale: () => {
      // Stale now, but the fail-open bound still counts from the last time it was proven current.
      this.lastSyncMs = Math.min(this.lastSyncMs, this.now() - this.options.maxStalenessMs - 1);
    },
    halt: (error) => {
      this.haltedBy ??= error;
    },
  };

  private snapshotBuilder(): SnapshotBuilder {
    let head: SnapshotHead | undefined;
    let state: RevocationState | undefined;
    const begun = (): RevocationState => {
      if (state === undefined) throw new Error('snapshot contents before its head');
      return state;
    };
    return {
      begin: (h) => {
        head = h;
        state = new RevocationState(h.tokenEntries);
        state.setGenerations(h.globalGeneration, h.userGenerations, h.clientGenerations);
      },
      records: (batch) => {
        const into = begun();
        for (const record of batch) into.apply(record);
      },
      tokens: (batch) => {
        const into = begun();
        for (const t of batch) into.applyEntry('token', t[0], null, null, t[1]);
      },
      entries: (batch) => {
        const into = begun();
        for (const e of batch) into.applyEntry(e[0], e[1], e[2], e[3], e[4]);
      },
      install: (position) => {
        if (state === undefined || head === undefined)
          throw new Error('a snapshot installed before its head');
        if (position !== undefined) head = { ...head, ...position };
        // Replaced whole, not merged: a snapshot holds every revocation committed before its cursor
        // that can still cover a live token, so nothing applied before it can be missing from it.
        this.current = state;
        this.appliedAhead.clear();
        this.cursorValue = head.cursor;
        this.chainValue = this.options.followChain === false ? undefined : head.chain;
        this.sink.markCurrent();
        return head.cursor;
      },
    };
  }

  /** Applies records this process just committed, before it answers the request. */
  applyLocal(records: readonly RevocationRecord[]): void {
    if (records.length > 0) this.committedLocally();
    for (const record of records) {
      if (this.recentlyRead.has(record.seq) || this.appliedAhead.has(record.seq)) continue;
      this.appliedAhead.add(record.seq);
      this.applyAndTell(record);
    }
  }

  /**
   * This process committed feed records (applyLocal calls it; so does a write whose records are not
   * revocations, e.g. an IP block change): tell the other processes (Redis) and read the feed now,
   * so that onCommitted listeners here get them at once rather than at the next poll.
   */
  committedLocally(): void {
    // Coalesced to one wake-up per commit: the members of one group commit
    // (stores/sql/revoke-batch.ts) are all answered in the same microtask run.
    if (this.wakeupQueued) return;
    this.wakeupQueued = true;
    queueMicrotask(() => {
      this.wakeupQueued = false;
      for (const announcer of this.options.announcers ?? []) announcer.announce();
      this.options.driver.readNow?.();
    });
  }
  private wakeupQueued = false;

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
   * as soon as it is applied, e.g. to drop the connections a revoked token holds. A local commit is
   * told when it is applied, which may be before records other processes committed earlier.
   * Returns the unsubscribe function.
   */
  onRecord(listener: (record: RevocationRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Calls `listener` for every record the feed brings (IP block changes included), strictly in
   * commit order, each with the cursor just past it (what the push stream sends as event ids). Local commits are told here
   * when the feed brings them, not before. Returns the unsubscribe function.
   */
  onCommitted(listener: (record: FeedRecord, cursor: FeedCursor) => void): () => void {
    this.committedListeners.add(listener);
    return () => this.committedListeners.delete(listener);
  }

  private applyAndTell(record: RevocationRecord): void {
    this.current.apply(record);
    for (const listener of this.listeners) tellSafely(() => listener(record));
  }

  /** The driver's wake-up states (empty when the view follows the feed by polling alone). */
  wakeupStatus(): WakeupStatus[] {
    return this.options.driver.wakeupStatus?.() ?? [];
  }

  /** Milliseconds since the view was last known to be current. */
  stalenessMs(): number {
    return this.now() - this.lastSyncMs;
  }

  isStale(): boolean {
    return this.haltedBy !== undefined || this.stalenessMs() > this.options.maxStalenessMs;
  }

  /** Why the view stopped deciding for good (halt), if it did. */
  get halted(): Error | undefined {
    return this.haltedBy;
  }

  /** False when check() would refuse to decide (stale and closed, or stale past the fail-open bound). */
  canDecide(): boolean {
    if (this.haltedBy !== undefined) return false;
    if (!this.isStale()) return true;
    const beyondOpenBound =
      this.options.failOpenMaxMs !== undefined && this.stalenessMs() > this.options.failOpenMaxMs;
    return this.options.failMode === 'open' && !beyondOpenBound;
  }

  /**
   * Decides whether the token is revoked. Throws ERR_STORE_UNAVAILABLE when the view is too stale
   * to be trusted and fail mode is closed (SPEC §3 "Fail policy").
   */
  check(stamp: TokenStamp): CheckOutcome {
    if (this.haltedBy !== undefined) {
      throw new RevokdError(
        'ERR_STORE_UNAVAILABLE',
        `revocation state cannot be decided: ${this.haltedBy.message}`,
        { retryAfterSeconds: 60 },
      );
    }
    if (this.isStale()) {
      if (!this.canDecide()) {
        throw new RevokdError(
          'ERR_STORE_UNAVAILABLE',
          'revocation state is not current; try again shortly',
          { retryAfterSeconds: 1 },
        );
      }
      this.options.onFailOpen?.();
    }
    return this.current.check(stamp);
  }
}

/** A listener's failure must not stop the feed. */
function tellSafely(call: () => void): void {
  try {
    call();
  } catch {
    // ignored on purpose
  }
}
