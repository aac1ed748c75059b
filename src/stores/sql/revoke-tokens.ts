/**
 * Token revocations (RFC 7009 on an access token: one entry by iss+jti, no session, key or
 * generation) of a group commit in a fixed number of statements, however many members: one read
 * of the entries that already exist, one multi-row feed INSERT, one multi-row audit INSERT. On
 * PostgreSQL each statement is a round trip made while the batch holds the feed lock, so this is
 * what bounds revocation throughput there (docs/performance.md, issue 21).
 *
 * Each member gets exactly the report it would get from revoke.ts run alone, in arrival order: the
 * first member naming a (jti, issuer) writes its entry and audit entry; a later member naming the
 * same one finds the entry existing (changed: false, no record, no audit), as it would after the
 * first committed. Feed records are chained in seq order and audit entries appended in arrival
 * order, each at its own request's time.
 */
import {
  planRevocation,
  revocationAudit,
  revocationChanged,
} from '../../core/revocation/revocation-plan.js';
import type { RevocationContext, RevocationReport, RevocationTarget } from '../types.js';
import { appendAuditAt } from './audit.js';
import { readChainHeads } from './chain-heads.js';
import { appendFeedRecords } from './feed.js';
import { type Proc, type Unit, all } from './procedure.js';
import { tokenEntryExists } from './revoke.js';

export type TokenTarget = Extract<RevocationTarget, { scope: 'token' }>;

export interface TokenRevocation {
  readonly target: TokenTarget;
  readonly context: RevocationContext;
}

export function isTokenRevocation(m: {
  readonly target: RevocationTarget;
}): m is { readonly target: TokenTarget } {
  return m.target.scope === 'token';
}

function entryKey(jti: string, issuer: string | null): string {
  return JSON.stringify([jti, issuer]);
}

export function* revokeTokens(
  u: Unit,
  members: readonly TokenRevocation[],
): Proc<RevocationReport[]> {
  const plans = members.map((m) => planRevocation(m.target));
  const existing = yield* existingEntries(
    u,
    members.map((m) => m.target),
  );
  const writes: number[] = [];
  const existed = members.map((m, i) => {
    const key = entryKey(m.target.jti, m.target.issuer);
    if (existing.has(key)) return true;
    existing.add(key);
    writes.push(i);
    return false;
  });
  // Every write is a change here, so a batch that writes appends to both chains.
  if (writes.length > 0) yield* readChainHeads(u);
  const records = yield* appendFeedRecords(
    u,
    writes.map((i) => ({ input: plans[i]!.entry!, ctx: members[i]!.context })),
  );
  const counts = { sessions: 0, refreshTokens: 0, generation: null };
  const changed = plans.map((plan, i) =>
    revocationChanged(plan.changed, {
      entryExisted: existed[i]!,
      sessionsMarked: 0,
      keyMarked: false,
    }),
  );
  yield* appendAuditAt(
    u,
    members.flatMap((m, i) =>
      changed[i]
        ? [{ event: revocationAudit(plans[i]!, m.context, counts), atMs: m.context.nowMs }]
        : [],
    ),
  );
  return members.map((_, i) => {
    const w = writes.indexOf(i);
    return { ...counts, records: w < 0 ? [] : [records[w]!], changed: changed[i]! };
  });
}

/**
 * The (jti, issuer) keys among `targets` that already have an entry: one statement where arrays
 * bind, else one lookup each (SQLite, where a statement is no round trip).
 */
function* existingEntries(u: Unit, targets: readonly TokenTarget[]): Proc<Set<string>> {
  const found = new Set<string>();
  if (!u.d.arrayParams) {
    for (const t of targets)
      if (yield* tokenEntryExists(t.jti, t.issuer)) found.add(entryKey(t.jti, t.issuer));
    return found;
  }
  const rows = yield* all<{ target: string; issuer: string | null }>(
    `SELECT target, issuer FROM revocations WHERE scope = 'token' AND target = ANY(CAST(? AS TEXT[]))`,
    [[...new Set(targets.map((t) => t.jti))]],
  );
  for (const r of rows) found.add(entryKey(r.target, r.issuer));
  return found;
}
