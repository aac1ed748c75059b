/**
 * Refresh rotation for PostgreSQL, atomic across instances: the token row is locked
 * (`SELECT … FOR UPDATE`) and consumed_at is checked under that lock, then the compare-and-set on
 * `consumed_at IS NULL` and the successor insert commit together. Of N concurrent callers on any
 * number of pools exactly one rotates; the others wait for the row lock, then (READ COMMITTED
 * re-reads the row) see it consumed and get `already_consumed`. When a token may rotate and how
 * long its successor lives are core rules (core/revocation/refresh-rotation).
 */
import { clampRefreshExpiryMs, rotationRefusal } from '../../core/revocation/refresh-rotation.js';
import type { ConsumeOutcome, ConsumeRefreshInput } from '../types.js';
import { appendAuditRows } from './audit-writer.js';
import { readGenerationsIn } from './generations.js';
import { toRefresh, toSession } from '../sql/rows.js';
import { insertSessionIp } from './session-ips.js';
import type { Transaction } from './sql-runner.js';

export async function consumeRefreshIn(tx: Transaction, input: ConsumeRefreshInput): Promise<ConsumeOutcome> {
  const tokenRow = await tx.one('SELECT * FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE', [input.tokenHash]);
  if (tokenRow === undefined) return { kind: 'unknown' };
  const token = toRefresh(tokenRow);
  const session = toSession((await tx.one('SELECT * FROM sessions WHERE id = $1', [token.sessionId]))!);
  const gens = await readGenerationsIn(tx, session.userId ?? session.clientId, session.clientId);
  const userDisabled = session.userId !== null
    && await tx.one('SELECT 1 FROM users WHERE id = $1 AND disabled_at IS NULL', [session.userId]) === undefined;
  const refusal = rotationRefusal(token, session, input.nowMs, { userDisabled, stamped: token, current: gens });
  if (refusal === 'already_consumed') {
    const successorRow = token.successorId === null ? undefined : await tx.one('SELECT * FROM refresh_tokens WHERE id = $1', [token.successorId]);
    return { kind: 'already_consumed', token, successor: successorRow === undefined ? undefined : toRefresh(successorRow), session };
  }
  if (refusal === 'expired') return { kind: 'expired', token };
  if (refusal === 'session_inactive') return { kind: 'session_inactive', token, session };

  const consumed = await tx.one(`UPDATE refresh_tokens SET consumed_at = $1, successor_id = $2, successor_sealed = $3
    WHERE id = $4 AND consumed_at IS NULL RETURNING *`, [input.nowMs, input.successor.id, input.successorSealed, token.id]);
  if (consumed === undefined) throw new Error('refresh token consumed concurrently although its row is locked');
  const s = input.successor;
  const expiresAtMs = clampRefreshExpiryMs(s.expiresAtMs, session.expiresAtMs);
  const successorRow = await tx.one(`INSERT INTO refresh_tokens (id, session_id, token_hash, parent_id, created_at, expires_at, gen, ugen, cgen)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`, [s.id, session.id, s.tokenHash, token.id, s.createdAtMs, expiresAtMs, gens.gen, gens.ugen, gens.cgen]);
  const updatedSession = await tx.one('UPDATE sessions SET last_used_at = $1, last_ip = $2 WHERE id = $3 RETURNING *', [input.nowMs, input.ip, session.id]);
  await insertSessionIp(tx, session.id, input.ip, input.nowMs);
  await appendAuditRows(tx, [input.audit], input.nowMs);
  return { kind: 'rotated', consumed: toRefresh(consumed), successor: toRefresh(successorRow!), session: toSession(updatedSession!) };
}
