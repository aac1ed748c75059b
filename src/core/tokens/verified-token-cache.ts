/**
 * Signature results by the whole token string, so a token presented again costs a hash lookup
 * instead of an Ed25519 verification (the seeds' "local caching" future work, done safely).
 *
 * Why the whole string and never the jti: a JWT's bytes are what the signature covers. Keyed by
 * jti, a forged token carrying a genuine jti would inherit the genuine token's verdict; keyed by
 * the string, any changed byte is a miss and goes through the full verification. Map lookups
 * compare whole strings, so there is no hash collision to exploit either.
 *
 * What a hit does NOT skip (checkAccessToken): `exp` against the clock, the key still being
 * the one that verified it (a rotated-away or revoked key is a miss), and — in every caller — the
 * revocation check. Only successes are stored: junk cannot fill it, and a stored entry was issued
 * by us (a few hundred bytes), so `capacity` bounds its memory. Eviction is first-in first-out:
 * an LRU would write on every hit, and a hot token that is evicted costs one verification. The
 * order is a ring of the last `capacity` insertions (no iterator per insert, as `keys().next()`
 * made): a slot's token is dropped when the slot is reused, so the map never holds more than the
 * ring (a forgotten token's slot stays empty until its turn comes round).
 */
import type { VerifiedAccessToken } from './access-token-types.js';

/** Default entries: ~10k tokens of ~600 chars is a few MiB; covers the live tokens of most deployments. */
export const DEFAULT_VERIFIED_TOKEN_CACHE_SIZE = 10_000;

export class VerifiedTokenCache {
  /**
   * The verified token itself, not a wrapper: a hit returns this object as is (no allocation). Its
   * `key` is the key object that verified the signature; another object for the kid ⇒ verify again.
   */
  private readonly entries = new Map<string, VerifiedAccessToken>();
  /** Tokens in insertion order, `next` the oldest's slot (grown up to `capacity`, then reused). */
  private readonly order: string[] = [];
  private next = 0;

  /** `capacity` 0 disables caching (every call verifies the signature). */
  constructor(readonly capacity: number = DEFAULT_VERIFIED_TOKEN_CACHE_SIZE) {
    if (!Number.isSafeInteger(capacity) || capacity < 0)
      throw new RangeError(`cache capacity must be a whole number ≥ 0, got ${capacity}`);
  }

  get(token: string): VerifiedAccessToken | undefined {
    return this.entries.get(token);
  }

  remember(token: string, verified: VerifiedAccessToken): void {
    if (this.capacity === 0) return;
    const oldest = this.order[this.next];
    // Maybe forgotten already, or inserted again since (then dropped early: one more verification).
    if (oldest !== undefined) this.entries.delete(oldest);
    this.order[this.next] = token;
    this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
    this.entries.set(token, verified);
  }

  forget(token: string): void {
    this.entries.delete(token);
  }

  clear(): void {
    this.entries.clear();
    this.order.length = 0;
    this.next = 0;
  }

  get size(): number {
    return this.entries.size;
  }
}
