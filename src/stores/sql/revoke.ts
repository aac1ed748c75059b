/**
 * Revocation writes: the state change, its feed records and its audit entry in one transaction
 * (SQLite: IMMEDIATE; PostgreSQL: holding the feed lock), so an acknowledged revocation is complete
 * and durable. What each scope reaches, writes and audits is decided in
 * core/revocation/revocation-plan; this file only carries the plan out in SQL.
 */
import {
  type FeedEntry,
  type SessionReach,
  generationEntry,
  keyEntry,
  planRevocation,
  revocationAudit,
  revocationChanged,
  sessionEntry,
} from '../../core/revocation/revocation-plan.js';
import type { RevocationRecord } from '../../core/revocation/types.js';
import { unhandled } from '../../core/exhaustive.js';
import type { RevocationContext, RevocationReport, RevocationTarget } from '../types.js';
import { appendAudit } from './audit.js';
import { appendFeedRecord } from './feed.js';
import { bumpGeneration } from './generations.js';
import { LIVE_REFRESH, liveCutoff, liveSession } from './live.js';
import { type Proc, type Unit, all, count, get, run } from './procedure.js';
import { liveSessionIdsInRange } from './session-ips.js';

export function* revoke(
  u: Unit,
  target: RevocationTarget,
  ctx: RevocationContext,
): Proc<RevocationReport> {
  const plan = planRevocation(target);
  const records: RevocationRecord[] = [];
  function* feed(input: FeedEntry): Proc<void> {
    records.push(yield* appendFeedRecord(u, input, ctx));
  }
  let entryExisted = false;
  let keyMarked = false;
  let generation: number | null = null;

  if (plan.entry !== null) {
    entryExisted =
      plan.entry.scope === 'token' &&
      (yield* tokenEntryExists(plan.entry.target, plan.entry.issuer ?? null));
    if (!entryExisted) yield* feed(plan.entry);
  }
  if (plan.generation !== null) {
    generation = yield* bumpGeneration(plan.generation.scope, plan.generation.target);
    yield* feed(generationEntry(plan.generation, generation));
  }
  if (plan.key !== null) {
    keyMarked =
      (yield* run(
        `UPDATE signing_keys SET status = 'revoked', revoked_at = ? WHERE kid = ? AND status <> 'revoked'`,
        [ctx.nowMs, plan.key],
      )) > 0;
    if (keyMarked) yield* feed(keyEntry(plan.key));
  }
  // Mark the sessions revoked too, so listings and the refresh grant agree with the entries.
  const ids = yield* liveSessionIds(plan.sessions, ctx.nowMs);
  const { sessions, refreshTokens } = yield* revokeSessions(
    ids,
    ctx,
    plan.entryPerSession ? feed : null,
  );

  const changed = revocationChanged(plan.changed, {
    entryExisted,
    sessionsMarked: sessions,
    keyMarked,
  });
  if (changed)
    yield* appendAudit(
      u,
      [revocationAudit(plan, ctx, { sessions, refreshTokens, generation })],
      ctx.nowMs,
    );
  return { sessions, refreshTokens, generation, records, changed };
}

/** Whether an entry for this jti and issuer exists (a repeated token revocation changes nothing). */
export function* tokenEntryExists(jti: string, issuer: string | null): Proc<boolean> {
  return (
    (yield* get(
      `SELECT 1 FROM revocations WHERE scope = 'token' AND target = ? AND issuer IS NOT DISTINCT FROM ?`,
      [jti, issuer],
    )) !== undefined
  );
}

/** The live sessions a plan reaches (a named session is passed as is: marking skips it if it is already revoked). */
function* liveSessionIds(reach: SessionReach, nowMs: number): Proc<string[]> {
  switch (reach.kind) {
    case 'none':
      return [];
    case 'one':
      return [reach.sessionId];
    case 'in_range':
      return yield* liveSessionIdsInRange(reach.cidr, nowMs);
    case 'all':
      return (yield* all<{ id: string }>(`SELECT id FROM sessions WHERE ${liveSession()}`, [
        liveCutoff(nowMs),
      ])).map((r) => r.id);
    case 'of_user':
    case 'of_client': {
      const column = reach.kind === 'of_user' ? 'user_id' : 'client_id';
      const id = reach.kind === 'of_user' ? reach.userId : reach.clientId;
      const except = reach.kind === 'of_user' ? reach.exceptSessionId : undefined;
      const ids = (yield* all<{ id: string }>(
        `SELECT id FROM sessions WHERE ${column} = ? AND ${liveSession()}`,
        [id, liveCutoff(nowMs)],
      )).map((r) => r.id);
      return except === undefined ? ids : ids.filter((sid) => sid !== except);
    }
    default:
      return unhandled(reach, 'session reach');
  }
}

/** Marks live sessions revoked; with `feed`, appends one session record each (so replicas drop them). */
function* revokeSessions(
  ids: readonly string[],
  ctx: RevocationContext,
  feed: ((input: FeedEntry) => Proc<void>) | null,
): Proc<{ sessions: number; refreshTokens: number }> {
  let sessions = 0;
  let refreshTokens = 0;
  for (const id of ids) {
    const row = yield* get<{ expires_at: number }>(
      'UPDATE sessions SET revoked_at = ?, revoke_reason = ? WHERE id = ? AND revoked_at IS NULL RETURNING expires_at',
      [ctx.nowMs, ctx.reason, id],
    );
    if (row === undefined) continue;
    sessions++;
    refreshTokens += yield* countLiveRefresh(id, ctx.nowMs);
    if (feed !== null) yield* feed(sessionEntry(id, row.expires_at, ctx.accessCoverMs));
  }
  return { sessions, refreshTokens };
}

/** Refresh tokens of a session still usable at `nowMs` (the count revocations report). */
export function* countLiveRefresh(sessionId: string, nowMs: number): Proc<number> {
  return yield* count(
    `SELECT COUNT(*) AS n FROM refresh_tokens WHERE session_id = ? AND ${LIVE_REFRESH}`,
    [sessionId, liveCutoff(nowMs)],
  );
}
