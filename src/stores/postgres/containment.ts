/**
 * Containment for PostgreSQL: IP blocks (with the IP revocation in the same commit), counters,
 * alerts. Carried over from sqlite/containment.ts.
 */
import type { AuditEventInput } from '../../core/audit/audit-event.js';
import type { AlertCounts, AlertQuery, AlertRecord, ApiTokenRevocation, IpBlockRecord, IpBlockReport, NewIpBlock, RevocationContext } from '../types.js';
import { revokeApiTokensIn } from './api-tokens.js';
import { appendAuditRows } from './audit-writer.js';
import { appendIpBlockChange } from './feed-writer.js';
import { revokeIn } from './revoke.js';
import { toAlert, toIpBlock } from '../sql/rows.js';
import { liveApiTokenIdsInRange } from './session-ips.js';
import type { SqlRunner, Transaction } from './sql-runner.js';

/**
 * The block, its audit entry, the IP revocation and the API-token revocation in one transaction
 * (under the feed lock), so they commit together; a concurrent session or token created from the
 * range either commits before (and is found) or after (and meets the block at login).
 */
export async function createIpBlockIn(
  tx: Transaction,
  block: NewIpBlock,
  ctx: RevocationContext,
  notify: ApiTokenRevocation['notify'],
): Promise<IpBlockReport> {
  await tx.rows(`INSERT INTO ip_blocks (id, cidr, reason, source, created_at, expires_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [block.id, block.cidr, block.reason, block.source, block.createdAtMs, block.expiresAtMs, block.createdBy]);
  await appendAuditRows(tx, [{
    type: 'ip.blocked', actorType: ctx.actor.type, actorId: ctx.actor.id, initiator: ctx.initiator, reason: ctx.reason,
    targetType: 'ip', targetId: block.cidr, ip: ctx.ip ?? null,
    details: { block: block.id, source: block.source, reason: block.reason, expires_at: block.expiresAtMs },
  }], ctx.nowMs);
  // Before the revocations it causes: an instance that has applied them has applied the block.
  await appendIpBlockChange(tx, { scope: 'ip_block', target: block.id, cidr: block.cidr, expiresAtMs: block.expiresAtMs, createdAtMs: ctx.nowMs });
  const report = await revokeIn(tx, { scope: 'ip', cidr: block.cidr }, ctx);
  const ids = await liveApiTokenIdsInRange(tx, block.cidr);
  const apiTokens = ids.length === 0 ? [] : await revokeApiTokensIn(tx, {
    selection: { kind: 'ids', ids }, context: ctx, revokedBy: ctx.actor.id, notify,
  });
  // Kept with the block, so GET /security/blocks can say what each one revoked.
  await tx.rows('UPDATE ip_blocks SET revoked_sessions = $1, revoked_refresh_tokens = $2, revoked_api_tokens = $3 WHERE id = $4',
    [report.sessions, report.refreshTokens, apiTokens.length, block.id]);
  return { ...report, apiTokens };
}

export async function listIpBlocksIn(sql: SqlRunner, nowMs: number | null): Promise<IpBlockRecord[]> {
  const rows = nowMs === null
    ? await sql.rows('SELECT * FROM ip_blocks ORDER BY created_at DESC, id')
    : await sql.rows('SELECT * FROM ip_blocks WHERE lifted_at IS NULL AND (expires_at IS NULL OR expires_at > $1) ORDER BY created_at DESC, id', [nowMs]);
  return rows.map(toIpBlock);
}

export async function liftIpBlockIn(tx: Transaction, id: string, nowMs: number, by: string | null, audit: AuditEventInput): Promise<IpBlockRecord | undefined> {
  const row = await tx.one('UPDATE ip_blocks SET lifted_at = $1, lifted_by = $2 WHERE id = $3 AND lifted_at IS NULL RETURNING *', [nowMs, by, id]);
  if (row === undefined) return undefined;
  await appendAuditRows(tx, [{ ...audit, targetId: row.cidr as string, details: { ...audit.details, block: id } }], nowMs);
  const lifted = toIpBlock(row);
  await appendIpBlockChange(tx, { scope: 'ip_unblock', target: id, cidr: lifted.cidr, expiresAtMs: lifted.expiresAtMs, createdAtMs: nowMs });
  return lifted;
}

/**
 * Counters over a window that opens at the first event and lasts `windowMs` ("11 failures within
 * the hour" means within an hour of the first, not within a clock hour). One upsert: atomic across
 * instances (the conflicting row is locked and re-read before the update).
 */
export async function incrementCounterIn(sql: SqlRunner, key: string, windowMs: number, nowMs: number): Promise<number> {
  const row = await sql.one<{ count: number }>(`INSERT INTO counters (key, window_start, count) VALUES ($1, $2, 1)
    ON CONFLICT (key) DO UPDATE SET
      count = CASE WHEN $2 - counters.window_start < $3 THEN counters.count + 1 ELSE 1 END,
      window_start = CASE WHEN $2 - counters.window_start < $3 THEN counters.window_start ELSE $2 END
    RETURNING count`, [key, nowMs, windowMs]);
  return row!.count;
}

/** The count in the open window and when that window closes (ms), or zero. */
export async function readCounterIn(sql: SqlRunner, key: string, windowMs: number, nowMs: number): Promise<{ count: number; resetAtMs: number }> {
  const row = await sql.one<{ window_start: number; count: number }>('SELECT window_start, count FROM counters WHERE key = $1', [key]);
  if (row === undefined || nowMs - row.window_start >= windowMs) return { count: 0, resetAtMs: nowMs };
  return { count: row.count, resetAtMs: row.window_start + windowMs };
}

/**
 * One alert per dedupe key across instances: the insert skips a key already used (ON CONFLICT DO
 * NOTHING waits for a concurrent insert of the same key to commit or roll back), and only a created
 * alert is audited.
 */
export async function raiseAlertIn(tx: Transaction, alert: Omit<AlertRecord, 'acknowledgedAtMs' | 'acknowledgedBy'>, audit: AuditEventInput): Promise<{ alert: AlertRecord; created: boolean }> {
  const row = await tx.one(`INSERT INTO alerts (id, severity, type, subject, ip, details, created_at, dedupe_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    ON CONFLICT (dedupe_key) DO NOTHING RETURNING *`,
  [alert.id, alert.severity, alert.type, alert.subject, alert.ip, JSON.stringify(alert.details), alert.createdAtMs, alert.dedupeKey]);
  if (row === undefined) {
    const existing = await tx.one('SELECT * FROM alerts WHERE dedupe_key = $1', [alert.dedupeKey]);
    return { alert: toAlert(existing!), created: false };
  }
  await appendAuditRows(tx, [audit], alert.createdAtMs);
  return { alert: toAlert(row), created: true };
}

export async function listAlertsIn(sql: SqlRunner, q: AlertQuery): Promise<AlertRecord[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.severity !== undefined) { params.push(q.severity); where.push(`severity = $${params.length}`); }
  if (q.acknowledged !== undefined) where.push(q.acknowledged ? 'acknowledged_at IS NOT NULL' : 'acknowledged_at IS NULL');
  params.push(q.limit, q.offset);
  const sql_ = `SELECT * FROM alerts ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id LIMIT $${params.length - 1} OFFSET $${params.length}`;
  return (await sql.rows(sql_, params)).map(toAlert);
}

export async function acknowledgeAlertIn(tx: Transaction, id: string, by: string, nowMs: number): Promise<AlertRecord | undefined> {
  const row = await tx.one('UPDATE alerts SET acknowledged_at = $1, acknowledged_by = $2 WHERE id = $3 AND acknowledged_at IS NULL RETURNING *', [nowMs, by, id]);
  if (row === undefined) return undefined;
  await appendAuditRows(tx, [{ type: 'alert.acknowledged', actorType: 'admin', actorId: by, targetType: 'alert', targetId: id, ip: null, details: { severity: row.severity, alert_type: row.type } }], nowMs);
  return toAlert(row);
}

export async function countAlertsIn(sql: SqlRunner): Promise<AlertCounts> {
  const counts = { CRITICAL: { total: 0, unacknowledged: 0 }, HIGH: { total: 0, unacknowledged: 0 }, MEDIUM: { total: 0, unacknowledged: 0 }, LOW: { total: 0, unacknowledged: 0 } };
  const rows = await sql.rows<{ severity: AlertRecord['severity']; total: number; open: number }>(
    `SELECT severity, COUNT(*) AS total, COUNT(*) FILTER (WHERE acknowledged_at IS NULL) AS open FROM alerts GROUP BY severity`);
  for (const r of rows) counts[r.severity] = { total: r.total, unacknowledged: r.open };
  return counts;
}
