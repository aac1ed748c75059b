/**
 * The parts of one paged snapshot (core/revocation/snapshot-stream.ts), read from the store a page
 * at a time as they are asked for: a stream that waits for its socket asks for nothing, so nothing
 * more is read or encoded for it. The head was read before (commit-consistent: counters, cursor,
 * chain); each page is its own short read (RevocationLogPort.readSnapshotPage says why that is the
 * same snapshot). A producer can also start after a part another one made (`from`), continuing
 * its numbering and digest: how a stream that fell behind a shared snapshot goes on alone.
 */
import type { FeedCursor } from '../../core/revocation/feed.js';
import type { PagedSnapshotHead, WireSnapshotPage } from '../../core/revocation/snapshot-stream.js';
import {
  type EncodedPart,
  type SnapshotFrameOptions,
  SnapshotPartEncoder,
} from './snapshot-parts.js';

/** What a producer reads (RevocationLogPort fits). */
export interface SnapshotPageSource {
  readSnapshotPage(head: PagedSnapshotHead, after: FeedCursor): Promise<WireSnapshotPage>;
}

export type SnapshotPartOptions = Omit<SnapshotFrameOptions, 'atMs'>;

export class SnapshotProducer {
  readonly head: PagedSnapshotHead;
  private readonly source: SnapshotPageSource;
  private readonly options: SnapshotPartOptions;
  private readonly encoder: SnapshotPartEncoder;
  /** Parts cut from the last page, not yet asked for (a page's worth at most). */
  private readonly ready: EncodedPart[] = [];
  private after: FeedCursor;
  private read = false;
  private ended = false;
  private final: string | undefined;

  constructor(
    source: SnapshotPageSource,
    head: PagedSnapshotHead,
    options: SnapshotPartOptions,
    from?: EncodedPart,
  ) {
    this.source = source;
    this.head = head;
    this.options = options;
    this.after = from?.after ?? head.start;
    this.encoder = new SnapshotPartEncoder(head, options, from ?? { after: head.start });
  }

  /** The next part, or undefined once every part is out (then `finalFrame`). */
  async next(): Promise<EncodedPart | undefined> {
    for (;;) {
      const part = this.ready.shift();
      if (part !== undefined) return part;
      if (this.ended) return undefined;
      if (this.read) {
        this.ended = true;
        return this.encoder.end();
      }
      const page = await this.source.readSnapshotPage(this.head, this.after);
      for (let i = 0; i < page.revocations.length; i++) {
        const full = this.encoder.addWire(page.revocations[i]!, page.cursors[i]!);
        if (full !== undefined) this.ready.push(full);
      }
      this.after = page.cursor;
      this.read = page.done;
    }
  }

  /** The final part (its proof signed once, however many streams send it). */
  finalFrame(): string {
    this.final ??= this.encoder.finalFrame({ atMs: this.head.asOfMs, sign: this.options.sign });
    return this.final;
  }
}
