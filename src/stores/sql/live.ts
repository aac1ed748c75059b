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
