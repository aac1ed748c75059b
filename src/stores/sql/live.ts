/**
 * The "live" rules of core (core/revocation/entry-lifetime.ts) as SQL, written once for every
 * statement that needs them. Each predicate compares with a cutoff core computes (the functions
 * named beside it), passed as its `?` parameter, so the boundary (is an entry expiring right now
 * still served? is a session ending right now over?) is decided in core only.
 */
import {
  entryLiveFromMs,
  liveAfterMs,
  refreshRowsPrunableBeforeMs,
} from '../../core/revocation/entry-lifetime.js';

/** A feed entry a snapshot loads (entryIsLive). Parameter: {@link entryCutoff}. */
export const LIVE_ENTRY = '(expires_at IS NULL OR expires_at >= ?)';
/** A feed entry prune deletes: exactly those a snapshot no longer loads (entryMayBePruned). Parameter: {@link entryCutoff}. */
export const PRUNABLE_ENTRY = 'expires_at IS NOT NULL AND expires_at < ?';
export const entryCutoff = entryLiveFromMs;
/**
 * LIVE_ENTRY for a page of a seq range (the snapshot's): the same test, written so that no index
 * on `expires_at` can serve it (`+ 0` makes it an expression, on both databases), so the primary
 * key's range is the only plan. Without statistics — a table just restored or bulk loaded, not yet
 * analysed — PostgreSQL combined the expiry index with the range and read that whole index for
 * every page: a start on 10 M rows did not finish in 10 minutes. Parameter: {@link entryCutoff}.
 */
export const LIVE_ENTRY_IN_RANGE = '(expires_at IS NULL OR expires_at + 0 >= ?)';

/** A session neither revoked nor over (`alias` for a joined table, e.g. 's.'). Parameter: {@link liveCutoff}. */
export const liveSession = (alias = ''): string =>
  `${alias}revoked_at IS NULL AND ${alias}expires_at > ?`;
/** A refresh token neither consumed nor expired. Parameter: {@link liveCutoff}. */
export const LIVE_REFRESH = 'consumed_at IS NULL AND expires_at > ?';
/** Something that may never end (an API token, an IP block) and has not ended. Parameter: {@link liveCutoff}. */
export const NOT_ENDED = '(expires_at IS NULL OR expires_at > ?)';
export const liveCutoff = liveAfterMs;

/** Sessions whose refresh rows prune may delete (refreshRowsMayBePruned). Parameter: refreshRowsPrunableBeforeMs. */
export const PRUNABLE_REFRESH_SESSION = 'expires_at < ?';
export const refreshPruneCutoff = refreshRowsPrunableBeforeMs;
