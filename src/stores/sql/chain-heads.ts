/**
 * Both chain heads — the feed's (feed_head) and the audit log's (its last entry) — read in one
 * statement, for a unit about to append to both (token revocations, revoke-tokens.ts): one round
 * trip on PostgreSQL instead of two. Read under the feed lock, as each alone is (feed.ts,
 * audit.ts), and noted on the Unit, so neither appender reads its head again.
 */
import { GENESIS_HASH } from '../../core/audit/audit-event.js';
import { storedChain } from '../feed-head.js';
import { AUDIT_HEAD_SQL } from './audit.js';
import { type Proc, type Unit, get } from './procedure.js';

export function* readChainHeads(u: Unit): Proc<void> {
  u.assertFeedLocked('the chain heads read');
  // Either already read in this unit: each appender reads what it still lacks itself.
  if (u.feedChain !== null || u.auditHead !== null) return;
  const row = yield* get<{ chain: unknown; seq: number | string | null; hash: string | null }>(
    `SELECT f.chain, a.seq, a.hash FROM feed_head f LEFT JOIN (${AUDIT_HEAD_SQL}) a ON 1 = 1 WHERE f.id = 1`,
  );
  u.feedChain = storedChain(row?.chain);
  // An empty audit log: the first entry follows genesis, exactly as appendAuditAt would start.
  u.auditHead =
    row?.seq === null || row?.seq === undefined
      ? { seq: 0, hash: GENESIS_HASH }
      : { seq: Number(row.seq), hash: row.hash! };
}
