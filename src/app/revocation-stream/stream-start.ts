/**
 * Where a new stream starts: after the client's Last-Event-ID when it is a cursor of this store
 * (its first page read now), else from a fresh snapshot — also for a cursor ahead of everything the
 * store has handed out (a database restored from an older backup, a verifier moved to another
 * deployment): nothing will ever follow it, and waiting for the stream's join deadline would leave
 * the consumer silent and stale meanwhile. Both reads happen before the response
 * starts, so a store that is down is answered with a plain 503 (Retry-After) rather than a stream
 * that opens and dies.
 */
import { RevokdError } from '../../core/errors.js';
import type { FeedCursor } from '../../core/revocation/feed.js';
import { CATCH_UP_PAGE, type StreamFeed, type StreamStart } from './stream-session.js';

/** Longer than any cursor a store makes; longer input is refused rather than parsed. */
const MAX_LAST_EVENT_ID = 1_024;

export interface CursorParser {
  parseFeedCursor(text: string): FeedCursor | undefined;
  /** See RevocationLogPort.cursorIsAhead. */
  cursorIsAhead(cursor: FeedCursor): Promise<boolean>;
}

/**
 * The resume point a request names: the `Last-Event-ID` header (what EventSource sends), or the
 * `last_event_id` query parameter for clients that cannot set headers. Both, differing: 400.
 */
export function lastEventIdOf(
  header: string | string[] | undefined,
  query: unknown,
): string | undefined {
  if (Array.isArray(header))
    throw new RevokdError('ERR_BAD_REQUEST', 'Last-Event-ID must be given once');
  if (query !== undefined && typeof query !== 'string')
    throw new RevokdError('ERR_BAD_REQUEST', 'last_event_id must be given once');
  const value = header ?? query;
  if (header !== undefined && query !== undefined && header !== query) {
    throw new RevokdError('ERR_BAD_REQUEST', 'Last-Event-ID and last_event_id differ');
  }
  if (value === undefined) return undefined;
  if (value.length > MAX_LAST_EVENT_ID)
    throw new RevokdError('ERR_BAD_REQUEST', 'Last-Event-ID is too long');
  // EventSource sends an empty Last-Event-ID when no event carried an id yet: start afresh.
  return value.trim() === '' ? undefined : value.trim();
}

/** Reads the stream's start from the store (a snapshot for an unknown, absent or ahead id). */
export async function streamStart(
  feed: StreamFeed & CursorParser,
  lastEventId: string | undefined,
  nowMs: number,
): Promise<StreamStart> {
  const after = lastEventId === undefined ? undefined : feed.parseFeedCursor(lastEventId);
  if (after === undefined || (await feed.cursorIsAhead(after)))
    return { kind: 'snapshot', snapshot: await feed.openSnapshot(nowMs) };
  return { kind: 'resume', after, firstPage: await feed.readFeed(after, CATCH_UP_PAGE) };
}
