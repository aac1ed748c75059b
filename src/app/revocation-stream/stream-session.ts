/**
 * One push-stream connection from its first byte to its end: a snapshot or a resumption, the
 * catch-up, the join onto the live sequence, then live events and heartbeats.
 *
 * ## Why nothing is lost or sent twice (cursors are opaque: equality only)
 *
 * The stream keeps `position`: the cursor just past the last record it sent (the snapshot's cursor,
 * or the client's Last-Event-ID). Everything it sends is, in order, exactly the feed after the
 * client's cursor, from one of two sources, never both at once:
 *
 * 1. **Catching up** — the store: `readFeed(position)` pages, which by the store's contract return
 *    the records committed after `position` in commit order, none skipped. Live records the hub
 *    tells meanwhile are *not* sent; they only wake the stream to read again (they are in the store,
 *    and in the ring).
 * 2. **From the ring** — whenever `position` equals a cursor the hub's ring holds (CommitRing:
 *    the replica's last N records in commit order with the cursor past each), the records after it
 *    in the ring are, by the same contract, the feed after `position`: they are sent, paced, and
 *    `position` follows. When `position` is the ring's head — checked and switched synchronously, so
 *    no hub event can fall between the check and the switch — the stream is **joined**: from then on
 *    every record the hub tells (the next one in commit order after the head) is sent as it comes.
 *
 * Records are deduplicated by `seq` (their identity) as a second line of defence: a record sent
 * while catching up is never sent again if the hub tells it after the join.
 *
 * If `position` is never reached by the hub — a cursor of another database, or the cursor of a record
 * pruned before this replica saw it — the stream would wait for ever. So a stream that has found
 * nothing new in the store and not joined for `joinDeadlineMs` while the replica is current sends a
 * fresh snapshot (always a correct new start: wire-format.ts) and continues from its cursor.
 *
 * The stream sends heartbeats only once joined and while the view is current (heartbeat.ts). Until
 * then — catching up, or waiting to join — it sends an SSE comment whenever nothing was written for
 * a heartbeat interval: a comment says nothing about currency (a consumer's view stays as stale as
 * it is), but it keeps the consumer's idle timer from taking a slow catch-up for a dead connection
 * and reconnecting, only to start the same catch-up again.
 *
 * IP block changes in the feed (ip-block-change.ts) are not sent: `position` moves past them as
 * past a record already sent, so the event ids a consumer sees stay positions of the same feed.
 */
import type { FeedCursor, FeedPage, FeedRecord } from '../../core/revocation/feed.js';
import { isIpBlockChange } from '../../core/revocation/ip-block-change.js';
import {
  type HeartbeatTiming,
  type ViewFreshness,
  currentAsOf,
  heartbeatDue,
} from './heartbeat.js';
import type { SnapshotReader } from './shared-snapshot.js';
import { catchingUpComment, revocationFrame } from './sse-frames.js';
import type { CloseReason, SseWriter } from './sse-writer.js';
import type { HubSubscriber, StreamHub } from './stream-hub.js';

/** What the stream reads from the store. */
export interface StreamFeed {
  /** A snapshot to send, its head read (shared-snapshot.ts); its parts come as they are sent. */
  openSnapshot(nowMs: number): Promise<SnapshotReader>;
  readFeed(after: FeedCursor, limit: number): Promise<FeedPage>;
}

/** Where a stream starts: a snapshot (its head read), or a resumption (its first page read). */
export type StreamStart =
  | { readonly kind: 'snapshot'; readonly snapshot: SnapshotReader }
  | { readonly kind: 'resume'; readonly after: FeedCursor; readonly firstPage: FeedPage };

export type StreamEventKind = 'snapshot' | 'revocation' | 'heartbeat';

export interface StreamSessionOptions {
  readonly hub: StreamHub;
  readonly feed: StreamFeed;
  readonly view: ViewFreshness;
  readonly timing: HeartbeatTiming;
  /** See the module comment; the instance's REVOKD_MAX_STALENESS_MS. */
  readonly joinDeadlineMs: number;
  readonly writer: SseWriter;
  /** The consumer's address as resolved for its request: an IP block covering it ends the stream. */
  readonly peerIp?: string;
  /** Where the stream's own problems are logged (the request's logger). */
  readonly log: { warn(details: object, message: string): void; info(message: string): void };
  readonly now?: () => number;
  /** Told for every event written (metrics). */
  readonly onEvent?: (kind: StreamEventKind) => void;
}

/** Records per store read while catching up (and per batch from the ring). */
export const CATCH_UP_PAGE = 2_000;
/** How many sent seqs are remembered for deduplication. */
const SENT_SEQS_KEPT = 4_096;

export class StreamSession implements HubSubscriber {
  readonly peerIp: string | undefined;
  private readonly options: StreamSessionOptions;
  private readonly writer: SseWriter;
  private readonly now: () => number;
  private position: FeedCursor | undefined;
  private joined = false;
  private lastHeartbeatMs = Number.NEGATIVE_INFINITY;
  private readonly sentSeqs = new Set<number>();
  /** Resolves the catch-up loop's wait (a hub event or a tick). */
  private wake: (() => void) | undefined;
  private woken = false;
  /** Since when the catch-up has found nothing new in the store without joining. */
  private idleSince: number | undefined;
  private readonly unsubscribe: () => void;

  constructor(options: StreamSessionOptions) {
    this.options = options;
    this.peerIp = options.peerIp;
    this.writer = options.writer;
    this.now = options.now ?? Date.now;
    this.unsubscribe = options.hub.subscribe(this);
    this.writer.onClose(() => {
      this.unsubscribe();
      this.wakeUp();
    });
  }

  /** Sends the start, catches up and joins; resolves once joined or closed (never throws). */
  async run(start: StreamStart): Promise<void> {
    try {
      if (start.kind === 'snapshot') await this.sendSnapshot(start.snapshot);
      else {
        this.position = start.after;
        await this.sendPage(start.firstPage);
      }
      await this.catchUp(
        start.kind === 'resume' && start.firstPage.records.length === CATCH_UP_PAGE,
      );
    } catch (err) {
      // A store that fails mid-stream: end it; the consumer resumes from its last id elsewhere or later.
      this.options.log.warn({ err }, 'revocation stream ended: the store could not be read');
      this.writer.close('error');
    }
  }

  /** HubSubscriber: a record the replica applied, in commit order. */
  committed(record: FeedRecord, cursor: FeedCursor): void {
    if (!this.joined) {
      this.wakeUp();
      return;
    }
    this.position = cursor;
    if (isIpBlockChange(record) || this.sentSeqs.has(record.seq)) return;
    this.remember(record.seq);
    if (this.writer.send(revocationFrame(record, cursor))) this.options.onEvent?.('revocation');
  }

  /** HubSubscriber: heartbeats, stall checks, and a periodic re-read while catching up. */
  tick(nowMs: number): void {
    this.writer.checkStall();
    if (!this.writer.isOpen) return;
    if (!this.joined) {
      if (
        heartbeatDue(this.writer.lastWriteMs, nowMs, this.options.timing.heartbeatMs) &&
        !this.writer.waitingForDrain
      ) {
        this.writer.send(catchingUpComment());
      }
      this.wakeUp();
      return;
    }
    // Due by the last heartbeat, not the last write: events prove nothing, so a busy stream needs
    // its proofs as much as a quiet one.
    if (heartbeatDue(this.lastHeartbeatMs, nowMs, this.options.timing.heartbeatMs))
      this.heartbeat(nowMs);
  }

  /** Sends a heartbeat if this instance's view is current enough to vouch for (heartbeat.ts). */
  private heartbeat(nowMs: number): void {
    const at = currentAsOf(this.options.view, this.options.timing, nowMs);
    if (at === undefined) return;
    const frame = this.options.hub.heartbeat(at);
    if (frame === undefined) return;
    this.lastHeartbeatMs = nowMs;
    if (this.writer.send(frame)) this.options.onEvent?.('heartbeat');
  }

  /** HubSubscriber: the consumer's address was just blocked. */
  blocked(): void {
    this.options.log.info('revocation stream ended: its address was blocked');
    this.writer.close('ip_blocked');
  }

  /** HubSubscriber: shutdown. */
  close(): void {
    this.writer.close('shutdown');
  }

  /** Ends the stream now (e.g. its credentials were revoked). */
  end(reason: CloseReason): void {
    this.writer.close(reason);
  }

  private wakeUp(): void {
    this.woken = true;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private waitForWake(): Promise<void> {
    if (this.woken || !this.writer.isOpen) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  private remember(seq: number): void {
    this.sentSeqs.add(seq);
    if (this.sentSeqs.size > SENT_SEQS_KEPT) {
      // Sets iterate in insertion order: drop the oldest.
      for (const old of this.sentSeqs) {
        this.sentSeqs.delete(old);
        break;
      }
    }
  }

  /** Sends a snapshot part by part, each once the socket has taken the one before. */
  private async sendSnapshot(snapshot: SnapshotReader): Promise<void> {
    try {
      for (let frame = await snapshot.next(); frame !== undefined; frame = await snapshot.next()) {
        if (!(await this.writer.sendPaced(frame))) return;
        this.options.onEvent?.('snapshot');
      }
    } finally {
      snapshot.leave();
    }
    this.position = snapshot.head.cursor;
    // The snapshot holds every record before its cursor: none of them is a duplicate to watch for.
    this.sentSeqs.clear();
  }

  /** Sends a store page, paced; `position` follows each record. */
  private async sendPage(page: FeedPage): Promise<void> {
    for (let i = 0; i < page.records.length; i++) {
      const record = page.records[i] as FeedRecord;
      if (!(await this.sendRecordPaced(record, page.cursors[i] ?? page.cursor))) return;
    }
    if (this.writer.isOpen) this.position = page.cursor;
  }

  private async sendRecordPaced(record: FeedRecord, cursor: FeedCursor): Promise<boolean> {
    if (isIpBlockChange(record) || this.sentSeqs.has(record.seq)) {
      this.position = cursor;
      return true;
    }
    if (!(await this.writer.sendPaced(revocationFrame(record, cursor)))) return false;
    this.remember(record.seq);
    this.position = cursor;
    this.options.onEvent?.('revocation');
    return true;
  }

  /**
   * Serves from the ring while `position` is in it; joins (true) once `position` is its head.
   * False: `position` is not in the ring (or the stream closed).
   */
  private async fromRing(): Promise<boolean> {
    const ring = this.options.hub.ring;
    for (;;) {
      if (!this.writer.isOpen || this.position === undefined) return false;
      const index = ring.positionOf(this.position);
      if (index === undefined) return false;
      const pending = ring.after(index);
      if (pending.length === 0) {
        // Synchronous with the check above: the next record the hub tells follows `position`.
        this.joined = true;
        // At once: a consumer that just caught up is proven current now, not a heartbeat later.
        this.heartbeat(this.now());
        return true;
      }
      for (const entry of pending.slice(0, CATCH_UP_PAGE)) {
        if (!(await this.sendRecordPaced(entry.record, entry.cursor))) return false;
      }
    }
  }

  private async catchUp(moreInStore: boolean): Promise<void> {
    let more = moreInStore;
    for (;;) {
      if (!this.writer.isOpen) return;
      if (await this.fromRing()) return;
      if (!this.writer.isOpen || this.position === undefined) return;
      if (!more) {
        if (this.pastJoinDeadline()) {
          this.options.log.info(
            'revocation stream: the resume position is not on this feed; sending a fresh snapshot',
          );
          await this.sendSnapshot(await this.options.feed.openSnapshot(this.now()));
          this.idleSince = undefined;
          continue;
        }
        await this.waitForWake();
        if (!this.writer.isOpen) return;
        if (await this.fromRing()) return;
      }
      this.woken = false;
      const page = await this.options.feed.readFeed(this.position, CATCH_UP_PAGE);
      if (page.records.length === 0) this.idleSince ??= this.now();
      else this.idleSince = undefined;
      await this.sendPage(page);
      more = page.records.length === CATCH_UP_PAGE;
    }
  }

  private pastJoinDeadline(): boolean {
    if (this.idleSince === undefined) return false;
    return (
      this.now() - this.idleSince > this.options.joinDeadlineMs && !this.options.view.isStale()
    );
  }
}
