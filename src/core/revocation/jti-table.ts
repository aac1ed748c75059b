/**
 * The revoked-jti set of the revocation state: jti → expiry, sized for 10 M entries in a replica
 * that answers on every request. A `Map<string, number>` costs ~90 bytes an entry (a string
 * header and its 22 characters, a hash-table slot, a boxed number); this table costs 20 bytes a
 * slot and one or two cache lines a lookup.
 *
 * Layout: open addressing over the jti's own 128 bits (`keys`, four int32 words a slot; word 0 is
 * never 0 in a used slot, so 0 marks a free one) and a parallel array of expiries in whole seconds
 * (`expiries`, uint32). A lookup reads `keys` only. The home slot is word 0 scaled to the capacity
 * (Lemire's multiply-shift range reduction), so any capacity works, not only powers of two: that
 * is what lets the table grow by 1.25× and stay between 25 and 31.25 bytes per entry at any size
 * (at most 0.8 full; doubling would swing between 25 and 50). Robin Hood probing with
 * backward-shift deletion: no tombstones, and a miss stops as soon as it passes a slot whose
 * entry sits closer to its own home than the probe does to ours.
 *
 * Expiries round UP to the second, so an entry is never dropped before its millisecond expiry.
 * A jti that is not a canonical 22-character base64url string, or whose first word is 0, is kept
 * exactly as given in a small fallback Map: nothing is dropped, and two jtis are the same entry
 * only if they are the same string.
 */
import { decodeJti128 } from './jti-words.js';

/** Stored for "never expires" (and anything past 2106): never pruned. */
const NEVER_SEC = 0xffff_ffff;
const MAX_LOAD = 0.8;
const GROWTH = 1.25;
const MIN_CAPACITY = 256;
const TWO_POW_32 = 4_294_967_296;

/** Scratch for decoding: the table is single-threaded JavaScript, so one buffer serves every call. */
const words = new Int32Array(4);

export class JtiTable {
  private capacity: number;
  /** capacity / 2^32: a word-0 value times this is its home slot. */
  private scale: number;
  private keys: Int32Array;
  private expiries: Uint32Array;
  private used = 0;
  /** Jtis the table cannot hold by their bits, by string; expiry in ms exactly as given. */
  private readonly fallback = new Map<string, number>();

  /**
   * `expectedEntries`: how many entries are about to be set (a snapshot's jti count). The table is
   * allocated once with room for them and a growth step more, so loading a snapshot never rehashes
   * and the first revocations after it do not either: at 10 M entries a rehash holds the event
   * loop for about a second.
   */
  constructor(expectedEntries = 0) {
    this.capacity = Math.max(MIN_CAPACITY, Math.ceil((expectedEntries * GROWTH) / MAX_LOAD));
    this.scale = this.capacity / TWO_POW_32;
    this.keys = new Int32Array(this.capacity * 4);
    this.expiries = new Uint32Array(this.capacity);
  }

  /** Entries held, in the table and in the fallback. */
  get size(): number {
    return this.used + this.fallback.size;
  }

  /** Entries held by their bits (the rest are in the fallback Map). */
  get compactSize(): number {
    return this.used;
  }

  /** Bytes of the typed arrays (the fallback Map is not counted: it holds the rare odd jti). */
  get tableBytes(): number {
    return this.keys.byteLength + this.expiries.byteLength;
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
    const existing = this.find(w0, w1, w2, w3);
    const expiry = toSeconds(expiresAtMs);
    if (existing >= 0) {
      this.expiries[existing] = expiry;
      return;
    }
    if (this.used + 1 > this.capacity * MAX_LOAD) this.resize(Math.ceil(this.capacity * GROWTH));
    this.place(w0, w1, w2, w3, expiry);
    this.used++;
  }

  has(jti: string): boolean {
    if (!decodeJti128(jti, words) || words[0] === 0) return this.fallback.has(jti);
    return this.find(words[0]!, words[1]!, words[2]!, words[3]!) >= 0;
  }

  /** The expiry kept for `jti` (ms; rounded up to the second unless it is in the fallback). */
  expiryMs(jti: string): number | undefined {
    if (!decodeJti128(jti, words) || words[0] === 0) return this.fallback.get(jti);
    const slot = this.find(words[0]!, words[1]!, words[2]!, words[3]!);
    return slot < 0 ? undefined : fromSeconds(this.expiries[slot]!);
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
    const keys = this.keys;
    const expiries = this.expiries;
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

  /** The slot holding these words, or -1. */
  private find(w0: number, w1: number, w2: number, w3: number): number {
    const keys = this.keys;
    const capacity = this.capacity;
    let slot = this.home(w0);
    for (let distance = 0; ; distance++) {
      const k0 = keys[slot * 4]!;
      if (k0 === 0) return -1;
      if (
        k0 === w0 &&
        keys[slot * 4 + 1] === w1 &&
        keys[slot * 4 + 2] === w2 &&
        keys[slot * 4 + 3] === w3
      )
        return slot;
      // Robin Hood invariant: had our entry been inserted, it would sit before any entry that is
      // closer to its own home than we are to ours.
      if (this.distance(slot, this.home(k0)) < distance) return -1;
      slot = slot + 1 === capacity ? 0 : slot + 1;
    }
  }

  /** Inserts an entry known to be absent, displacing richer entries (Robin Hood). */
  private place(w0: number, w1: number, w2: number, w3: number, expiry: number): void {
    const keys = this.keys;
    const expiries = this.expiries;
    const capacity = this.capacity;
    let slot = this.home(w0);
    let distance = 0;
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
      const residentDistance = this.distance(slot, this.home(k0));
      if (residentDistance < distance) {
        const k1 = keys[slot * 4 + 1]!,
          k2 = keys[slot * 4 + 2]!,
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

  /** Empties a slot and shifts the entries after it back by one until one is at its home. */
  private removeAt(slot: number): void {
    const keys = this.keys;
    const expiries = this.expiries;
    const capacity = this.capacity;
    for (;;) {
      const next = slot + 1 === capacity ? 0 : slot + 1;
      const k0 = keys[next * 4]!;
      if (k0 === 0 || this.home(k0) === next) break;
      keys.copyWithin(slot * 4, next * 4, next * 4 + 4);
      expiries[slot] = expiries[next]!;
      slot = next;
    }
    keys.fill(0, slot * 4, slot * 4 + 4);
    expiries[slot] = 0;
    this.used--;
  }

  private resize(capacity: number): void {
    const oldKeys = this.keys;
    const oldExpiries = this.expiries;
    const oldCapacity = this.capacity;
    this.capacity = capacity;
    this.scale = capacity / TWO_POW_32;
    this.keys = new Int32Array(capacity * 4);
    this.expiries = new Uint32Array(capacity);
    for (let slot = 0; slot < oldCapacity; slot++) {
      const k0 = oldKeys[slot * 4]!;
      if (k0 !== 0)
        this.place(
          k0,
          oldKeys[slot * 4 + 1]!,
          oldKeys[slot * 4 + 2]!,
          oldKeys[slot * 4 + 3]!,
          oldExpiries[slot]!,
        );
    }
  }

  private home(w0: number): number {
    return Math.floor((w0 >>> 0) * this.scale);
  }

  /** How far `slot` is past `home`, going round the end. */
  private distance(slot: number, home: number): number {
    return slot >= home ? slot - home : slot + this.capacity - home;
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
