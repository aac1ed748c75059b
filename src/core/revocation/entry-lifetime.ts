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

/**
 * The first expiry instant at which an entry is still live at `nowMs`: an entry expiring at `nowMs`
 * is still served. SQL stores compare with it (src/stores/sql/live.ts) rather than restate the rule.
 */
export function entryLiveFromMs(nowMs: number): number {
  return nowMs;
}

/** Whether an entry still covers something at `nowMs` (what a snapshot loads). */
export function entryIsLive(expiresAtMs: number | null, nowMs: number): boolean {
  return expiresAtMs === null || expiresAtMs >= entryLiveFromMs(nowMs);
}

/**
 * Sessions, refresh tokens, API tokens and IP blocks are live while their end lies after this
 * instant: one ending at exactly `nowMs` is over (refresh-rotation rotationRefusal). SQL stores
 * compare with it (src/stores/sql/live.ts).
 */
export function liveAfterMs(nowMs: number): number {
  return nowMs;
}

/** Whether something ending at `endsAtMs` (null: never) is still live at `nowMs`. */
export function isLiveAt(endsAtMs: number | null, nowMs: number): boolean {
  return endsAtMs === null || endsAtMs > liveAfterMs(nowMs);
}

/** Whether prune may delete the entry at `nowMs`: exactly the entries a snapshot no longer loads. */
export function entryMayBePruned(expiresAtMs: number | null, nowMs: number): boolean {
  return !entryIsLive(expiresAtMs, nowMs);
}

/** Refresh rows (consumed or not) are kept for reuse detection until their session has ended. */
export function refreshRowsMayBePruned(sessionExpiresAtMs: number, nowMs: number): boolean {
  return sessionExpiresAtMs < refreshRowsPrunableBeforeMs(nowMs);
}

/** Refresh rows of sessions that ended before this instant may be pruned. */
export function refreshRowsPrunableBeforeMs(nowMs: number): number {
  return nowMs;
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
