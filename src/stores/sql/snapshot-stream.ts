/**
 * The snapshot as a stream (core/revocation/snapshot-stream.ts), read in the snapshot unit's one
 * consistent transaction (SQLite: one read transaction; PostgreSQL: REPEATABLE READ), so head,
 * counters and records are of the same instant. Records are read in pages of primary-key ranges:
 * one bounded page in memory at a time on both backends, no server-side cursor state to clean up,
 * and the same SQL on both.
 */
import type { SnapshotReceiver } from '../../core/revocation/snapshot-stream.js';
import { storedChain } from '../feed-head.js';
import { type GenerationRow, BLOCK_CHANGE_SCOPES_SQL, seqFeedSnapshot } from '../seq-cursor.js';
import { LIVE_ENTRY, entryCutoff } from './live.js';
import { type Proc, all, count, get } from './procedure.js';
import { toRevocation } from './rows.js';

/**
 * Seqs per page. Pages are seq ranges, not `LIMIT n`: a range on the primary key is the plan both
 * databases pick whatever their statistics say, where `seq > ? … ORDER BY seq LIMIT n` let
 * PostgreSQL scan the expiry index and sort every live row for each page (36 s at 500 k rows).
 * A range that pruning left empty costs one index probe.
 */
export const SNAPSHOT_PAGE = 10_000;

const PAGE_SQL = `SELECT * FROM revocations WHERE seq > ? AND seq <= ? AND ${LIVE_ENTRY}
  AND scope NOT IN ${BLOCK_CHANGE_SCOPES_SQL} ORDER BY seq`;

/**
 * Reads a snapshot into `receiver`. The jti count is every token row, expired ones not yet pruned
 * included: an upper bound the (scope, target) index answers without reading expiries.
 */
export function* streamSnapshot(
  headSql: string,
  nowMs: number,
  receiver: SnapshotReceiver,
  pageSize = SNAPSHOT_PAGE,
): Proc<void> {
  const head = yield* get<{ last: number | null; chain: string }>(headSql);
  const gens = yield* all<GenerationRow>('SELECT scope, target, generation FROM generations');
  const tokenEntries = yield* count(`SELECT COUNT(*) AS n FROM revocations WHERE scope = 'token'`);
  const last = Number(head?.last ?? 0);
  const { records: _none, ...rest } = seqFeedSnapshot([], gens, last, storedChain(head?.chain));
  receiver.begin({ ...rest, tokenEntries });
  const cutoff = entryCutoff(nowMs);
  // Nothing past `last` is visible in this transaction: it is the highest seq handed out.
  const first = Number(
    (yield* get<{ first: number | null }>('SELECT MIN(seq) AS first FROM revocations'))?.first ?? 1,
  );
  for (let after = first - 1; after < last; after += pageSize) {
    const rows = yield* all(PAGE_SQL, [after, after + pageSize, cutoff]);
    if (rows.length > 0) receiver.records(rows.map(toRevocation));
  }
}
