/**
 * The feed chain as both backends store it: one `feed_head` row (migrations sqlite/014,
 * postgres/006) holding the chain after every revocation record appended so far. The writer of
 * revocation records advances it in their transaction, so the stored head is a pure function of the
 * feed: the fold of chainAfter over its revocation records in seq order, from genesis (or from where
 * the database was upgraded). Snapshots read it as the chain at their cursor (seqFeedSnapshot).
 */
import { chainAfter, isChainValue } from '../core/revocation/feed-chain.js';
import type { RevocationRecord } from '../core/revocation/types.js';

export const READ_FEED_HEAD_SQL = 'SELECT chain FROM feed_head WHERE id = 1';

/**
 * The chain after `records` (revocation records just appended, in seq order) from `previous`.
 * IP block changes must not be passed: they are not sent on the stream, so they are not chained.
 */
export function chainOver(previous: string, records: readonly RevocationRecord[]): string {
  return records.reduce((chain, record) => chainAfter(chain, record), previous);
}

/**
 * The value read from feed_head. A missing row or a malformed value is a broken database (the
 * migration inserts the row and its CHECK keeps the form), never something to chain from: throw.
 */
export function storedChain(value: unknown): string {
  if (!isChainValue(value))
    throw new Error(
      `feed_head holds no feed chain (${value === undefined ? 'no row' : 'not 64 lowercase hex digits'}); the database is damaged`,
    );
  return value;
}
