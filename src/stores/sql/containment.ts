/** Containment: IP blocks (with the IP revocation in the same commit), counters, alerts. */
import type { AuditEventInput } from '../../core/audit/audit-event.js';
import type {
  AlertCounts,
  AlertQuery,
  AlertRecord,
  ApiTokenRevocation,
  IpBlockRecord,
  IpBlockReport,
  NewIpBlock,
  RevocationContext,
} from '../types.js';
import { revokeApiTokens } from './api-tokens.js';
import { appendAudit } from './audit.js';
import { appendIpBlockChange } from './feed.js';
import { NOT_ENDED, liveCutoff } from './live.js';
import { type Proc, type Unit, all, get, one, run } from './procedure.js';
import { revoke } from './revoke.js';
import { toAlert, toIpBlock } from './rows.js';
import { liveApiTokenIdsInRange } from './session-ips.js';

/**
 * The block, its audit entry, the IP revocation and the API-token revocation in one transaction
 * (under the feed lock), so they commit together; a concurrent session or token created from the
 * range either commits before (and is found) or after (and meets the block at login).
 */
export function* createIpBlock(
  u: Unit,
  block: NewIpBlock,
  ctx: RevocationContext,
  options: { readonly notify: ApiTokenRevocation['notify'] },
): Proc<IpBlockReport> {
  yield* run(
    'INSERT INTO ip_blocks (id, cidr, reason, source, created_at, expires_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)',
    [
      block.id,
      block.cidr,
      block.reason,
      block.source,
      block.createdAtMs,
      block.expiresAtMs,
      block.createdBy,
    ],
  );
  yield* appendAudit(
    u,
    [
      {
        type: 'ip.blocked',
        actorType: ctx.actor.type,
        actorId: ctx.actor.id,
        initiator: ctx.initiator,
        reason: ctx.reason,
        targetType: 'ip',
        targetId: block.cidr,
        ip: ctx.ip ?? null,
        details: {
          block: block.id,
          source: block.source,
          reason: block.reason,
          expires_at: block.expiresAtMs,
        },
      },
    ],
    ctx.nowMs,
  );
  // Before the revocations it causes: an instance that has applied them has applied the block.
  yield* appendIpBlockChange(u, {
    scope: 'ip_block',
    target: block.id,
    cidr: block.cidr,
    expiresAtMs: block.expiresAtMs,
    createdAtMs: ctx.nowMs,
  });
  const report = yield* revoke(u, { scope: 'ip', cidr: block.cidr }, ctx);
  const ids = yield* liveApiTokenIdsInRange(u, block.cidr);
  const apiTokens =
    ids.length === 0
      ? []
      : yield* revokeApiTokens(u, {
          selection: { kind: 'ids', ids },
          context: ctx,
          revokedBy: ctx.actor.id,
          notify: options.notify,
        });
  // Kept with the block, so GET /security/blocks can say what each one revoked.
  yield* run(
    'UPDATE ip_blocks SET revoked_sessions = ?, revoked_refresh_tokens = ?, revoked_api_tokens = ? WHERE id = ?',
    [report.sessions, report.refreshTokens, apiTokens.length, block.id],
  );
  return { ...report, apiTokens };
}

export function* listIpBlocks(nowMs: number | null): Proc<IpBlockRecord[]> {
  const rows =
    nowMs === null
      ? yield* all('SELECT * FROM ip_blocks ORDER BY created_at DESC, id')
      : yield* all(
          `SELECT * FROM ip_blocks WHERE lifted_at IS NULL AND ${NOT_ENDED} ORDER BY created_at DESC, id`,
          [liveCutoff(nowMs)],
        );
  return rows.map(toIpBlock);
}

export function findIpBlock(id: string): Proc<IpBlockRecord | undefined> {
  return one('SELECT * FROM ip_blocks WHERE id = ?', [id], toIpBlock);
}

export function* liftIpBlock(
  u: Unit,
  id: string,
  nowMs: number,
  by: string | null,
  audit: AuditEventInput,
): Proc<IpBlockRecord | undefined> {
  const row = yield* get(
    'UPDATE ip_blocks SET lifted_at = ?, lifted_by = ? WHERE id = ? AND lifted_at IS NULL RETURNING *',
    [nowMs, by, id],
  );
  if (row === undefined) return undefined;
  yield* appendAudit(
    u,
    [{ ...audit, targetId: row.cidr as string, details: { ...audit.details, block: id } }],
    nowMs,
  );
  const lifted = toIpBlock(row);
  yield* appendIpBlockChange(u, {
    scope: 'ip_unblock',
    target: id,
    cidr: lifted.cidr,
    expiresAtMs: lifted.expiresAtMs,
    createdAtMs: nowMs,
  });
  return lifted;
}

/**
 * Counters over a window that opens at the first event and lasts `windowMs` ("11 failures within
 * the hour" means within an hour of the first, not within a clock hour). One upsert: atomic across
 * instances (the conflicting row is locked and re-read before the update).
 */
export function* incrementCounter(key: string, windowMs: number, nowMs: number): Proc<number> {
  const row = yield* get<{ count: number }>(
    `INSERT INTO counters (key, window_start, count) VALUES (?, ?, 1)
    ON CONFLICT (key) DO UPDATE SET
      count = CASE WHEN ? - counters.window_start < ? THEN counters.count + 1 ELSE 1 END,
      window_start = CASE WHEN ? - counters.window_start < ? THEN counters.window_start ELSE ? END
    RETURNING count`,
    [key, nowMs, nowMs, windowMs, nowMs, windowMs, nowMs],
  );
  return row!.count;
}

/** The count in the open window and when that window closes (ms), or zero. */
export function* readCounter(
  key: string,
  windowMs: number,
  nowMs: number,
): Proc<{ count: number; resetAtMs: number }> {
  const row = yield* get<{ window_start: number; count: number }>(
    'SELECT window_start, count FROM counters WHERE key = ?',
    [key],
  );
  if (row === undefined || nowMs - row.window_start >= windowMs)
    return { count: 0, resetAtMs: nowMs };
  return { count: row.count, resetAtMs: row.window_start + windowMs };
}

/**
 * One alert per dedupe key across instances: the insert skips a key already used (ON CONFLICT DO
 * NOTHING waits for a concurrent insert of the same key to commit or roll back), and only a created
 * alert is audited.
 */
export function* raiseAlert(
  u: Unit,
  alert: Omit<AlertRecord, 'acknowledgedAtMs' | 'acknowledgedBy'>,
  audit: AuditEventInput,
): Proc<{ alert: AlertRecord; created: boolean }> {
  const row = yield* get(
    `INSERT INTO alerts (id, severity, type, subject, ip, details, created_at, dedupe_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (dedupe_key) DO NOTHING RETURNING *`,
    [
      alert.id,
      alert.severity,
      alert.type,
      alert.subject,
      alert.ip,
      JSON.stringify(alert.details),
      alert.createdAtMs,
      alert.dedupeKey,
    ],
  );
  if (row === undefined) {
    const existing = yield* get('SELECT * FROM alerts WHERE dedupe_key = ?', [alert.dedupeKey]);
    return { alert: toAlert(existing!), created: false };
  }
  yield* appendAudit(u, [audit], alert.createdAtMs);
  return { alert: toAlert(row), created: true };
}

export function* listAlerts(q: AlertQuery): Proc<AlertRecord[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.severity !== undefined) {
    where.push('severity = ?');
    params.push(q.severity);
  }
  if (q.acknowledged !== undefined)
    where.push(q.acknowledged ? 'acknowledged_at IS NOT NULL' : 'acknowledged_at IS NULL');
  const sql = `SELECT * FROM alerts ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id LIMIT ? OFFSET ?`;
  return (yield* all(sql, [...params, q.limit, q.offset])).map(toAlert);
}

export function* acknowledgeAlert(
  u: Unit,
  id: string,
  by: string,
  nowMs: number,
): Proc<AlertRecord | undefined> {
  const row = yield* get(
    'UPDATE alerts SET acknowledged_at = ?, acknowledged_by = ? WHERE id = ? AND acknowledged_at IS NULL RETURNING *',
    [nowMs, by, id],
  );
  if (row === undefined) return undefined;
  yield* appendAudit(
    u,
    [
      {
        type: 'alert.acknowledged',
        actorType: 'admin',
        actorId: by,
        targetType: 'alert',
        targetId: id,
        ip: null,
        details: { severity: row.severity, alert_type: row.type },
      },
    ],
    nowMs,
  );
  return toAlert(row);
}

export function* countAlerts(): Proc<AlertCounts> {
  const counts = {
    CRITICAL: { total: 0, unacknowledged: 0 },
    HIGH: { total: 0, unacknowledged: 0 },
    MEDIUM: { total: 0, unacknowledged: 0 },
    LOW: { total: 0, unacknowledged: 0 },
  };
  const rows = yield* all<{ severity: AlertRecord['severity']; total: number; open: number }>(
    'SELECT severity, COUNT(*) AS total, COUNT(*) FILTER (WHERE acknowledged_at IS NULL) AS open FROM alerts GROUP BY severity',
  );
  for (const r of rows) counts[r.severity] = { total: r.total, unacknowledged: r.open };
  return counts;
}
