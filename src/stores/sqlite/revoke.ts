/**
 * Revocation writes for SQLite: the state change, its feed records and its audit entry in one
 * IMMEDIATE transaction, so an acknowledged revocation is complete and durable (see open-database).
 */
import type { AuditEventInput, AuditEventType } from '../../core/audit/audit-event.js';
import { truncateId } from '../../core/audit/audit-event.js';
import type { RevocationRecord } from '../../core/revocation/types.js';
import type { RevocationContext, RevocationReport, RevocationTarget } from '../types.js';
import { appendAuditRows } from './audit-writer.js';
import type { SqliteDatabase } from './open-database.js';
import { toRevocation } from './rows.js';
import { hexBoundsOf, liveSessionIdsInRange } from './session-ips.js';

type FeedInput = Omit<RevocationRecord, 'seq' | 'initiator' | 'reason' | 'note' | 'createdAtMs' | 'issuer' | 'generation' | 'windowFrom' | 'windowTo'> &
  Partial<Pick<RevocationRecord, 'issuer' | 'generation' | 'windowFrom' | 'windowTo'>>;

const AUDIT_TYPE: Record<RevocationTarget['scope'], AuditEventType> = {
  token: 'token.revoked', session: 'session.revoked', user: 'user.tokens_revoked', client: 'client.tokens_revoked',
  key: 'key.revoked', ip: 'ip.tokens_revoked', window: 'window.tokens_revoked', global: 'global.tokens_revoked',
};

export function revokeInSqlite(db: SqliteDatabase, target: RevocationTarget, ctx: RevocationContext): RevocationReport {
  return db.transaction((): RevocationReport => {
    const records: RevocationRecord[] = [];
    const feed = (input: FeedInput): void => {
      const row = db.prepare(`INSERT INTO revocations (scope, target, issuer, generation, window_from, window_to, expires_at, initiator, reason, note, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`).get(
        input.scope, input.target, input.issuer ?? null, input.generation ?? null, input.windowFrom ?? null, input.windowTo ?? null,
        input.expiresAtMs, ctx.initiator, ctx.reason, ctx.note ?? null, ctx.nowMs,
      ) as Record<string, unknown>;
      records.push(toRevocation(row));
    };
    let sessions = 0;
    let refreshTokens = 0;
    let generation: number | null = null;
    let changed = true;
    let auditTargetId: string;

    switch (target.scope) {
      case 'token': {
        auditTargetId = truncateId(target.jti);
        const existing = db.prepare(`SELECT 1 FROM revocations WHERE scope = 'token' AND target = ? AND issuer IS ?`).get(target.jti, target.issuer);
        if (existing !== undefined) changed = false;
        else feed({ scope: 'token', target: target.jti, issuer: target.issuer, expiresAtMs: target.expiresAtMs });
        break;
      }
      case 'session': {
        auditTargetId = target.sessionId;
        const result = revokeSessions(db, [target.sessionId], ctx, feed);
        sessions = result.sessions;
        refreshTokens = result.refreshTokens;
        changed = sessions > 0;
        break;
      }
      case 'user':
      case 'client':
      case 'global': {
        const id = target.scope === 'user' ? target.userId : target.scope === 'client' ? target.clientId : '*';
        auditTargetId = id;
        generation = bumpGeneration(db, target.scope, id);
        feed({ scope: target.scope, target: id, generation, expiresAtMs: null });
        // Mark the sessions revoked too, so listings and the refresh grant agree with the counter.
        const column = target.scope === 'user' ? 'user_id' : 'client_id';
        const where = target.scope === 'global' ? '1 = 1' : `${column} = ?`;
        const params = target.scope === 'global' ? [] : [id];
        const ids = db.prepare(`SELECT id FROM sessions WHERE ${where} AND revoked_at IS NULL AND expires_at > ?`).pluck().all(...params, ctx.nowMs) as string[];
        const result = revokeSessions(db, ids, ctx, null);
        sessions = result.sessions;
        refreshTokens = result.refreshTokens;
        break;
      }
      case 'key': {
        auditTargetId = target.kid;
        const updated = db.prepare(`UPDATE signing_keys SET status = 'revoked', revoked_at = ? WHERE kid = ? AND status != 'revoked'`).run(ctx.nowMs, target.kid);
        changed = updated.changes > 0;
        if (changed) feed({ scope: 'key', target: target.kid, expiresAtMs: null });
        break;
      }
      case 'ip': {
        auditTargetId = hexBoundsOf(target.cidr).text;
        const result = revokeSessions(db, liveSessionIdsInRange(db, target.cidr, ctx.nowMs), ctx, feed);
        sessions = result.sessions;
        refreshTokens = result.refreshTokens;
        break;
      }
      case 'window': {
        auditTargetId = `${target.fromSec}-${target.toSec}`;
        feed({ scope: 'window', target: '*', windowFrom: target.fromSec, windowTo: target.toSec, expiresAtMs: target.expiresAtMs ?? null });
        break;
      }
    }

    if (changed) {
      const audit: AuditEventInput = {
        type: AUDIT_TYPE[target.scope], actorType: ctx.actor.type, actorId: ctx.actor.id, initiator: ctx.initiator,
        reason: ctx.reason, targetType: target.scope, targetId: auditTargetId, ip: ctx.ip ?? null,
        details: { sessions, refreshTokens, generation, note: ctx.note ?? null },
      };
      appendAuditRows(db, [audit], ctx.nowMs);
    }
    return { sessions, refreshTokens, generation, records, changed };
  }).immediate();
}

/** Marks live sessions revoked; with `feed`, appends one session record each (so replicas drop them). */
function revokeSessions(
  db: SqliteDatabase,
  ids: readonly string[],
  ctx: RevocationContext,
  feed: ((input: FeedInput) => void) | null,
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
    // Access tokens minted in the session live at most accessCover past its end.
    feed?.({ scope: 'session', target: id, expiresAtMs: row.expires_at + ctx.accessCoverMs });
  }
  return { sessions, refreshTokens };
}

function bumpGeneration(db: SqliteDatabase, scope: 'user' | 'client' | 'global', target: string): number {
  return db.prepare(`INSERT INTO generations (scope, target, generation) VALUES (?, ?, 1)
    ON CONFLICT (scope, target) DO UPDATE SET generation = generation + 1 RETURNING generation`).pluck().get(scope, target) as number;
}
