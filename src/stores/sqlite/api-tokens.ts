/** API token rows for SQLite: creation under a per-user cap, permanent soft revocation, batched last use. */
import type { AuditEventInput } from '../../core/audit/audit-event.js';
import { allApiTokensRevokedAudit, apiTokenEntry, apiTokenRevokedAudit } from '../../core/revocation/api-token-revocation.js';
import { RevokdError } from '../../core/errors.js';
import { ipHex } from '../../core/containment/ip-address.js';
import type { RevocationRecord } from '../../core/revocation/types.js';
import type { ApiTokenRecord, ApiTokenRevocation, NewApiToken, UserRecord } from '../types.js';
import { appendAuditRows } from './audit-writer.js';
import { advanceFeedHead } from './feed-head.js';
import type { SqliteDatabase } from './open-database.js';
import { toApiToken, toRevocation, toUser } from '../sql/rows.js';

type Row = Record<string, unknown>;

export function insertApiToken(db: SqliteDatabase, token: NewApiToken, maxLivePerUser: number | null, audit: AuditEventInput): void {
  db.transaction(() => {
    if (maxLivePerUser !== null) {
      const live = db.prepare(`SELECT COUNT(*) FROM api_tokens WHERE user_id = ? AND is_active = 1 AND (expires_at IS NULL OR expires_at > ?)`)
        .pluck().get(token.userId, token.createdAtMs) as number;
      if (live >= maxLivePerUser) throw new RevokdError('ERR_CONFLICT', `you already have ${live} live API tokens (the limit is ${maxLivePerUser}); revoke one first`);
    }
    const createdIp = token.createdIp ?? null;
    db.prepare(`INSERT INTO api_tokens (id, user_id, name, token_hash, token_prefix, scopes, created_at, expires_at, is_canary, created_ip, created_ip_hex)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(token.id, token.userId, token.name, token.tokenHash, token.tokenPrefix,
      JSON.stringify(token.scopes), token.createdAtMs, token.expiresAtMs, token.isCanary ? 1 : 0, createdIp, createdIp === null ? null : ipHex(createdIp) ?? null);
    appendAuditRows(db, [audit], token.createdAtMs);
  }).immediate();
}

export function revokeApiTokensInSqlite(db: SqliteDatabase, request: ApiTokenRevocation): ApiTokenRecord[] {
  return db.transaction((): ApiTokenRecord[] => {
    const ctx = request.context;
    if (request.rateWindow !== undefined) {
      const last = db.prepare('SELECT last_at FROM rate_windows WHERE key = ?').pluck().get(request.rateWindow.key) as number | undefined;
      if (last !== undefined && ctx.nowMs - last < request.rateWindow.windowMs) {
        const waitMs = request.rateWindow.windowMs - (ctx.nowMs - last);
        throw new RevokdError('ERR_RATE_LIMITED', 'this can be done once per hour', { retryAfterSeconds: Math.ceil(waitMs / 1000) });
      }
      db.prepare('INSERT INTO rate_windows (key, last_at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET last_at = excluded.last_at')
        .run(request.rateWindow.key, ctx.nowMs);
    }
    const sel = request.selection;
    let candidates: Row[];
    if (sel.kind === 'all_of_user') {
      candidates = db.prepare('SELECT * FROM api_tokens WHERE user_id = ? AND is_active = 1 ORDER BY created_at').all(sel.userId) as Row[];
    } else {
      const byId = db.prepare('SELECT * FROM api_tokens WHERE id = ?');
      candidates = sel.ids.map((id) => byId.get(id) as Row | undefined)
        .filter((r): r is Row => r !== undefined && r.is_active === 1 && (sel.userId === undefined || r.user_id === sel.userId));
    }
    const mark = db.prepare(`UPDATE api_tokens SET is_active = 0, revoked_at = ?, revoked_by = ?, revoked_by_type = ?, revoke_reason = ?
      WHERE id = ? AND is_active = 1 RETURNING *`);
    const feed = db.prepare(`INSERT INTO revocations (scope, target, expires_at, initiator, reason, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`);
    const owner = db.prepare('SELECT * FROM users WHERE id = ?');
    const enqueue = db.prepare(`INSERT INTO outbox (kind, recipient, subject, body, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)`);
    const revoked: ApiTokenRecord[] = [];
    const records: RevocationRecord[] = [];
    const audits: AuditEventInput[] = [];
    for (const row of candidates) {
      const updated = mark.get(ctx.nowMs, request.revokedBy, ctx.actor.type, ctx.reason, row.id) as Row | undefined;
      if (updated === undefined) continue;
      const token = toApiToken(updated);
      revoked.push(token);
      const entry = apiTokenEntry(token);
      records.push(toRevocation(feed.get(entry.scope, entry.target, entry.expiresAtMs, ctx.initiator, ctx.reason, ctx.note ?? null, ctx.nowMs) as Row));
      audits.push(apiTokenRevokedAudit(token, ctx));
      const ownerRow = owner.get(token.userId) as Row | undefined;
      const message = ownerRow === undefined ? null : request.notify(token, toUser(ownerRow) as UserRecord);
      if (message !== null) enqueue.run(message.kind, message.recipient, message.subject, message.body, ctx.nowMs, ctx.nowMs);
    }
    advanceFeedHead(db, records);
    if (sel.kind === 'all_of_user') audits.push(allApiTokensRevokedAudit(sel.userId, revoked.length, ctx));
    appendAuditRows(db, audits, ctx.nowMs);
    return revoked;
  }).immediate();
}

export function recordApiTokenUseInSqlite(db: SqliteDatabase, uses: ReadonlyArray<{ id: string; atMs: number; ip: string }>): void {
  if (uses.length === 0) return;
  // last_used only moves forward; revoked rows may still record their final use (the trigger allows it).
  const update = db.prepare(`UPDATE api_tokens SET last_used_at = ?, last_used_ip = ?, last_used_ip_hex = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`);
  db.transaction(() => {
    for (const use of uses) update.run(use.atMs, use.ip, ipHex(use.ip) ?? null, use.id, use.atMs);
  }).immediate();
}
