/**
 * The last N records this process's replica applied from the feed, in commit order, each with the
 * cursor just past it, and a lookup from cursor to position. A stream that resumes from a cursor
 * this ring holds is served from memory; one whose cursor has left it (or never was in it) reads
 * the store first (catch-up.ts).
 *
 * Positions are absolute indexes: the record at index i has cursor `cursors[i]`; the cursor the
 * ring starts from (the replica's position before the oldest record kept) is at index first − 1.
 * Cursors are compared for equality only (they are opaque, FeedCursor).
 */
import type { FeedCursor, FeedRecord } from '../../core/revocation/feed.js';

export interface CommittedEntry {
  readonly record: FeedRecord;
  readonly cursor: FeedCursor;
}

export class CommitRing {
  private readonly capacity: number;
  private readonly entries: Array<CommittedEntry | undefined>;
  /** Absolute index of the oldest record kept (== next when empty). */
  private first = 0;
  /** Absolute index the next record will get. */
  private next = 0;
  private readonly indexOfCursor = new Map<FeedCursor, number>();
  /** The cursor just before `first` (undefined until the replica has a position). */
  private baseCursor: FeedCursor | undefined;

  constructor(capacity: number, startCursor: FeedCursor | undefined) {
    if (!Number.isSafeInteger(capacity) || capacity < 1)
      throw new RangeError('ring capacity must be a whole number ≥ 1');
    this.capacity = capacity;
    this.entries = new Array<CommittedEntry | undefined>(capacity);
    this.baseCursor = startCursor;
    if (startCursor !== undefined) this.indexOfCursor.set(startCursor, -1);
  }

  /** Index of the newest record (first − 1 when none is kept). */
  get head(): number {
    return this.next - 1;
  }

  /** Appends the next record in commit order, dropping the oldest beyond capacity. */
  push(entry: CommittedEntry): void {
    if (this.next - this.first === this.capacity) {
      const oldest = this.entries[this.first % this.capacity] as CommittedEntry;
      if (
        this.baseCursor !== undefined &&
        this.indexOfCursor.get(this.baseCursor) === this.first - 1
      )
        this.indexOfCursor.delete(this.baseCursor);
      this.baseCursor = oldest.cursor;
      this.first += 1;
    }
    this.entries[this.next % this.capacity] = entry;
    this.indexOfCursor.set(entry.cursor, this.next);
    this.next += 1;
  }

  /**
   * The index whose cursor this is (first − 1 for the cursor the ring starts from), or undefined
   * when the ring does not hold it: too old, not reached yet, or not a position of this feed.
   */
  positionOf(cursor: FeedCursor): number | undefined {
    const index = this.indexOfCursor.get(cursor);
    return index !== undefined && index >= this.first - 1 ? index : undefined;
  }

  /** The records after `index` (a value positionOf returned), oldest first. */
  after(index: number): CommittedEntry[] {
    const out: CommittedEntry[] = [];
    for (let i = Math.max(index + 1, this.first); i < this.next; i++)
      out.push(this.entries[i % this.capacity] as CommittedEntry);
    return out;
  }
}
