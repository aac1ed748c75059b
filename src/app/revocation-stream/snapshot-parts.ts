/**
 * A snapshot as the stream sends it (docs/stream-protocol.md, "Snapshots"): parts of at most
 * SNAPSHOT_PART_BYTES of JSON and SNAPSHOT_PART_SIZE revocations — the generation counters, the
 * protocol version and the service's announced limits in part 0 — then a final part that carries
 * no revocations but the snapshot's cursor (as its `id:`), the feed chain there, and a proof signed
 * over the digest of the parts before it.
 *
 * Records go in one at a time (SnapshotPartEncoder), parts come out as they fill, and the digest
 * is taken as they go: neither the records of a 10 M-entry snapshot nor its frames ever exist at
 * once. A part is sized in bytes because that is what a consumer buffers and a socket carries;
 * the count cap is the protocol's promise to consumers (at most 2 000 a part).
 */
import { type Hash, createHash } from 'node:crypto';
import type { FeedCursor, FeedSnapshot } from '../../core/revocation/feed.js';
import { STREAM_PROTOCOL_VERSION } from '../../core/revocation/stream-protocol.js';
import type { SnapshotDigest } from '../../core/revocation/stream-proof.js';
import type { RevocationRecord } from '../../core/revocation/types.js';
import {
  type WireServiceLimits,
  type WireSnapshotPart,
  toWire,
} from '../../core/revocation/wire-format.js';
import { frameOf } from './sse-frames.js';
import type { ProofSigner } from './stream-hub.js';

export const SNAPSHOT_PART_SIZE = 2_000;
/** JSON bytes of a part's data (one revocation larger than this still makes a part of its own). */
export const SNAPSHOT_PART_BYTES = 64 * 1024;

/** What a snapshot's final part states (everything of a snapshot but its records). */
export type SnapshotHeadFields = Omit<FeedSnapshot, 'records'>;

export interface SnapshotFrameOptions {
  /** Announced in part 0. */
  readonly limits?: WireServiceLimits;
  /** Announced in part 0 as `token_entries` (a sizing hint): read when part 0 is made. */
  readonly tokenEntries?: () => number;
  /** When the snapshot's view was current (the store read's start): the proof's `at`. */
  readonly atMs: number;
  readonly sign: ProofSigner;
  /** Revocations a part holds at most. */
  readonly partSize?: number;
  /** JSON bytes a part's data holds at most. */
  readonly partBytes?: number;
}

/** A part's frame, and where an encoder picks up after it (SnapshotPartEncoder.resume). */
export interface EncodedPart {
  readonly frame: string;
  /** The position just past the part's last revocation (the start's, for a part without any). */
  readonly after: FeedCursor;
  /** Parts out so far, this one included. */
  readonly parts: number;
  /** The digest over every part out so far, this one included (a copy: never updated again). */
  readonly digest: Hash;
}

/**
 * Turns records into parts, in order. `add` returns the part that the record did not fit in (if
 * any); `end` returns the last part (part 0 is made even for an empty snapshot).
 */
export class SnapshotPartEncoder {
  private readonly head: SnapshotHeadFields;
  private readonly limits: WireServiceLimits | undefined;
  private readonly tokenEntries: (() => number) | undefined;
  private readonly maxRecords: number;
  private readonly maxBytes: number;
  private readonly digest: Hash;
  private parts: number;
  private pending: string[] = [];
  private pendingBytes = 0;
  private prefix: string;
  private prefixBytes: number;
  /** The position past the last record in `pending` (or before it, while it is empty). */
  private lastAfter: FeedCursor;

  constructor(
    head: SnapshotHeadFields,
    options: Omit<SnapshotFrameOptions, 'atMs' | 'sign'>,
    from: { after: FeedCursor; parts?: number; digest?: Hash },
  ) {
    this.head = head;
    this.limits = options.limits;
    this.tokenEntries = options.tokenEntries;
    this.maxRecords = options.partSize ?? SNAPSHOT_PART_SIZE;
    this.maxBytes = options.partBytes ?? SNAPSHOT_PART_BYTES;
    this.parts = from.parts ?? 0;
    this.digest = from.digest?.copy() ?? createHash('sha256');
    this.lastAfter = from.after;
    this.prefix = this.prefixOf(this.parts);
    this.prefixBytes = Buffer.byteLength(this.prefix);
  }

  /** Parts out so far. */
  get partsOut(): number {
    return this.parts;
  }

  add(record: RevocationRecord, after: FeedCursor): EncodedPart | undefined {
    return this.addWire(JSON.stringify(toWire(record)), after);
  }

  /** `add` for a revocation already in its wire JSON text (a store's snapshot page). */
  addWire(text: string, after: FeedCursor): EncodedPart | undefined {
    const bytes = Buffer.byteLength(text);
    let full: EncodedPart | undefined;
    const fits =
      this.pending.length < this.maxRecords &&
      this.prefixBytes + this.pendingBytes + this.pending.length + bytes + 2 <= this.maxBytes;
    if (this.pending.length > 0 && !fits) full = this.cut();
    this.pending.push(text);
    this.pendingBytes += bytes;
    this.lastAfter = after;
    return full;
  }

  /** The last part with revocations (or an empty part 0); undefined if nothing is left to send. */
  end(): EncodedPart | undefined {
    return this.pending.length > 0 || this.parts === 0 ? this.cut() : undefined;
  }

  /** The final part, its proof signed over every part cut (call after `end`). */
  finalFrame(options: Pick<SnapshotFrameOptions, 'atMs' | 'sign'>): string {
    const covered: SnapshotDigest = { parts: this.parts, digest: this.digest.copy().digest('hex') };
    const proof = options.sign({
      head: this.head.cursor,
      chain: this.head.chain,
      at: options.atMs,
      snapshot: covered,
    });
    const final: WireSnapshotPart = {
      part: this.parts,
      final: true,
      chain: this.head.chain,
      ...(proof === undefined ? {} : { proof }),
      revocations: [],
    };
    return frameOf('snapshot', JSON.stringify(final), this.head.cursor);
  }

  private cut(): EncodedPart {
    // JSON.stringify writes no whitespace, so this is byte for byte the part object stringified.
    const text = `${this.prefix}${this.pending.join(',')}]}`;
    // Each part's data text, then a line feed: what a consumer hashes as the parts arrive.
    this.digest.update(text, 'utf8').update('\n');
    this.parts++;
    this.pending = [];
    this.pendingBytes = 0;
    this.prefix = this.prefixOf(this.parts);
    this.prefixBytes = Buffer.byteLength(this.prefix);
    return {
      frame: frameOf('snapshot', text),
      after: this.lastAfter,
      parts: this.parts,
      digest: this.digest.copy(),
    };
  }

  /** A part's JSON up to its revocations' first element: `{"part":n,…,"revocations":[`. */
  private prefixOf(part: number): string {
    const first = part === 0;
    const fields: Omit<WireSnapshotPart, 'revocations'> = {
      part,
      final: false,
      ...(first
        ? {
            protocol: STREAM_PROTOCOL_VERSION,
            generations: {
              global: this.head.globalGeneration,
              users: this.head.userGenerations,
              clients: this.head.clientGenerations,
            },
          }
        : {}),
      ...(first && this.limits !== undefined
        ? {
            clock_tolerance_seconds: this.limits.clockToleranceSeconds,
            access_ttl_seconds: this.limits.accessTtlSeconds,
          }
        : {}),
      ...(first && this.tokenEntries !== undefined ? { token_entries: this.tokenEntries() } : {}),
    };
    return `${JSON.stringify(fields).slice(0, -1)},"revocations":[`;
  }
}

/** A loaded snapshot's frames, in order: its parts, then the final one (tests, conformance). */
export function* snapshotFrames(
  snapshot: FeedSnapshot,
  options: SnapshotFrameOptions,
): Generator<string> {
  const encoder = new SnapshotPartEncoder(snapshot, options, { after: snapshot.cursor });
  for (const record of snapshot.records) {
    const full = encoder.add(record, snapshot.cursor);
    if (full !== undefined) yield full.frame;
  }
  const last = encoder.end();
  if (last !== undefined) yield last.frame;
  yield encoder.finalFrame(options);
}
