/**
 * A new password for PostgreSQL, and what it ends, in one transaction: the hash (compare-and-set,
 * which takes the user's row lock), its audit row and mail, and — with `endSessions` — the
 * user-scope revocation and the kept session's fresh refresh token. A login on any instance
 * re-checks the hash under that row (createSession, FOR SHARE), so it sees either the old hash
 * and commits before this, or the new one and creates nothing.
 */
import { RevokdError } from '../../core/errors.js';
import { clampRefreshExpiryMs } from '../../core/revocation/refresh-rotation.js';
import type { AuditEventInput } from '../../core/audit/audit-event.js';
import type { OutboxMessage, PasswordSetReport, PasswordUpdate } from '../types.js';
import { appendAuditRows } from './audit-writer.js';
import { readGenerationsIn } from './generations.js';
import { revokeIn } from './revoke.js';
import { toRefresh, toSession } from '../sql/rows.js';
import type { Transaction } from './sql-runner.js';

export async function setUserPasswordIn(
  tx: Transaction, id: string, update: PasswordUpdate, audit: AuditEventInput, mail: OutboxMessage | undefined,
): Promise<PasswordSetReport | undefined> {
  const changed = (update.ifPasswordHash === undefined
    ? await tx.changes('UPDATE users SET password_hash = $1, must_change_password = $2 WHERE id = $3', [update.passwordHash, update.mustChangePassword, id])
    : await tx.changes('UPDATE users SET password_hash = $1, must_change_password = $2 WHERE id = $3 AND password_hash = $4',
      [update.passwordHash, update.mustChangePassword, id, update.ifPasswordHash])) > 0;
  if (!changed) return undefined;
  const end = update.endSessions;
  const kept = end?.keep === undefined ? undefined
    : await tx.one('SELECT * FROM sessions WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3 FOR UPDATE', [end.keep.sessionId, id, update.nowMs]);
  // Throwing rolls the new hash back: a revoked session cannot change the password.
  if (end?.keep !== undefined && kept === undefined) throw new RevokdError('ERR_TOKEN_REVOKED', 'this session has been revoked');
  await appendAuditRows(tx, [audit], update.nowMs);
  if (mail !== undefined) {
    await tx.rows('INSERT INTO outbox (kind, recipient, subject, body, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [mail.kind, mail.recipient, mail.subject, mail.body, update.nowMs, update.nowMs]);
  }
  if (end === undefined) return { revocation: null, kept: null };
  const revocation = await revokeIn(tx, { scope: 'user', userId: id, ...(end.keep === undefined ? {} : { exceptSessionId: end.keep.sessionId }) }, end.context);
  if (end.keep === undefined || kept === undefined) return { revocation, kept: null };
  const session = toSession(kept);
  const gens = await readGenerationsIn(tx, id, session.clientId);
  const r = end.keep.refresh;
  const refresh = await tx.one(`INSERT INTO refresh_tokens (id, session_id, token_hash, parent_id, created_at, expires_at, gen, ugen, cgen)
    VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8) RETURNING *`,
  [r.id, session.id, r.tokenHash, r.createdAtMs, clampRefreshExpiryMs(r.expiresAtMs, session.expiresAtMs), gens.gen, gens.ugen, gens.cgen]);
  return { revocation, kept: { session, refresh: toRefresh(refresh!) } };
}
