/** Sessions and refresh tokens: login (createSession), refresh rotation (consumeRefresh), counting live refresh tokens. */
import { matchClientSecret } from '../../core/client-secret-match.js';
import { RevokdError } from '../../core/errors.js';
import { clampRefreshExpiryMs, rotationRefusal } from '../../core/revocation/refresh-rotation.js';
import type {
  ConsumeOutcome,
  ConsumeRefreshInput,
  Generations,
  NewRefreshToken,
  NewSession,
  RefreshTokenRecord,
} from '../types.js';
import { appendAudit } from './audit.js';
import { readGenerations } from './generations.js';
import { LIVE_REFRESH, liveCutoff } from './live.js';
import { type Proc, type Unit, count, get, run } from './procedure.js';
import { countLiveRefresh } from './revoke.js';
import { toClient, toRefresh, toSession } from './rows.js';
import { insertSessionIp } from './session-ips.js';

/**
 * A login: the session, its first address, its first refresh token stamped with the generations
 * current at commit, and its audit entry, after re-checking the login's preconditions in the same
 * transaction. On PostgreSQL the rows they read are taken FOR SHARE: a disable, a new password hash,
 * a secret rotation or a client disable in flight on any instance is waited for, then (READ
 * COMMITTED) the condition is re-checked on the row as that commit left it — so the revocation that
 * follows such a change is numbered after the generations this session is stamped with, and covers
 * it. On SQLite the IMMEDIATE transaction already keeps every other writer out.
 */
export function* createSession(u: Unit, input: NewSession): Proc<Generations> {
  const s = input.session;
  if (input.clientSecret !== undefined)
    yield* assertClientSecretStillGood(u, s.clientId, input.clientSecret);
  if (
    input.ifUserUnchanged !== undefined &&
    (yield* get(
      `SELECT 1 FROM users WHERE id = ? AND disabled_at IS NULL AND password_hash = ?${u.d.forShare}`,
      [s.userId, input.ifUserUnchanged.passwordHash],
    )) === undefined
  ) {
    throw new RevokdError(
      'ERR_CONFLICT',
      'the user was disabled or their password replaced since it was checked',
    );
  }
  yield* run(
    `INSERT INTO sessions (id, user_id, client_id, created_at, last_used_at, expires_at, ip, last_ip, user_agent, scope)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      s.id,
      s.userId,
      s.clientId,
      s.createdAtMs,
      s.createdAtMs,
      s.expiresAtMs,
      s.ip,
      s.ip,
      s.userAgent,
      s.scope,
    ],
  );
  yield* insertSessionIp(s.id, s.ip, s.createdAtMs);
  const gens = yield* readGenerations(s.userId ?? s.clientId, s.clientId);
  if (input.refresh !== null) yield* insertRefreshToken(input.refresh, null, s, gens);
  yield* appendAudit(u, [input.audit], s.createdAtMs);
  return gens;
}

/**
 * The commit-time re-check of a client secret (NewSession.clientSecret): it was verified before the
 * transaction began, and a rotation or a disable may have committed since. Throws
 * ERR_INVALID_CLIENT (the transaction rolls back) unless the hash still authenticates the client.
 */
function* assertClientSecretStillGood(
  u: Unit,
  clientId: string,
  check: { readonly hash: string; readonly nowMs: number },
): Proc<void> {
  const row = yield* get(`SELECT * FROM clients WHERE id = ?${u.d.forShare}`, [clientId]);
  if (
    row === undefined ||
    matchClientSecret(toClient(row), check.hash, check.nowMs) === undefined
  ) {
    throw new RevokdError('ERR_INVALID_CLIENT', 'client authentication failed');
  }
}

/**
 * Refresh rotation, atomic across processes and instances: the token row is read under a lock
 * (PostgreSQL: FOR UPDATE; SQLite: the IMMEDIATE transaction) and the compare-and-set on
 * `consumed_at IS NULL` and the successor insert commit together. Of N concurrent callers exactly
 * one rotates; the others see the token as already consumed. The user's disabled flag and the
 * generations are read in that transaction too (a remedy committed anywhere wins). When a token may
 * rotate and how long its successor lives are core rules (core/revocation/refresh-rotation).
 */
export function* consumeRefresh(u: Unit, input: ConsumeRefreshInput): Proc<ConsumeOutcome> {
  const tokenRow = yield* get(`SELECT * FROM refresh_tokens WHERE token_hash = ?${u.d.forUpdate}`, [
    input.tokenHash,
  ]);
  if (tokenRow === undefined) return { kind: 'unknown' };
  const token = toRefresh(tokenRow);
  const session = toSession(
    (yield* get('SELECT * FROM sessions WHERE id = ?', [token.sessionId]))!,
  );
  const gens = yield* readGenerations(session.userId ?? session.clientId, session.clientId);
  const userDisabled =
    session.userId !== null &&
    (yield* get('SELECT 1 FROM users WHERE id = ? AND disabled_at IS NULL', [session.userId])) ===
      undefined;
  const refusal = rotationRefusal(token, session, input.nowMs, {
    userDisabled,
    stamped: token,
    current: gens,
  });
  if (refusal === 'already_consumed') {
    const successorRow =
      token.successorId === null
        ? undefined
        : yield* get('SELECT * FROM refresh_tokens WHERE id = ?', [token.successorId]);
    return {
      kind: 'already_consumed',
      token,
      successor: successorRow === undefined ? undefined : toRefresh(successorRow),
      session,
    };
  }
  if (refusal === 'expired') return { kind: 'expired', token };
  if (refusal === 'session_inactive') return { kind: 'session_inactive', token, session };

  const consumed = yield* get(
    `UPDATE refresh_tokens SET consumed_at = ?, successor_id = ?, successor_sealed = ?
    WHERE id = ? AND consumed_at IS NULL RETURNING *`,
    [input.nowMs, input.successor.id, input.successorSealed, token.id],
  );
  if (consumed === undefined)
    throw new Error('refresh token consumed concurrently although its row is locked');
  const successor = yield* insertRefreshToken(input.successor, token.id, session, gens);
  const updatedSession = yield* get(
    'UPDATE sessions SET last_used_at = ?, last_ip = ? WHERE id = ? RETURNING *',
    [input.nowMs, input.ip, session.id],
  );
  yield* insertSessionIp(session.id, input.ip, input.nowMs);
  yield* appendAudit(u, [input.audit], input.nowMs);
  const updated = toSession(updatedSession!);
  return { kind: 'rotated', consumed: toRefresh(consumed), successor, session: updated };
}

/**
 * A refresh token row in `session`, stamped with `gens` (the generations current in this
 * transaction), never outliving the session (core/revocation/refresh-rotation).
 */
export function* insertRefreshToken(
  r: NewRefreshToken,
  parent: string | null,
  s: { readonly id: string; readonly expiresAtMs: number },
  gens: Generations,
): Proc<RefreshTokenRecord> {
  const sql = `INSERT INTO refresh_tokens (id, session_id, token_hash, parent_id, created_at,
    expires_at, gen, ugen, cgen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`;
  const { gen, ugen, cgen } = gens;
  const ends = clampRefreshExpiryMs(r.expiresAtMs, s.expiresAtMs);
  const params = [r.id, s.id, r.tokenHash, parent, r.createdAtMs, ends, gen, ugen, cgen];
  return toRefresh((yield* get(sql, params))!);
}

/** The same test revoke() counts with, over the distinct sessions: one statement where arrays bind, else one per session (no unbounded IN list). */
export function* countLiveRefreshTokens(
  u: Unit,
  sessionIds: readonly string[],
  nowMs: number,
): Proc<number> {
  const ids = [...new Set(sessionIds)];
  if (u.d.arrayParams) {
    return yield* count(
      `SELECT COUNT(*) AS n FROM refresh_tokens WHERE session_id = ANY(CAST(? AS TEXT[])) AND ${LIVE_REFRESH}`,
      [ids, liveCutoff(nowMs)],
    );
  }
  let total = 0;
  for (const id of ids) total += yield* countLiveRefresh(id, nowMs);
  return total;
}
