/**
 * Refresh rotation for SQLite: the compare-and-set on `consumed_at IS NULL` and the successor insert
 * happen in one IMMEDIATE transaction, so of N concurrent callers (in any number of processes)
 * exactly one rotates; the others see the token as already consumed. The user's disabled flag and the
 * generations are read in that transaction too (a remedy committed anywhere wins). When a token may rotate and
 * how long its successor lives are core rules (core/revocation/refresh-rotation).
 */
import { clampRefreshExpiryMs, rotationRefusal } from '../../core/revocation/refresh-rotation.js';
import { appendAuditRows } from './audit-writer.js';
import { insertSessionIp } from './session-ips.js';
import type { SqliteDatabase } from './open-database.js';
import { toRefresh, toSession } from '../sql/rows.js';
import { readGenerationsIn } from './generations.js';
import type { ConsumeOutcome, ConsumeRefreshInput } from '../types.js';

export function consumeRefreshInSqlite(db: SqliteDatabase, input: ConsumeRefreshInput): ConsumeOutcome {
  return db.transaction((): ConsumeOutcome => {
    const tokenRow = db.prepare('SELECT * FROM refresh_tokens WHERE token_hash = ?').get(input.tokenHash) as Record<string, unknown> | undefined;
    if (tokenRow === undefined) return { kind: 'unknown' };
    const token = toRefresh(tokenRow);
    const session = toSession(db.prepare('SELECT * FROM sessions WHERE id = ?').get(token.sessionId) as Record<string, unknown>);
    const gens = readGenerationsIn(db, session.userId ?? session.clientId, session.clientId);
    const userDisabled = session.userId !== null
      && db.prepare('SELECT 1 FROM users WHERE id = ? AND disabled_at IS NULL').get(session.userId) === undefined;
    const refusal = rotationRefusal(token, session, input.nowMs, { userDisabled, stamped: token, current: gens });
    if (refusal === 'already_consumed') {
      const successorRow = token.successorId === null ? undefined
        : (db.prepare('SELECT * FROM refresh_tokens WHERE id = ?').get(token.successorId) as Record<string, unknown> | undefined);
      return { kind: 'already_consumed', token, successor: successorRow === undefined ? undefined : toRefresh(successorRow), session };
    }
    if (refusal === 'expired') return { kind: 'expired', token };
    if (refusal === 'session_inactive') return { kind: 'session_inactive', token, session };

    const consumed = db.prepare(`UPDATE refresh_tokens SET consumed_at = ?, successor_id = ?, successor_sealed = ?
      WHERE id = ? AND consumed_at IS NULL RETURNING *`).get(input.nowMs, input.successor.id, input.successorSealed, token.id) as Record<string, unknown> | undefined;
    if (consumed === undefined) throw new Error('refresh token consumed concurrently inside an immediate transaction');
    const s = input.successor;
    const expiresAtMs = clampRefreshExpiryMs(s.expiresAtMs, session.expiresAtMs);
    const successorRow = db.prepare(`INSERT INTO refresh_tokens (id, session_id, token_hash, parent_id, created_at, expires_at, gen, ugen, cgen)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`).get(s.id, session.id, s.tokenHash, token.id, s.createdAtMs, expiresAtMs, gens.gen, gens.ugen, gens.cgen) as Record<string, unknown>;
    const updatedSession = db.prepare('UPDATE sessions SET last_used_at = ?, last_ip = ? WHERE id = ? RETURNING *').get(input.nowMs, input.ip, session.id) as Record<string, unknown>;
    insertSessionIp(db, session.id, input.ip, input.nowMs);
    appendAuditRows(db, [input.audit], input.nowMs);
    return { kind: 'rotated', consumed: toRefresh(consumed), successor: toRefresh(successorRow), session: toSession(updatedSession) };
  }).immediate();
}
