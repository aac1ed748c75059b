/** Containment for SQLite: IP blocks (with the IP revocation in the same commit), counters, alerts. */
import type { AuditEventInput } from '../../core/audit/audit-event.js';
import type { IpBlockChange } from '../../core/revocation/ip-block-change.js';
import type { AlertCounts, AlertQuery, AlertRecord, ApiTokenRevocation, IpBlockRecord, IpBlockReport, NewIpBlock, RevocationContext } from '../types.js';
import { revokeApiTokensInSqlite } from './api-tokens.js';
import { liveApiTokenIdsInRange } from './session-ips.js';
import { appendAuditRows } from './audit-writer.js';
import type { SqliteDatabase } from './open-database.js';
import { revokeInSqlite } from './revoke.js';
import { toAlert, toIpBlock } from '../sql/rows.js';

type Row = Record<string, unknown>;

export function createIpBlockInSqlite(
  db: SqliteDatabase,
  block: NewIpBlock,
  ctx: RevocationContext,
  notify: ApiTokenRevocation['notify'],
): IpBlockReport {
  return db.transaction((): IpBlockReport => {
    db.prepare(`INSERT INTO ip_blocks (id, cidr, reason, source, created_at, expires_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)`)
      .run(block.id, block.cidr, block.reason, block.source, block.createdAtMs, block.expiresAtMs, block.createdBy);
    appendAuditRows(db, [{
      type: 'ip.blocked', actorType: ctx.actor.type, actorId: ctx.actor.id, initiator: ctx.initiator, reason: ctx.reason,
      targetType: 'ip', targetId: block.cidr, ip: ctx.ip ?? null,
      details: { block: block.id, source: block.source, reason: block.reason, expires_at: block.expiresAtMs },
    }], ctx.nowMs);
    // Before the revocations it causes: an instance that has applied them has applied the block.
    appendIpBlockChangeInSqlite(db, { scope: 'ip_block', target: block.id, cidr: block.cidr, expiresAtMs: block.expiresAtMs, createdAtMs: ctx.nowMs });
    // Nested: each runs as a savepoint inside this transaction, so the block and the revocations commit together.
    // Each advances the feed chain over its own records before the next one appends (sqlite/feed-head.ts).
    const report = revokeInSqlite(db, { scope: 'ip', cidr: block.cidr }, ctx);
    const ids = liveApiTokenIdsInRange(db, block.cidr);
    const apiTokens = ids.length === 0 ? [] : revokeApiTokensInSqlite(db, {
      selection: { kind: 'ids', ids }, context: ctx, revokedBy: ctx.actor.id, notify,
    });
    // Kept with the block, so GET /security/blocks can say what each one revoked.
    db.prepare('UPDATE ip_blocks SET revoked_sessions = ?, revoked_refresh_tokens = ?, revoked_api_tokens = ? WHERE id = ?')
      .run(report.sessions, report.refreshTokens, apiTokens.length, block.id);
    return { ...report, apiTokens };
  }).immediate();
}

/**
 * Appends an IP block change (core/revocation/ip-block-change.ts) to the feed, inside the
 * transaction that creates or lifts the block: the block id goes in `target`, the range in `note`.
 * Its expiry is the block's, so prune drops it once the block has ended by itself. Not a
 * revocation, so not sent on the stream and not chained: the feed head is left as it is.
 */
function appendIpBlockChangeInSqlite(db: SqliteDatabase, change: Omit<IpBlockChange, 'seq'>): void {
  db.prepare(`INSERT INTO revocations (scope, target, expires_at, initiator, reason, note, created_at) VALUES (?, ?, ?, 'admin', 'ip_block', ?, ?)`)
    .run(change.scope, change.target, change.expiresAtMs, change.cidr, change.createdAtMs);
}

export function listIpBlocksInSqlite(db: SqliteDatabase, nowMs: number | null): IpBlockRecord[] {
  const rows = nowMs === null
    ? db.prepare('SELECT * FROM ip_blocks ORDER BY created_at DESC, id').all()
    : db.prepare('SELECT * FROM ip_blocks WHERE lifted_at IS NULL AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at DESC, id').all(nowMs);
  return (rows as Row[]).map(toIpBlock);
}

export function liftIpBlockInSqlite(db: SqliteDatabase, id: string, nowMs: number, by: string | null, audit: AuditEventInput): IpBlockRecord | undefined {
  return db.transaction(() => {
    const row = db.prepare('UPDATE ip_blocks SET lifted_at = ?, lifted_by = ? WHERE id = ? AND lifted_at IS NULL RETURNING *').get(nowMs, by, id) as Row | undefined;
    if (row === undefined) return undefined;
    appendAuditRows(db, [{ ...audit, targetId: row.cidr as string, details: { ...audit.details, block: id } }], nowMs);
    const lifted = toIpBlock(row);
    appendIpBlockChangeInSqlite(db, { scope: 'ip_unblock', target: id, cidr: lifted.cidr, expiresAtMs: lifted.expiresAtMs, createdAtMs: nowMs });
    return lifted;
  }).immediate();
}

/**
 * Counters over a window that opens at the first event and lasts `windowMs` ("11 failures within
 * the hour" means within an hour of the first, not within a clock hour).
 */
export function incrementCounterInSqlite(db: SqliteDatabase, key: string, windowMs: number, nowMs: number): number {
  return db.prepare(`INSERT INTO counters (key, window_start, count) VALUES (@key, @now, 1)
    ON CONFLICT (key) DO UPDATE SET
      count = CASE WHEN @now - window_start < @windowMs THEN count + 1 ELSE 1 END,
      window_start = CASE WHEN @now - window_start < @windowMs THEN window_start ELSE @now END
    RETURNING count`).pluck().get({ key, now: nowMs, windowMs }) as number;
}

/** The count in the open window and when that window closes (ms), or zero. */
export function readCounterInSqlite(db: SqliteDatabase, key: string, windowMs: number, nowMs: number): { count: number; resetAtMs: number } {
  const row = db.prepare('SELECT window_start, count FROM counters WHERE key = ?').get(key) as { window_start: number; count: number } | undefined;
  if (row === undefined || nowMs - row.window_start >= windowMs) return { count: 0, resetAtMs: nowMs };
  return { count: row.count, resetAtMs: row.window_start + windowMs };
}

export function raiseAlertInSqlite(db: SqliteDatabase, alert: Omit<AlertRecord, 'acknowledgedAtMs' | 'acknowledgedBy'>, audit: AuditEventInput): { alert: AlertRecord; created: boolean } {
  return db.transaction(() => {
    if (alert.dedupeKey !== null) {
      const existing = db.prepare('SELECT * FROM alerts WHERE dedupe_key = ?').get(alert.dedupeKey) as Row | undefined;
      if (existing !== undefined) return { alert: toAlert(existing), created: false };
    }
    const row = db.prepare(`INSERT INTO alerts (id, severity, type, subject, ip, details, created_at, dedupe_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`)
      .get(alert.id, alert.severity, alert.type, alert.subject, alert.ip, JSON.stringify(alert.details), alert.createdAtMs, alert.dedupeKey) as Row;
    appendAuditRows(db, [audit], alert.createdAtMs);
    return { alert: toAlert(row), created: true };
  }).immediate();
}

export function listAlertsInSqlite(db: SqliteDatabase, q: AlertQuery): AlertRecord[] {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.severity !== undefined) { where.push('severity = ?'); params.push(q.severity); }
  if (q.acknowledged !== undefined) where.push(q.acknowledged ? 'acknowledged_at IS NOT NULL' : 'acknowledged_at IS NULL');
  const sql = `SELECT * FROM alerts ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id LIMIT ? OFFSET ?`;
  return (db.prepare(sql).all(...params, q.limit, q.offset) as Row[]).map(toAlert);
}

export function acknowledgeAlertInSqlite(db: SqliteDatabase, id: string, by: string, nowMs: number): AlertRecord | undefined {
  return db.transaction(() => {
    const row = db.prepare('UPDATE alerts SET acknowledged_at = ?, acknowledged_by = ? WHERE id = ? AND acknowledged_at IS NULL RETURNING *').get(nowMs, by, id) as Row | undefined;
    if (row === undefined) return undefined;
    appendAuditRows(db, [{ type: 'alert.acknowledged', actorType: 'admin', actorId: by, targetType: 'alert', targetId: id, ip: null, details: { severity: row.severity, alert_type: row.type } }], nowMs);
    return toAlert(row);
  }).immediate();
}

export function countAlertsInSqlite(db: SqliteDatabase): AlertCounts {
  const counts = { CRITICAL: { total: 0, unacknowledged: 0 }, HIGH: { total: 0, unacknowledged: 0 }, MEDIUM: { total: 0, unacknowledged: 0 }, LOW: { total: 0, unacknowledged: 0 } };
  const rows = db.prepare(`SELECT severity, COUNT(*) AS total, SUM(acknowledged_at IS NULL) AS open FROM alerts GROUP BY severity`)
    .all() as Array<{ severity: AlertRecord['severity']; total: number; open: number }>;
  for (const r of rows) counts[r.severity] = { total: r.total, unacknowledged: r.open };
  return counts;
}
