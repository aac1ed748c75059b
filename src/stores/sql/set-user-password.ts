/**
 * A new password, and what it ends, in one transaction: the hash (compare-and-set, which on
 * PostgreSQL takes the user's row lock), its audit row and mail, and — with `endSessions` — the
 * user-scope revocation and the kept session's fresh refresh token. One commit, so no login,
 * refresh or crash can fall between the new hash and the end of what the old one opened: a login
 * re-checks the hash in its own transaction (sessions.ts createSession), so it sees either the old
 * hash and commits before this, or the new one and creates nothing.
 */
import type { AuditEventInput } from '../../core/audit/audit-event.js';
import { RevokdError } from '../../core/errors.js';
import type { OutboxMessage, PasswordSetReport, PasswordUpdate } from '../types.js';
import { appendAudit } from './audit.js';
import { readGenerations } from './generations.js';
import { liveCutoff, liveSession } from './live.js';
import { type Proc, type Unit, get, run } from './procedure.js';
import { revoke } from './revoke.js';
import { toSession } from './rows.js';
import { insertRefreshToken } from './sessions.js';

export function* setUserPassword(
  u: Unit,
  id: string,
  update: PasswordUpdate,
  audit: AuditEventInput,
  mail: OutboxMessage | undefined,
): Proc<PasswordSetReport | undefined> {
  const flag = update.mustChangePassword ? 1 : 0;
  const changed =
    (update.ifPasswordHash === undefined
      ? yield* run('UPDATE users SET password_hash = ?, must_change_password = ? WHERE id = ?', [
          update.passwordHash,
          flag,
          id,
        ])
      : yield* run(
          'UPDATE users SET password_hash = ?, must_change_password = ? WHERE id = ? AND password_hash = ?',
          [update.passwordHash, flag, id, update.ifPasswordHash],
        )) > 0;
  if (!changed) return undefined;
  const end = update.endSessions;
  const kept =
    end?.keep === undefined
      ? undefined
      : yield* get(
          `SELECT * FROM sessions WHERE id = ? AND user_id = ? AND ${liveSession()}${u.d.forUpdate}`,
          [end.keep.sessionId, id, liveCutoff(update.nowMs)],
        );
  // Throwing rolls the new hash back: a revoked session cannot change the password.
  if (end?.keep !== undefined && kept === undefined)
    throw new RevokdError('ERR_TOKEN_REVOKED', 'this session has been revoked');
  yield* appendAudit(u, [audit], update.nowMs);
  if (mail !== undefined) yield* enqueueMail(mail, update.nowMs);
  if (end === undefined) return { revocation: null, kept: null };
  const revocation = yield* revoke(
    u,
    {
      scope: 'user',
      userId: id,
      ...(end.keep === undefined ? {} : { exceptSessionId: end.keep.sessionId }),
    },
    end.context,
  );
  if (end.keep === undefined || kept === undefined) return { revocation, kept: null };
  const session = toSession(kept);
  const gens = yield* readGenerations(id, session.clientId);
  const refresh = yield* insertRefreshToken(end.keep.refresh, null, session, gens);
  return { revocation, kept: { session, refresh } };
}

/** Queues a message in the outbox, in the caller's transaction (sent after commit by the outbox worker). */
export function* enqueueMail(mail: OutboxMessage, nowMs: number): Proc<void> {
  yield* run(
    'INSERT INTO outbox (kind, recipient, subject, body, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)',
    [mail.kind, mail.recipient, mail.subject, mail.body, nowMs, nowMs],
  );
}
