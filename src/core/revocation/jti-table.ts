/**
 * The revoked-jti set of the revocation state: jti → expiry, sized for 10 M entries in a replica
 * that answers on every request. A `Map<string, number>` costs ~90 bytes an entry (a string
 * header and its 22 characters, a hash-table slot, a boxed number); this table costs 20 bytes a
 * slot (jti-shard.ts) and one or two cache lines a lookup.
 *
 * Growth never stops the event loop for long (issue 21): the table is extendible hashing over
 * shards. A directory of 2^depth shard references is indexed by the top `depth` bits of the jti's
 * word 0; a shard holds at most about MAX_SHARD_SLOTS slots. A full shard grows by 1.25× (a rehash
 * of that shard alone) or, past that size, splits in two by its next bit of word 0 (the directory
 * doubles when needed: an array of references, not entries). So one set() moves at most one
 * shard's entries — ~26 000, under a millisecond on a quiet core — where a single table of 10 M
 * entries rehashed all of them at once (about a second). An incremental rehash (old and new
 * arrays, a few slots migrated per call) was the other way: it keeps both arrays alive for the
 * whole migration (2.25× the table's bytes for a long time) and makes every lookup during it
 * probe twice; shards cost a lookup one array read more than a single table, and a growth's
 * extra memory is one shard's copy.
 *
 * Expiries round UP to the second, so an entry is never dropped before its millisecond expiry.
 * A jti that is not a canonical 22-character base64url string, or whose first word is 0, is kept
 * exactly as given in a small fallback Map: nothing is dropped, and two jtis are the same entry
 * only if they are the same string.
 */
import { JtiShard, NEVER_SEC } from './jti-shard.js';
import { decodeJti128 } from './jti-words.js';

const MAX_LOAD = 0.8;
const GROWTH = 1.25;
const MIN_CAPACITY = 256;
/** A shard larger than this splits instead of growing: what bounds one growth's pause. */
export const MAX_SHARD_SLOTS = 32_768;
/** Beyond this the directory (8 bytes a reference) would outgrow the shards: shards just grow. */
const MAX_DEPTH = 20;

/** Scratch for decoding: the table is single-threaded JavaScript, so one buffer serves every call. */
const words = new Int32Array(4);

/** The top `depth` bits of `w0` (0 for depth 0: `>>> 1` leaves the top bit 0). */
function prefixOf(w0: number, depth: number): number {
  return (w0 >>> 1) >>> (31 - depth);
}

export class JtiTable {
  private depth: number;
  private directory: JtiShard[];
  /** Jtis the table cannot hold by their bits, by string; expiry in ms exactly as given. */
  private readonly fallback = new Map<string, number>();
  private largestMove = 0;
  private growthCount = 0;

  /**
   * `expectedEntries`: how many entries are about to be set (a snapshot's jti count). The shards
   * are allocated once with room for them and a growth step more, so loading a snapshot never
   * rehashes and the first revocations after it do not either.
   */
  constructor(expectedEntries = 0) {
    const slots = Math.max(MIN_CAPACITY, Math.ceil((expectedEntries * GROWTH) / MAX_LOAD));
    let depth = 0;
    while (depth < MAX_DEPTH && slots / 2 ** depth > MAX_SHARD_SLOTS) depth++;
    this.depth = depth;
    const perShard = Math.max(MIN_CAPACITY, Math.ceil(slots / 2 ** depth));
    this.directory = Array.from({ length: 2 ** depth }, () => new JtiShard(perShard, depth));
  }

  /** Entries held, in the table and in the fallback. */
  get size(): number {
    return this.compactSize + this.fallback.size;
  }

  /** Entries held by their bits (the rest are in the fallback Map). */
  get compactSize(): number {
    let used = 0;
    this.eachShard((shard) => (used += shard.used));
    return used;
  }

  /** Bytes of the typed arrays (the fallback Map is not counted: it holds the rare odd jti). */
  get tableBytes(): number {
    let bytes = 0;
    this.eachShard((shard) => (bytes += shard.keys.byteLength + shard.expiries.byteLength));
    return bytes;
  }

  /** The most entries one set() has moved (a shard's growth or split): what bounds its pause. */
  get largestGrowth(): number {
    return this.largestMove;
  }

  /** How many shard growths and splits there have been. */
  get growths(): number {
    return this.growthCount;
  }

  /** Adds or replaces an entry (like `Map.set`: the last expiry given wins). */
  set(jti: string, expiresAtMs: number): void {
    if (!decodeJti128(jti, words) || words[0] === 0) {
      this.fallback.set(jti, expiresAtMs);
      return;
    }
    const w0 = words[0]!,
      w1 = words[1]!,
      w2 = words[2]!,
      w3 = words[3]!;
    let shard = this.directory[prefixOf(w0, this.depth)]!;
    const existing = shard.find(w0, w1, w2, w3);
    const expiry = toSeconds(expiresAtMs);
    if (existing >= 0) {
      shard.expiries[existing] = expiry;
      return;
    }
    if (shard.used + 1 > shard.capacity * MAX_LOAD) {
      this.grow(shard, w0);
      shard = this.directory[prefixOf(w0, this.depth)]!;
    }
    shard.place(w0, w1, w2, w3, expiry);
  }

  has(jti: string): boolean {
    if (!decodeJti128(jti, words) || words[0] === 0) return this.fallback.has(jti);
    const w0 = words[0]!;
    return this.directory[prefixOf(w0, this.depth)]!.find(w0, words[1]!, words[2]!, words[3]!) >= 0;
  }

  /** The expiry kept for `jti` (ms; rounded up to the second unless it is in the fallback). */
  expiryMs(jti: string): number | undefined {
    if (!decodeJti128(jti, words) || words[0] === 0) return this.fallback.get(jti);
    const shard = this.directory[prefixOf(words[0]!, this.depth)]!;
    const slot = shard.find(words[0]!, words[1]!, words[2]!, words[3]!);
    return slot < 0 ? undefined : fromSeconds(shard.expiries[slot]!);
  }

  /** Drops entries whose expiry is before `nowMs`. Returns how many were dropped. */
  prune(nowMs: number): number {
    let dropped = 0;
    for (const [jti, expiresAt] of this.fallback) {
      if (expiresAt < nowMs) {
        this.fallback.delete(jti);
        dropped++;
      }
    }
    this.eachShard((shard) => (dropped += shard.prune(nowMs)));
    return dropped;
  }

  /** Each shard once (a shard of local depth l fills 2^(depth − l) consecutive directory slots). */
  private eachShard(visit: (shard: JtiShard) => void): void {
    for (let i = 0; i < this.directory.length;) {
      const shard = this.directory[i]!;
      visit(shard);
      i += 2 ** (this.depth - shard.depth);
    }
  }

  /** Makes room in the full `shard` (holding `w0`'s prefix): a bigger copy, or two halves. */
  private grow(shard: JtiShard, w0: number): void {
    const bigger = Math.ceil(shard.capacity * GROWTH);
    if (bigger <= MAX_SHARD_SLOTS || shard.depth >= MAX_DEPTH) {
      const grown = new JtiShard(bigger, shard.depth);
      shard.forEach((a, b, c, d, expiry) => grown.place(a, b, c, d, expiry));
      this.replace(shard, w0, [grown]);
    } else {
      this.split(shard, w0);
    }
    this.largestMove = Math.max(this.largestMove, shard.used);
    this.growthCount++;
  }

  /** Splits `shard` by the next bit of word 0 into two shards sized for what each receives. */
  private split(shard: JtiShard, w0: number): void {
    if (shard.depth === this.depth) {
      // Each reference twice: the same shards, addressed by one more bit.
      this.directory = this.directory.flatMap((s) => [s, s]);
      this.depth++;
    }
    const bit = 31 - shard.depth;
    let ones = 0;
    shard.forEach((a) => (ones += (a >>> bit) & 1));
    const sized = (entries: number): JtiShard =>
      new JtiShard(
        Math.max(MIN_CAPACITY, Math.ceil((entries * GROWTH) / MAX_LOAD)),
        shard.depth + 1,
      );
    const halves = [sized(shard.used - ones), sized(ones)];
    shard.forEach((a, b, c, d, expiry) => halves[(a >>> bit) & 1]!.place(a, b, c, d, expiry));
    this.replace(shard, w0, halves);
  }

  /** Points the directory range of `shard` (found by `w0`) at `by`, split evenly between them. */
  private replace(shard: JtiShard, w0: number, by: readonly JtiShard[]): void {
    const span = 2 ** (this.depth - shard.depth);
    const start = prefixOf(w0, shard.depth) * span;
    const each = span / by.length;
    for (let i = 0; i < span; i++) this.directory[start + i] = by[Math.floor(i / each)]!;
  }
}

function toSeconds(expiresAtMs: number): number {
  // NaN never compares below a clock, so a Map would keep it forever: so does the table.
  if (Number.isNaN(expiresAtMs)) return NEVER_SEC;
  if (expiresAtMs <= 0) return 0;
  const seconds = Math.ceil(expiresAtMs / 1000);
  return seconds >= NEVER_SEC ? NEVER_SEC : seconds;
}

function fromSeconds(seconds: number): number {
  return seconds === NEVER_SEC ? Number.MAX_SAFE_INTEGER : seconds * 1000;
}
