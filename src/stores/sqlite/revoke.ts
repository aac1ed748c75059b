/**
 * Revocation writes for SQLite: the state change, its feed records and its audit entry in one
 * IMMEDIATE transaction, so an acknowledged revocation is complete and durable (see open-database).
 * What each scope reaches, writes and audits is decided in core/revocation/revocation-plan; this
 * file only carries the plan out in SQL.
 */
import {
  type FeedEntry, type SessionReach, generationEntry, keyEntry, planRevocation, revocationAudit, revocationChanged, sessionEntry,
} from '../../core/revocation/revocation-plan.js';
import type { RevocationRecord } from '../../core/revocation/types.js';
import type { RevocationContext, RevocationReport, RevocationTarget } from '../types.js';
import { appendAuditRows } from './audit-writer.js';
import { advanceFeedHead } from './feed-head.js';
import type { SqliteDatabase } from './open-database.js';
import { toRevocation } from '../sql/rows.js';
import { liveSessionIdsInRange } from './session-ips.js';

export function revokeInSqlite(db: SqliteDatabase, target: RevocationTarget, ctx: RevocationContext): RevocationReport {
  return db.transaction((): RevocationReport => {
    const plan = planRevocation(target);
    const records: RevocationRecord[] = [];
    const feed = (input: FeedEntry): void => {
      const row = db.prepare(`INSERT INTO revocations (scope, target, issuer, generation, window_from, window_to, expires_at, initiator, reason, note, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`).get(
        input.scope, input.target, input.issuer ?? null, input.generation ?? null, input.windowFrom ?? null, input.windowTo ?? null,
        input.expiresAtMs, ctx.initiator, ctx.reason, ctx.note ?? null, ctx.nowMs,
      ) as Record<string, unknown>;
      records.push(toRevocation(row));
    };
    let entryExisted = false;
    let keyMarked = false;
    let generation: number | null = null;

    if (plan.entry !== null) {
      entryExisted = plan.entry.scope === 'token'
        && db.prepare(`SELECT 1 FROM revocations WHERE scope = 'token' AND target = ? AND issuer IS ?`).get(plan.entry.target, plan.entry.issuer ?? null) !== undefined;
      if (!entryExisted) feed(plan.entry);
    }
    if (plan.generation !== null) {
      generation = bumpGeneration(db, plan.generation.scope, plan.generation.target);
      feed(generationEntry(plan.generation, generation));
    }
    if (plan.key !== null) {
      keyMarked = db.prepare(`UPDATE signing_keys SET status = 'revoked', revoked_at = ? WHERE kid = ? AND status != 'revoked'`).run(ctx.nowMs, plan.key).changes > 0;
      if (keyMarked) feed(keyEntry(plan.key));
    }
    // Mark the sessions revoked too, so listings and the refresh grant agree with the entries.
    const { sessions, refreshTokens } = revokeSessions(db, liveSessionIds(db, plan.sessions, ctx.nowMs), ctx, plan.entryPerSession ? feed : null);

    // Every record of this revocation is in `records` (from RETURNING, as readFeed maps the rows), in seq order.
    advanceFeedHead(db, records);

    const changed = revocationChanged(plan.changed, { entryExisted, sessionsMarked: sessions, keyMarked });
    if (changed) appendAuditRows(db, [revocationAudit(plan, ctx, { sessions, refreshTokens, generation })], ctx.nowMs);
    return { sessions, refreshTokens, generation, records, changed };
  }).immediate();
}

/** The live sessions a plan reaches (a named session is passed as is: marking skips it if it is already revoked). */
function liveSessionIds(db: SqliteDatabase, reach: SessionReach, nowMs: number): string[] {
  switch (reach.kind) {
    case 'none': return [];
    case 'one': return [reach.sessionId];
    case 'in_range': return liveSessionIdsInRange(db, reach.cidr, nowMs);
    case 'all':
      return db.prepare('SELECT id FROM sessions WHERE revoked_at IS NULL AND expires_at > ?').pluck().all(nowMs) as string[];
    case 'of_user':
    case 'of_client': {
      const column = reach.kind === 'of_user' ? 'user_id' : 'client_id';
      const id = reach.kind === 'of_user' ? reach.userId : reach.clientId;
      const except = reach.kind === 'of_user' ? reach.exceptSessionId : undefined;
      const ids = db.prepare(`SELECT id FROM sessions WHERE ${column} = ? AND revoked_at IS NULL AND expires_at > ?`).pluck().all(id, nowMs) as string[];
      return except === undefined ? ids : ids.filter((sid) => sid !== except);
    }
  }
}

/** Marks live sessions revoked; with `feed`, appends one session record each (so replicas drop them). */
function revokeSessions(
  db: SqliteDatabase,
  ids: readonly string[],
  ctx: RevocationContext,
  feed: ((input: FeedEntry) => void) | null,
): { sessions: number; refreshTokens: number } {
  let sessions = 0;
  let refreshTokens = 0;
  const mark = db.prepare(`UPDATE sessions SET revoked_at = ?, revoke_reason = ? WHERE id = ? AND revoked_at IS NULL RETURNING expires_at`);
  const liveRefresh = db.prepare(`SELECT COUNT(*) FROM refresh_tokens WHERE session_id = ? AND consumed_at IS NULL AND expires_at > ?`).pluck();
  for (const id of ids) {
    const row = mark.get(ctx.nowMs, ctx.reason, id) as { expires_at: number } | undefined;
    if (row === undefined) continue;
    sessions++;
    refreshTokens += liveRefresh.get(id, ctx.nowMs) as number;
    feed?.(sessionEntry(id, row.expires_at, ctx.accessCoverMs));
  }
  return { sessions, refreshTokens };
}

function bumpGeneration(db: SqliteDatabase, scope: 'user' | 'client' | 'global', target: string): number {
  return db.prepare(`INSERT INTO generations (scope, target, generation) VALUES (?, ?, 1)
    ON CONFLICT (scope, target) DO UPDATE SET generation = generation + 1 RETURNING generation`).pluck().get(scope, target) as number;
}
