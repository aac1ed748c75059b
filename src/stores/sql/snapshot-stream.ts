/**
 * The snapshot as a stream (core/revocation/snapshot-stream.ts), read in the snapshot unit's one
 * consistent transaction (SQLite: one read transaction; PostgreSQL: REPEATABLE READ), so head,
 * counters and records are of the same instant. Records are read in keyset pages on the primary
 * key (`seq > last ORDER BY seq LIMIT n`): one bounded page in memory at a time on both backends,
 * no server-side cursor state to clean up, and the same SQL on both.
 */
import type { SnapshotReceiver } from '../../core/revocation/snapshot-stream.js';
import { storedChain } from '../feed-head.js';
import { type GenerationRow, BLOCK_CHANGE_SCOPES_SQL, seqFeedSnapshot } from '../seq-cursor.js';
import { LIVE_ENTRY, entryCutoff } from './live.js';
import { type Proc, all, count, get } from './procedure.js';
import { toRevocation } from './rows.js';

/** Records per page: large enough that per-statement cost vanishes, small enough to stay bounded. */
export const SNAPSHOT_PAGE = 10_000;

const PAGE_SQL = `SELECT * FROM revocations WHERE seq > ? AND ${LIVE_ENTRY} AND scope NOT IN ${BLOCK_CHANGE_SCOPES_SQL}
  ORDER BY seq LIMIT ?`;

/**
 * Reads a snapshot into `receiver`. The jti count is every token row, expired ones not yet pruned
 * included: an upper bound the (scope, target) index answers without touching the table.
 */
export function* streamSnapshot(headSql: string, nowMs: number, receiver: SnapshotReceiver, pageSize = SNAPSHOT_PAGE): Proc<void> {
  const head = yield* get<{ last: number | null; chain: string }>(headSql);
  const gens = yield* all<GenerationRow>('SELECT scope, target, generation FROM generations');
  const tokenEntries = yield* count(`SELECT COUNT(*) AS n FROM revocations WHERE scope = 'token'`);
  const { records: _none, ...rest } = seqFeedSnapshot([], gens, Number(head?.last ?? 0), storedChain(head?.chain));
  receiver.begin({ ...rest, tokenEntries });
  const cutoff = entryCutoff(nowMs);
  for (let after = 0; ;) {
    const rows = yield* all(PAGE_SQL, [after, cutoff, pageSize]);
    if (rows.length === 0) return;
    const records = rows.map(toRevocation);
    receiver.records(records);
    if (rows.length < pageSize) return;
    after = records[records.length - 1]!.seq;
  }
}
