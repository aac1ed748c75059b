/**
 * How long each feed entry lives, and what prune may delete. One copy for every backend: a store
 * stamps `expires_at` with these and filters with the same comparison (snapshot keeps an entry
 * while `expiresAtMs >= now`, prune deletes it once `expiresAtMs < now`, so at the same instant an
 * entry is still served and never deleted).
 *
 * - token: the revoked token's own `exp` (nothing it covers is accepted after that);
 * - session: the session's absolute end plus accessCover (access TTL + clock tolerance), since an
 *   access token minted just before the end is accepted that long after it;
 * - user / client / global (generation counters) and key: never (null): a counter or a revoked key
 *   must keep covering whatever was stamped with it;
 * - window: set by app/revoke from {@link windowEntryExpiryMs} in window-rules (null if not given);
 * - api_token: the API token's expiry (null: it never expires, so neither does the entry).
 */

/** A session entry outlives the session by the time its last access token can still be accepted. */
export function sessionEntryExpiryMs(sessionExpiresAtMs: number, accessCoverMs: number): number {
  return sessionExpiresAtMs + accessCoverMs;
}

/** Entries that never expire (generation counters and keys). */
export const NEVER_EXPIRES = null;

/** Whether an entry still covers something at `nowMs` (what a snapshot loads). */
export function entryIsLive(expiresAtMs: number | null, nowMs: number): boolean {
  return expiresAtMs === null || expiresAtMs >= nowMs;
}

/** Whether prune may delete the entry at `nowMs`: exactly the entries a snapshot no longer loads. */
export function entryMayBePruned(expiresAtMs: number | null, nowMs: number): boolean {
  return !entryIsLive(expiresAtMs, nowMs);
}

/** Refresh rows (consumed or not) are kept for reuse detection until their session has ended. */
export function refreshRowsMayBePruned(sessionExpiresAtMs: number, nowMs: number): boolean {
  return sessionExpiresAtMs < nowMs;
}

/**
 * Sealed successors only serve the refresh grace window (at most 60 s); they are kept twice that
 * after consumption, then dropped.
 */
export const SEALED_SUCCESSOR_RETENTION_MS = 120_000;

/** Sealed successors of tokens consumed before this instant may be dropped. */
export function sealedSuccessorsDroppableBeforeMs(nowMs: number): number {
  return nowMs - SEALED_SUCCESSOR_RETENTION_MS;
}
