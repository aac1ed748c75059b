/**
 * One snapshot for every stream that asks while it is young. After a restart or a network blip,
 * every consumer reconnects at once; with 10 M live entries, a store read and an encoding per
 * connection would multiply both. A snapshot that started before a stream asked is still a
 * correct start for it: it is commit-consistent with its cursor, and the stream catches up from
 * that cursor like any other (stream-session.ts). Its proof is signed once, for all of them.
 *
 * The streams sharing it are served from one producer (snapshot-producer.ts): each part is read
 * and encoded once, held while a sharing stream has yet to send it, and dropped once all have.
 * Streams go at their consumers' paces, so what is held is bounded: when it passes
 * SHARED_WINDOW_BYTES, the streams furthest behind leave the shared producer and go on with their
 * own, from the part they sent last — they pay their own store reads, the others never wait for
 * them, and the server never holds a whole snapshot for a slow consumer.
 */
import type { PagedSnapshotHead } from '../../core/revocation/snapshot-stream.js';
import type { EncodedPart } from './snapshot-parts.js';
import {
  type SnapshotPageSource,
  type SnapshotPartOptions,
  SnapshotProducer,
} from './snapshot-producer.js';

/** Bytes of encoded parts held for the streams sharing one snapshot. */
export const SHARED_WINDOW_BYTES = 4 * 1024 * 1024;
/**
 * For this long after its head was read, a snapshot keeps its parts from part 0 on (within the
 * window) so that streams opening meanwhile can join it; after that it is not joined (a newer one
 * is read: its proof's `at` would lag) and parts every stream has sent are dropped.
 */
export const JOIN_WITHIN_MS = 1_000;

/** What the shared snapshots read (RevocationLogPort fits). */
export interface PagedSnapshotSource extends SnapshotPageSource {
  readSnapshotHead(nowMs: number): Promise<PagedSnapshotHead>;
}

/** One stream's way through a snapshot: its frames in order, then undefined. */
export interface SnapshotReader {
  readonly head: PagedSnapshotHead;
  /** The next frame (parts, then the final part), or undefined once the final part was given. */
  next(): Promise<string | undefined>;
  /** The stream is done with it (sent it all, or closed): must be called, once. */
  leave(): void;
}

class SharedSnapshot {
  readonly head: PagedSnapshotHead;
  private readonly source: SnapshotPageSource;
  private readonly options: SnapshotPartOptions;
  private readonly producer: SnapshotProducer;
  /** Parts `base`, `base + 1`, … not yet sent by every sharing stream. */
  private held: EncodedPart[] = [];
  private base = 0;
  private heldBytes = 0;
  private complete = false;
  private closed = false;
  private producing: Promise<void> | undefined;
  private readonly readers = new Set<SharedReader>();

  private readonly now: () => number;

  constructor(
    source: SnapshotPageSource,
    head: PagedSnapshotHead,
    options: SnapshotPartOptions,
    now: () => number,
  ) {
    this.source = source;
    this.now = now;
    this.head = head;
    this.options = options;
    this.producer = new SnapshotProducer(source, head, options);
  }

  /** A new stream can still share it: part 0 is held, and it is recent. */
  joinableAt(nowMs: number): boolean {
    return !this.closed && this.base === 0 && nowMs - this.head.asOfMs <= JOIN_WITHIN_MS;
  }

  join(): SnapshotReader {
    const reader = new SharedReader(this);
    this.readers.add(reader);
    return reader;
  }

  /** The part numbered `part` once it is made; undefined when there is none (all were made). */
  async part(part: number): Promise<EncodedPart | undefined> {
    for (;;) {
      const held = this.held[part - this.base];
      if (held !== undefined) return held;
      if (part < this.base)
        throw new Error('a shared snapshot part was dropped before it was sent');
      if (this.complete) return undefined;
      await this.produce();
    }
  }

  finalFrame(): string {
    return this.producer.finalFrame();
  }

  /** A reader moved on: parts every reader has been given are dropped. */
  passed(): void {
    this.trim();
  }

  leave(reader: SharedReader): void {
    this.readers.delete(reader);
    if (this.readers.size === 0) {
      // Nobody will ask for more: nothing is kept, and nobody joins a half-dropped snapshot.
      this.closed = true;
      this.held = [];
      this.heldBytes = 0;
    } else this.trim();
  }

  /** A producer of its own for a stream leaving the shared one after `last` (or before part 0). */
  ownProducer(last: EncodedPart | undefined): SnapshotProducer {
    return new SnapshotProducer(this.source, this.head, this.options, last);
  }

  private produce(): Promise<void> {
    this.producing ??= this.producer
      .next()
      .then(
        (part) => {
          if (part === undefined) {
            this.complete = true;
            return;
          }
          this.held.push(part);
          this.heldBytes += part.frame.length;
          this.detachStragglers();
        },
        (err: unknown) => {
          // A store read failed: every stream waiting here ends (they resume later); none joins.
          this.closed = true;
          throw err;
        },
      )
      .finally(() => {
        this.producing = undefined;
      });
    return this.producing;
  }

  /** Whether parts are still kept from part 0 on for streams that may yet join. */
  private keptForJoiners(): boolean {
    return (
      !this.closed &&
      this.base === 0 &&
      this.heldBytes <= SHARED_WINDOW_BYTES &&
      this.now() - this.head.asOfMs <= JOIN_WITHIN_MS
    );
  }

  private trim(): void {
    if (this.keptForJoiners()) return;
    let lowest = this.base + this.held.length;
    for (const reader of this.readers) lowest = Math.min(lowest, reader.nextPart);
    while (this.base < lowest) {
      this.heldBytes -= this.held.shift()!.frame.length;
      this.base++;
    }
  }

  /** Over the window: the streams at its start go on alone; what only they needed is dropped. */
  private detachStragglers(): void {
    this.trim();
    while (this.heldBytes > SHARED_WINDOW_BYTES) {
      const stragglers = [...this.readers].filter((r) => r.nextPart === this.base);
      // Every reader is past the start of the window: it only holds what they still need.
      if (stragglers.length === 0 || stragglers.length === this.readers.size) return;
      for (const reader of stragglers) {
        this.readers.delete(reader);
        reader.goAlone();
      }
      this.trim();
    }
  }
}

class SharedReader implements SnapshotReader {
  readonly head: PagedSnapshotHead;
  private readonly shared: SharedSnapshot;
  /** The part this stream sends next. */
  nextPart = 0;
  private last: EncodedPart | undefined;
  private own: SnapshotProducer | undefined;
  private finalGiven = false;
  private left = false;

  constructor(shared: SharedSnapshot) {
    this.shared = shared;
    this.head = shared.head;
  }

  /** Continues with a producer of its own, after the last part it was given. */
  goAlone(): void {
    this.own = this.shared.ownProducer(this.last);
  }

  async next(): Promise<string | undefined> {
    if (this.finalGiven) return undefined;
    const part = await this.nextPartFrom();
    if (part !== undefined) {
      this.last = part;
      this.nextPart = part.parts;
      if (this.own === undefined) this.shared.passed();
      return part.frame;
    }
    this.finalGiven = true;
    return (this.own ?? this.shared).finalFrame();
  }

  leave(): void {
    if (this.left) return;
    this.left = true;
    if (this.own === undefined) this.shared.leave(this);
  }

  private async nextPartFrom(): Promise<EncodedPart | undefined> {
    for (;;) {
      if (this.own !== undefined) return this.own.next();
      const part = await this.shared.part(this.nextPart);
      // Detached while waiting: the shared producer may have dropped what this stream needs next.
      if (this.own === undefined) return part;
    }
  }
}

/**
 * The stream's snapshots: joins a recent shared one, or reads a new head (one read for every
 * stream asking meanwhile). The head is read before the stream's response starts, so a store that
 * is down is answered with a 503.
 */
export function sharedSnapshots(
  source: PagedSnapshotSource,
  options: SnapshotPartOptions,
  now: () => number = Date.now,
): (nowMs: number) => Promise<SnapshotReader> {
  let current: SharedSnapshot | undefined;
  let reading: Promise<SharedSnapshot> | undefined;
  const open = async (nowMs: number): Promise<SnapshotReader> => {
    if (current?.joinableAt(nowMs)) return current.join();
    reading ??= source
      .readSnapshotHead(nowMs)
      .then((head) => (current = new SharedSnapshot(source, head, options, now)))
      .finally(() => {
        reading = undefined;
      });
    const snapshot = await reading;
    // Every stream that waited for this head joins before any part is made (no I/O between).
    return snapshot.joinableAt(snapshot.head.asOfMs) ? snapshot.join() : open(nowMs);
  };
  return open;
}
