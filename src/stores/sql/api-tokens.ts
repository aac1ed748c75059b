/**
 * API token rows: creation under a per-user cap, permanent soft revocation (with the
 * once-per-window rate limit checked and recorded in the same commit), batched last use. The feed
 * entry and audit entries are core rules (core/revocation/api-token-revocation).
 */
import type { AuditEventInput } from '../../core/audit/audit-event.js';
import { ipHex } from '../../core/containment/ip-address.js';
import { RevokdError } from '../../core/errors.js';
import {
  allApiTokensRevokedAudit,
  apiTokenEntry,
  apiTokenRevokedAudit,
} from '../../core/revocation/api-token-revocation.js';
import type { ApiTokenRecord, ApiTokenRevocation, NewApiToken } from '../types.js';
import { appendAudit } from './audit.js';
import { appendFeedRecord } from './feed.js';
import { NOT_ENDED, liveCutoff } from './live.js';
import { type Proc, type Row, type Unit, all, count, get, run } from './procedure.js';
import { flag, toApiToken, toUser } from './rows.js';
import { enqueueMail } from './set-user-password.js';

/**
 * The cap holds across instances: the owner's row is locked (FOR UPDATE, where rows lock) before
 * the live tokens are counted, so two creations for one user count one after the other (the feed
 * lock, taken first, serializes them too; the row lock keeps the rule even without it).
 */
export function* createApiToken(
  u: Unit,
  token: NewApiToken,
  limits: { maxLivePerUser: number | null },
  audit: AuditEventInput,
): Proc<void> {
  const { maxLivePerUser } = limits;
  if (maxLivePerUser !== null) {
    if (u.d.locksRows)
      yield* all(`SELECT 1 FROM users WHERE id = ?${u.d.forUpdate}`, [token.userId]);
    const live = yield* count(
      `SELECT COUNT(*) AS n FROM api_tokens WHERE user_id = ? AND ${u.d.isTrue('is_active')} AND ${NOT_ENDED}`,
      [token.userId, liveCutoff(token.createdAtMs)],
    );
    if (live >= maxLivePerUser)
      throw new RevokdError(
        'ERR_CONFLICT',
        `you already have ${live} live API tokens (the limit is ${maxLivePerUser}); revoke one first`,
      );
  }
  const createdIp = token.createdIp ?? null;
  yield* run(
    `INSERT INTO api_tokens (id, user_id, name, token_hash, token_prefix, scopes, created_at, expires_at, is_canary, created_ip, created_ip_hex)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      token.id,
      token.userId,
      token.name,
      token.tokenHash,
      token.tokenPrefix,
      JSON.stringify(token.scopes),
      token.createdAtMs,
      token.expiresAtMs,
      token.isCanary ? 1 : 0,
      createdIp,
      createdIp === null ? null : (ipHex(createdIp) ?? null),
    ],
  );
  yield* appendAudit(u, [audit], token.createdAtMs);
}

/** The rate window is checked and recorded under the dialect's per-key lock, so two instances revoking at once cannot both find it unused. */
function* useRateWindow(
  u: Unit,
  window: NonNullable<ApiTokenRevocation['rateWindow']>,
  nowMs: number,
): Proc<void> {
  yield* u.d.lockRateWindow(window.key);
  const last = yield* rateWindowLastUse(window.key);
  if (last !== undefined && nowMs - last < window.windowMs) {
    const waitMs = window.windowMs - (nowMs - last);
    throw new RevokdError('ERR_RATE_LIMITED', 'this can be done once per hour', {
      retryAfterSeconds: Math.ceil(waitMs / 1000),
    });
  }
  yield* run(
    'INSERT INTO rate_windows (key, last_at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET last_at = excluded.last_at',
    [window.key, nowMs],
  );
}

export function* rateWindowLastUse(key: string): Proc<number | undefined> {
  return (yield* get<{ last_at: number }>('SELECT last_at FROM rate_windows WHERE key = ?', [key]))
    ?.last_at;
}

export function* revokeApiTokens(u: Unit, request: ApiTokenRevocation): Proc<ApiTokenRecord[]> {
  const ctx = request.context;
  if (request.rateWindow !== undefined) yield* useRateWindow(u, request.rateWindow, ctx.nowMs);
  const sel = request.selection;
  let candidates: Row[];
  if (sel.kind === 'all_of_user') {
    candidates = yield* all(
      `SELECT * FROM api_tokens WHERE user_id = ? AND ${u.d.isTrue('is_active')} ORDER BY created_at`,
      [sel.userId],
    );
  } else {
    candidates = [];
    for (const id of sel.ids) {
      const r = yield* get('SELECT * FROM api_tokens WHERE id = ?', [id]);
      if (
        r !== undefined &&
        flag(r.is_active) &&
        (sel.userId === undefined || r.user_id === sel.userId)
      )
        candidates.push(r);
    }
  }
  const revoked: ApiTokenRecord[] = [];
  const audits: AuditEventInput[] = [];
  for (const row of candidates) {
    const updated = yield* get(
      `UPDATE api_tokens SET is_active = ?, revoked_at = ?, revoked_by = ?, revoked_by_type = ?, revoke_reason = ?
      WHERE id = ? AND ${u.d.isTrue('is_active')} RETURNING *`,
      [0, ctx.nowMs, request.revokedBy, ctx.actor.type, ctx.reason, row.id],
    );
    if (updated === undefined) continue;
    const token = toApiToken(updated);
    revoked.push(token);
    yield* appendFeedRecord(u, apiTokenEntry(token), ctx);
    audits.push(apiTokenRevokedAudit(token, ctx));
    const ownerRow = yield* get('SELECT * FROM users WHERE id = ?', [token.userId]);
    const message = ownerRow === undefined ? null : request.notify(token, toUser(ownerRow));
    if (message !== null) yield* enqueueMail(message, ctx.nowMs);
  }
  if (sel.kind === 'all_of_user')
    audits.push(allApiTokensRevokedAudit(sel.userId, revoked.length, ctx));
  yield* appendAudit(u, audits, ctx.nowMs);
  return revoked;
}

/**
 * last_used only moves forward; revoked rows may still record their final use (the trigger allows it).
 * Rows are updated in id order, so two instances flushing overlapping batches cannot deadlock.
 */
export function* recordApiTokenUse(
  uses: ReadonlyArray<{ id: string; atMs: number; ip: string }>,
): Proc<void> {
  for (const use of [...uses].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    yield* run(
      `UPDATE api_tokens SET last_used_at = ?, last_used_ip = ?, last_used_ip_hex = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
      [use.atMs, use.ip, ipHex(use.ip) ?? null, use.id, use.atMs],
    );
  }
}
