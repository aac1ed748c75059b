/**
 * A new password for SQLite, and what it ends, in one IMMEDIATE transaction: the hash
 * (compare-and-set), its audit row and mail, and — with `endSessions` — the user-scope revocation
 * and the kept session's fresh refresh token. One commit, so no login, refresh or crash can fall
 * between the new hash and the end of what the old one opened.
 */
import { RevokdError } from '../../core/errors.js';
import { clampRefreshExpiryMs } from '../../core/revocation/refresh-rotation.js';
import type { AuditEventInput } from '../../core/audit/audit-event.js';
import type { OutboxMessage, PasswordSetReport, PasswordUpdate, RevocationReport } from '../types.js';
import { appendAuditRows } from './audit-writer.js';
import { readGenerationsIn } from './generations.js';
import type { SqliteDatabase } from './open-database.js';
import { revokeInSqlite } from './revoke.js';
import { toRefresh, toSession } from '../sql/rows.js';

type Row = Record<string, unknown>;

export function setUserPasswordInSqlite(
  db: SqliteDatabase, id: string, update: PasswordUpdate, audit: AuditEventInput, mail: OutboxMessage | undefined,
): PasswordSetReport | undefined {
  return db.transaction((): PasswordSetReport | undefined => {
    const flag = update.mustChangePassword ? 1 : 0;
    const result = update.ifPasswordHash === undefined
      ? db.prepare('UPDATE users SET password_hash = ?, must_change_password = ? WHERE id = ?').run(update.passwordHash, flag, id)
      : db.prepare('UPDATE users SET password_hash = ?, must_change_password = ? WHERE id = ? AND password_hash = ?')
        .run(update.passwordHash, flag, id, update.ifPasswordHash);
    if (result.changes === 0) return undefined;
    const end = update.endSessions;
    const kept = end?.keep === undefined ? undefined
      : db.prepare('SELECT * FROM sessions WHERE id = ? AND user_id = ? AND revoked_at IS NULL AND expires_at > ?').get(end.keep.sessionId, id, update.nowMs) as Row | undefined;
    // Throwing rolls the new hash back: a revoked session cannot change the password.
    if (end?.keep !== undefined && kept === undefined) throw new RevokdError('ERR_TOKEN_REVOKED', 'this session has been revoked');
    appendAuditRows(db, [audit], update.nowMs);
    if (mail !== undefined) {
      db.prepare('INSERT INTO outbox (kind, recipient, subject, body, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(mail.kind, mail.recipient, mail.subject, mail.body, update.nowMs, update.nowMs);
    }
    if (end === undefined) return { revocation: null, kept: null };
    const revocation: RevocationReport = revokeInSqlite(db, { scope: 'user', userId: id, ...(end.keep === undefined ? {} : { exceptSessionId: end.keep.sessionId }) }, end.context);
    if (end.keep === undefined || kept === undefined) return { revocation, kept: null };
    const session = toSession(kept);
    const gens = readGenerationsIn(db, id, session.clientId);
    const r = end.keep.refresh;
    const refresh = db.prepare(`INSERT INTO refresh_tokens (id, session_id, token_hash, parent_id, created_at, expires_at, gen, ugen, cgen)
      VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?) RETURNING *`)
      .get(r.id, session.id, r.tokenHash, r.createdAtMs, clampRefreshExpiryMs(r.expiresAtMs, session.expiresAtMs), gens.gen, gens.ugen, gens.cgen) as Row;
    return { revocation, kept: { session, refresh: toRefresh(refresh) } };
  }).immediate();
}
