/**
 * One shard of the revoked-jti table (jti-table.ts): open addressing over the jti's 128 bits
 * (`keys`, four int32 words a slot; word 0 is never 0 in a used slot, so 0 marks a free one) and a
 * parallel array of expiries in whole seconds (`expiries`, uint32). A lookup reads `keys` only.
 *
 * The home slot is word 1 scaled to the capacity (Lemire's multiply-shift range reduction): the
 * table picks the shard by the top bits of word 0, so word 1 is the random word left for the home,
 * and any capacity works, not only powers of two — what lets a shard grow by 1.25× and stay
 * between 25 and 31.25 bytes per entry. Robin Hood probing with backward-shift deletion: no
 * tombstones, and a miss stops as soon as it passes a slot whose entry sits closer to its own home
 * than the probe does to ours.
 */

/** Stored for "never expires" (and anything past 2106): never pruned. */
export const NEVER_SEC = 0xffff_ffff;
const TWO_POW_32 = 4_294_967_296;

export class JtiShard {
  readonly capacity: number;
  /** How many top bits of word 0 all of this shard's entries share (its directory prefix). */
  readonly depth: number;
  /** capacity / 2^32: a word-1 value times this is its home slot. */
  private readonly scale: number;
  readonly keys: Int32Array;
  readonly expiries: Uint32Array;
  used = 0;

  constructor(capacity: number, depth: number) {
    this.capacity = capacity;
    this.depth = depth;
    this.scale = capacity / TWO_POW_32;
    this.keys = new Int32Array(capacity * 4);
    this.expiries = new Uint32Array(capacity);
  }

  /** The slot holding these words, or -1. */
  find(w0: number, w1: number, w2: number, w3: number): number {
    const keys = this.keys;
    const capacity = this.capacity;
    let slot = this.home(w1);
    for (let distance = 0; ; distance++) {
      const k0 = keys[slot * 4]!;
      if (k0 === 0) return -1;
      const k1 = keys[slot * 4 + 1]!;
      if (k0 === w0 && k1 === w1 && keys[slot * 4 + 2] === w2 && keys[slot * 4 + 3] === w3)
        return slot;
      // Robin Hood invariant: had our entry been inserted, it would sit before any entry that is
      // closer to its own home than we are to ours.
      if (this.distance(slot, this.home(k1)) < distance) return -1;
      slot = slot + 1 === capacity ? 0 : slot + 1;
    }
  }

  /** Inserts an entry known to be absent, displacing richer entries (Robin Hood). */
  place(w0: number, w1: number, w2: number, w3: number, expiry: number): void {
    const keys = this.keys;
    const expiries = this.expiries;
    const capacity = this.capacity;
    let slot = this.home(w1);
    let distance = 0;
    this.used++;
    for (;;) {
      const k0 = keys[slot * 4]!;
      if (k0 === 0) {
        keys[slot * 4] = w0;
        keys[slot * 4 + 1] = w1;
        keys[slot * 4 + 2] = w2;
        keys[slot * 4 + 3] = w3;
        expiries[slot] = expiry;
        return;
      }
      const k1 = keys[slot * 4 + 1]!;
      const residentDistance = this.distance(slot, this.home(k1));
      if (residentDistance < distance) {
        const k2 = keys[slot * 4 + 2]!,
          k3 = keys[slot * 4 + 3]!,
          kExpiry = expiries[slot]!;
        keys[slot * 4] = w0;
        keys[slot * 4 + 1] = w1;
        keys[slot * 4 + 2] = w2;
        keys[slot * 4 + 3] = w3;
        expiries[slot] = expiry;
        w0 = k0;
        w1 = k1;
        w2 = k2;
        w3 = k3;
        expiry = kExpiry;
        distance = residentDistance;
      }
      slot = slot + 1 === capacity ? 0 : slot + 1;
      distance++;
    }
  }

  /** Drops entries whose expiry is before `nowMs`. Returns how many were dropped. */
  prune(nowMs: number): number {
    const keys = this.keys;
    const expiries = this.expiries;
    let dropped = 0;
    let slot = 0;
    while (slot < this.capacity) {
      const expiry = expiries[slot]!;
      if (keys[slot * 4] !== 0 && expiry !== NEVER_SEC && expiry * 1000 < nowMs) {
        // The backward shift may move the next entry into this slot: look at it again.
        this.removeAt(slot);
        dropped++;
      } else {
        slot++;
      }
    }
    return dropped;
  }

  /** Every entry, placed into `into(w0, w1, w2, w3, expiry)` (a growth or a split). */
  forEach(into: (w0: number, w1: number, w2: number, w3: number, expiry: number) => void): void {
    const keys = this.keys;
    for (let slot = 0; slot < this.capacity; slot++) {
      const k0 = keys[slot * 4]!;
      if (k0 !== 0)
        into(
          k0,
          keys[slot * 4 + 1]!,
          keys[slot * 4 + 2]!,
          keys[slot * 4 + 3]!,
          this.expiries[slot]!,
        );
    }
  }

  /** Empties a slot and shifts the entries after it back by one until one is at its home. */
  private removeAt(slot: number): void {
    const keys = this.keys;
    const expiries = this.expiries;
    const capacity = this.capacity;
    for (;;) {
      const next = slot + 1 === capacity ? 0 : slot + 1;
      if (keys[next * 4] === 0 || this.home(keys[next * 4 + 1]!) === next) break;
      keys.copyWithin(slot * 4, next * 4, next * 4 + 4);
      expiries[slot] = expiries[next]!;
      slot = next;
    }
    keys.fill(0, slot * 4, slot * 4 + 4);
    expiries[slot] = 0;
    this.used--;
  }

  private home(w1: number): number {
    return Math.floor((w1 >>> 0) * this.scale);
  }

  /** How far `slot` is past `home`, going round the end. */
  private distance(slot: number, home: number): number {
    return slot >= home ? slot - home : slot + this.capacity - home;
  }
}
