/**
 * API token rows for PostgreSQL: creation under a per-user cap, permanent soft revocation (with the
 * once-per-window rate limit checked and recorded in the same commit), batched last use. Carried
 * over from sqlite/api-tokens.ts; the feed entry and audit entries are core rules
 * (core/revocation/api-token-revocation).
 */
import type { AuditEventInput } from '../../core/audit/audit-event.js';
import { allApiTokensRevokedAudit, apiTokenEntry, apiTokenRevokedAudit } from '../../core/revocation/api-token-revocation.js';
import { RevokdError } from '../../core/errors.js';
import { ipHex } from '../../core/containment/ip-address.js';
import type { ApiTokenRecord, ApiTokenRevocation, NewApiToken } from '../types.js';
import { appendAuditRows } from './audit-writer.js';
import { appendFeedRecord } from './feed-writer.js';
import { toApiToken, toUser } from '../sql/rows.js';
import type { Row, SqlRunner, Transaction } from './sql-runner.js';

/**
 * The cap holds across instances: the owner's row is locked (FOR UPDATE) before the live tokens are
 * counted, so two creations for one user count one after the other (the feed lock, taken first,
 * serializes them too; the row lock keeps the rule even without it).
 */
export async function insertApiTokenIn(tx: Transaction, token: NewApiToken, maxLivePerUser: number | null, audit: AuditEventInput): Promise<void> {
  if (maxLivePerUser !== null) {
    await tx.rows('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [token.userId]);
    const { n: live } = (await tx.one<{ n: number }>(`SELECT COUNT(*) AS n FROM api_tokens WHERE user_id = $1 AND is_active AND (expires_at IS NULL OR expires_at > $2)`,
      [token.userId, token.createdAtMs]))!;
    if (live >= maxLivePerUser) throw new RevokdError('ERR_CONFLICT', `you already have ${live} live API tokens (the limit is ${maxLivePerUser}); revoke one first`);
  }
  const createdIp = token.createdIp ?? null;
  await tx.rows(`INSERT INTO api_tokens (id, user_id, name, token_hash, token_prefix, scopes, created_at, expires_at, is_canary, created_ip, created_ip_hex)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, [token.id, token.userId, token.name, token.tokenHash, token.tokenPrefix,
    JSON.stringify(token.scopes), token.createdAtMs, token.expiresAtMs, token.isCanary, createdIp, createdIp === null ? null : ipHex(createdIp) ?? null]);
  await appendAuditRows(tx, [audit], token.createdAtMs);
}

/**
 * The rate window is checked and recorded under a per-key advisory lock, so two instances revoking
 * at once cannot both find it unused.
 */
async function useRateWindow(tx: Transaction, window: NonNullable<ApiTokenRevocation['rateWindow']>, nowMs: number): Promise<void> {
  await tx.rows(`SELECT pg_advisory_xact_lock(hashtext('revokd.rate_window:' || $1))`, [window.key]);
  const last = (await tx.one<{ last_at: number }>('SELECT last_at FROM rate_windows WHERE key = $1', [window.key]))?.last_at;
  if (last !== undefined && nowMs - last < window.windowMs) {
    const waitMs = window.windowMs - (nowMs - last);
    throw new RevokdError('ERR_RATE_LIMITED', 'this can be done once per hour', { retryAfterSeconds: Math.ceil(waitMs / 1000) });
  }
  await tx.rows('INSERT INTO rate_windows (key, last_at) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET last_at = excluded.last_at', [window.key, nowMs]);
}

export async function revokeApiTokensIn(tx: Transaction, request: ApiTokenRevocation): Promise<ApiTokenRecord[]> {
  const ctx = request.context;
  if (request.rateWindow !== undefined) await useRateWindow(tx, request.rateWindow, ctx.nowMs);
  const sel = request.selection;
  let candidates: Row[];
  if (sel.kind === 'all_of_user') {
    candidates = await tx.rows('SELECT * FROM api_tokens WHERE user_id = $1 AND is_active ORDER BY created_at', [sel.userId]);
  } else {
    candidates = [];
    for (const id of sel.ids) {
      const r = await tx.one('SELECT * FROM api_tokens WHERE id = $1', [id]);
      if (r !== undefined && r.is_active === true && (sel.userId === undefined || r.user_id === sel.userId)) candidates.push(r);
    }
  }
  const revoked: ApiTokenRecord[] = [];
  const audits: AuditEventInput[] = [];
  for (const row of candidates) {
    const updated = await tx.one(`UPDATE api_tokens SET is_active = FALSE, revoked_at = $1, revoked_by = $2, revoked_by_type = $3, revoke_reason = $4
      WHERE id = $5 AND is_active RETURNING *`, [ctx.nowMs, request.revokedBy, ctx.actor.type, ctx.reason, row.id]);
    if (updated === undefined) continue;
    const token = toApiToken(updated);
    revoked.push(token);
    await appendFeedRecord(tx, apiTokenEntry(token), ctx);
    audits.push(apiTokenRevokedAudit(token, ctx));
    const ownerRow = await tx.one('SELECT * FROM users WHERE id = $1', [token.userId]);
    const message = ownerRow === undefined ? null : request.notify(token, toUser(ownerRow));
    if (message !== null) {
      await tx.rows(`INSERT INTO outbox (kind, recipient, subject, body, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6)`,
        [message.kind, message.recipient, message.subject, message.body, ctx.nowMs, ctx.nowMs]);
    }
  }
  if (sel.kind === 'all_of_user') audits.push(allApiTokensRevokedAudit(sel.userId, revoked.length, ctx));
  await appendAuditRows(tx, audits, ctx.nowMs);
  return revoked;
}

/**
 * last_used only moves forward; revoked rows may still record their final use (the trigger allows it).
 * Rows are updated in id order, so two instances flushing overlapping batches cannot deadlock.
 */
export async function recordApiTokenUseIn(sql: SqlRunner, uses: ReadonlyArray<{ id: string; atMs: number; ip: string }>): Promise<void> {
  for (const use of [...uses].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    await sql.rows(`UPDATE api_tokens SET last_used_at = $1, last_used_ip = $2, last_used_ip_hex = $3 WHERE id = $4 AND (last_used_at IS NULL OR last_used_at < $1)`,
      [use.atMs, use.ip, ipHex(use.ip) ?? null, use.id]);
  }
}
