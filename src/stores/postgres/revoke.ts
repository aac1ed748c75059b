/**
 * Revocation writes for PostgreSQL: the state change, its feed records and its audit entry in one
 * transaction (holding the feed lock, see feed-lock.ts), so an acknowledged revocation is complete
 * and durable. What each scope reaches, writes and audits is decided in core/revocation/revocation-plan;
 * this file only carries the plan out in SQL (method by method as sqlite/revoke.ts).
 */
import {
  type FeedEntry, type SessionReach, generationEntry, keyEntry, planRevocation, revocationAudit, revocationChanged, sessionEntry,
} from '../../core/revocation/revocation-plan.js';
import type { RevocationRecord } from '../../core/revocation/types.js';
import type { RevocationContext, RevocationReport, RevocationTarget } from '../types.js';
import { appendAuditRows } from './audit-writer.js';
import { appendFeedRecord } from './feed-writer.js';
import { bumpGeneration } from './generations.js';
import { liveSessionIdsInRange } from './session-ips.js';
import type { SqlRunner, Transaction } from './sql-runner.js';

export async function revokeIn(tx: Transaction, target: RevocationTarget, ctx: RevocationContext): Promise<RevocationReport> {
  const plan = planRevocation(target);
  const records: RevocationRecord[] = [];
  const feed = async (input: FeedEntry): Promise<void> => { records.push(await appendFeedRecord(tx, input, ctx)); };
  let entryExisted = false;
  let keyMarked = false;
  let generation: number | null = null;

  if (plan.entry !== null) {
    entryExisted = plan.entry.scope === 'token'
      && await tx.one(`SELECT 1 FROM revocations WHERE scope = 'token' AND target = $1 AND issuer IS NOT DISTINCT FROM $2`,
        [plan.entry.target, plan.entry.issuer ?? null]) !== undefined;
    if (!entryExisted) await feed(plan.entry);
  }
  if (plan.generation !== null) {
    generation = await bumpGeneration(tx, plan.generation.scope, plan.generation.target);
    await feed(generationEntry(plan.generation, generation));
  }
  if (plan.key !== null) {
    keyMarked = await tx.changes(`UPDATE signing_keys SET status = 'revoked', revoked_at = $1 WHERE kid = $2 AND status <> 'revoked'`, [ctx.nowMs, plan.key]) > 0;
    if (keyMarked) await feed(keyEntry(plan.key));
  }
  // Mark the sessions revoked too, so listings and the refresh grant agree with the entries.
  const { sessions, refreshTokens } = await revokeSessions(tx, await liveSessionIds(tx, plan.sessions, ctx.nowMs), ctx, plan.entryPerSession ? feed : null);

  const changed = revocationChanged(plan.changed, { entryExisted, sessionsMarked: sessions, keyMarked });
  if (changed) await appendAuditRows(tx, [revocationAudit(plan, ctx, { sessions, refreshTokens, generation })], ctx.nowMs);
  return { sessions, refreshTokens, generation, records, changed };
}

/** The live sessions a plan reaches (a named session is passed as is: marking skips it if it is already revoked). */
async function liveSessionIds(sql: SqlRunner, reach: SessionReach, nowMs: number): Promise<string[]> {
  switch (reach.kind) {
    case 'none': return [];
    case 'one': return [reach.sessionId];
    case 'in_range': return liveSessionIdsInRange(sql, reach.cidr, nowMs);
    case 'all':
      return (await sql.rows<{ id: string }>('SELECT id FROM sessions WHERE revoked_at IS NULL AND expires_at > $1', [nowMs])).map((r) => r.id);
    case 'of_user':
    case 'of_client': {
      const column = reach.kind === 'of_user' ? 'user_id' : 'client_id';
      const id = reach.kind === 'of_user' ? reach.userId : reach.clientId;
      const except = reach.kind === 'of_user' ? reach.exceptSessionId : undefined;
      const ids = (await sql.rows<{ id: string }>(`SELECT id FROM sessions WHERE ${column} = $1 AND revoked_at IS NULL AND expires_at > $2`, [id, nowMs])).map((r) => r.id);
      return except === undefined ? ids : ids.filter((sid) => sid !== except);
    }
  }
}

/** Marks live sessions revoked; with `feed`, appends one session record each (so replicas drop them). */
async function revokeSessions(
  sql: SqlRunner,
  ids: readonly string[],
  ctx: RevocationContext,
  feed: ((input: FeedEntry) => Promise<void>) | null,
): Promise<{ sessions: number; refreshTokens: number }> {
  let sessions = 0;
  let refreshTokens = 0;
  for (const id of ids) {
    const row = await sql.one<{ expires_at: number }>('UPDATE sessions SET revoked_at = $1, revoke_reason = $2 WHERE id = $3 AND revoked_at IS NULL RETURNING expires_at',
      [ctx.nowMs, ctx.reason, id]);
    if (row === undefined) continue;
    sessions++;
    refreshTokens += await countLiveRefreshIn(sql, id, ctx.nowMs);
    await feed?.(sessionEntry(id, row.expires_at, ctx.accessCoverMs));
  }
  return { sessions, refreshTokens };
}

/** Refresh tokens of a session still usable at `nowMs` (the count revocations report). */
export async function countLiveRefreshIn(sql: SqlRunner, sessionId: string, nowMs: number): Promise<number> {
  const row = await sql.one<{ n: number }>('SELECT COUNT(*) AS n FROM refresh_tokens WHERE session_id = $1 AND consumed_at IS NULL AND expires_at > $2', [sessionId, nowMs]);
  return row!.n;
}
