/**
 * Read models of the security API (/api/v1/security, routes/security.ts) and the security console
 * (/admin, routes/web-admin.ts): what each page or response reads from the store, in one place, so
 * a route only translates HTTP to a call here and the result to JSON or an HTML page. Nothing here
 * writes (acknowledging an alert, blocking, revoking live in alerts.ts, ip-blocks.ts, revoke-user.ts).
 */
import {
  type AuditEntry,
  type AuditEventType,
  type ChainVerification,
} from '../../core/audit/audit-event.js';
import { UUID_PATTERN } from '../../core/ids.js';
import { isLiveAt } from '../../core/revocation/entry-lifetime.js';
import type {
  AlertCounts,
  AlertQuery,
  AlertRecord,
  ApiTokenRecord,
  IpBlockRecord,
  SessionRecord,
  UserRecord,
} from '../../stores/types.js';
import type { AppContext, UsesStores } from '../context.js';
import { type ChainHead, auditEntries } from './audit-verify.js';
import type { AuditCheckpoint } from './audit-trail.js';

type ViewContext = Pick<AppContext, 'now'> & UsesStores<'records' | 'audit' | 'containment'>;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

// ---- Users ----------------------------------------------------------------------------------

/** A user by id (any case); undefined when unknown or when `id` is not a UUID. */
export async function findUserById(ctx: ViewContext, id: string): Promise<UserRecord | undefined> {
  return UUID_PATTERN.test(id) ? ctx.stores.records.findUserById(id.toLowerCase()) : undefined;
}

/** A user by email (when the text holds an @) or by id; undefined otherwise. */
export async function findUserByEmailOrId(
  ctx: ViewContext,
  text: string,
): Promise<UserRecord | undefined> {
  return text.includes('@') ? ctx.stores.records.findUserByEmail(text) : findUserById(ctx, text);
}

/** Resolves user ids to emails for display, one lookup per id (a lookup lives as long as one view). */
export function emailLookup(
  ctx: ViewContext,
): (id: string | null | undefined) => Promise<string | undefined> {
  const cache = new Map<string, Promise<UserRecord | undefined>>();
  return async (id) => {
    if (id === null || id === undefined || !UUID_PATTERN.test(id)) return undefined;
    let found = cache.get(id);
    if (found === undefined) {
      found = ctx.stores.records.findUserById(id);
      cache.set(id, found);
    }
    return (await found)?.email;
  };
}

export interface UserListRow {
  readonly user: UserRecord;
  readonly liveSessions: number;
  /** Active API tokens, canaries left out. */
  readonly liveApiTokens: number;
}

/** A page of users (search by email), each with what it holds; `hasMore` when another page follows. */
export async function usersWithHoldings(
  ctx: ViewContext,
  query: { search: string; offset: number; pageSize: number },
): Promise<{ rows: UserListRow[]; hasMore: boolean }> {
  const { search, offset, pageSize } = query;
  const users = await ctx.stores.records.listUsers({
    limit: pageSize + 1,
    offset,
    ...(search === '' ? {} : { search }),
  });
  const nowMs = ctx.now();
  const rows = await Promise.all(
    users.slice(0, pageSize).map(async (user) => ({
      user,
      liveSessions: (await ctx.stores.records.listLiveSessions(user.id, nowMs)).length,
      liveApiTokens: (await ctx.stores.records.listApiTokens(user.id)).filter(
        (t) => t.isActive && !t.isCanary,
      ).length,
    })),
  );
  return { rows, hasMore: users.length > pageSize };
}

export interface UserActivity {
  readonly user: UserRecord;
  readonly sessions: SessionRecord[];
  readonly apiTokens: ApiTokenRecord[];
  readonly failedLoginsLastHour: number;
  /** The user's most recent audit entries, at most `auditLimit`. */
  readonly recentAudit: AuditEntry[];
}

/** What a user holds (live sessions, API tokens) and did (failed logins, recent audit); undefined: no such user. */
export async function userActivity(
  ctx: Pick<AppContext, 'now' | 'counters'> & UsesStores<'records' | 'audit'>,
  userId: string,
  auditLimit: number,
): Promise<UserActivity | undefined> {
  const user = await ctx.stores.records.findUserById(userId.toLowerCase());
  if (user === undefined) return undefined;
  const nowMs = ctx.now();
  const sessions = await ctx.stores.records.listLiveSessions(user.id, nowMs);
  const apiTokens = await ctx.stores.records.listApiTokens(user.id);
  const failures = await ctx.counters.readCounter(`login_fail:user:${user.id}`, HOUR_MS, nowMs);
  const recentAudit = await ctx.stores.audit.listAuditForUser(user.id, auditLimit);
  return { user, sessions, apiTokens, failedLoginsLastHour: failures.count, recentAudit };
}

// ---- IP blocks ------------------------------------------------------------------------------

/** Whether a block is in force at `nowMs`: not lifted, not expired. */
export function blockIsActive(b: IpBlockRecord, nowMs: number): boolean {
  return b.liftedAtMs === null && isLiveAt(b.expiresAtMs, nowMs);
}

/** Active blocks (every block when `all`), newest first, with the time they were judged at. */
export async function listBlocks(
  ctx: ViewContext,
  all: boolean,
): Promise<{ nowMs: number; blocks: IpBlockRecord[] }> {
  const nowMs = ctx.now();
  return { nowMs, blocks: await ctx.stores.containment.listIpBlocks(all ? null : nowMs) };
}

/** One block, if it is still active (a single read by id); undefined when unknown, lifted or expired. */
export async function findActiveBlock(
  ctx: ViewContext,
  id: string,
): Promise<IpBlockRecord | undefined> {
  if (!UUID_PATTERN.test(id)) return undefined;
  const nowMs = ctx.now();
  const block = await ctx.stores.containment.findIpBlock(id.toLowerCase());
  return block !== undefined && blockIsActive(block, nowMs) ? block : undefined;
}

/** How many blocks are active, in all and by source (manual, automatic, ...). */
export async function activeBlockCounts(
  ctx: ViewContext,
  nowMs: number,
): Promise<{ active: number; bySource: Record<string, number> }> {
  const active = await ctx.stores.containment.listIpBlocks(nowMs);
  const bySource: Record<string, number> = {};
  for (const b of active) bySource[b.source] = (bySource[b.source] ?? 0) + 1;
  return { active: active.length, bySource };
}

// ---- Alerts ---------------------------------------------------------------------------------

/** Alerts, newest first, filtered and paged as asked. */
export function listAlerts(ctx: ViewContext, query: AlertQuery): Promise<AlertRecord[]> {
  return ctx.stores.containment.listAlerts(query);
}

/** Alerts by severity: how many in all, how many not acknowledged. */
export function alertCounts(ctx: ViewContext): Promise<AlertCounts> {
  return ctx.stores.containment.countAlerts();
}

// ---- Audit log ------------------------------------------------------------------------------

const sumCounts = (counts: Partial<Record<AuditEventType, number>>): number =>
  Object.values(counts).reduce((n, c) => n + (c ?? 0), 0);

export interface AuditSummary {
  readonly nowMs: number;
  /** The start of the last 24 hours. */
  readonly since: number;
  readonly lastDay: {
    readonly total: number;
    readonly byType: Partial<Record<AuditEventType, number>>;
  };
  readonly allTime: {
    readonly total: number;
    readonly byType: Partial<Record<AuditEventType, number>>;
  };
  readonly verification: ChainVerification;
  /** The log's real head (its last entry). */
  readonly head: ChainHead;
  /** The last entry that verified: the head itself when the chain holds. */
  readonly verified: ChainHead;
}

/** Counts by type (the last day, all time) and the chain's state, verified forward from the last verified head. */
export async function auditSummary(
  ctx: Pick<AppContext, 'now' | 'audit'> & UsesStores<'audit'>,
): Promise<AuditSummary> {
  const nowMs = ctx.now();
  const since = nowMs - DAY_MS;
  const lastDay = await ctx.stores.audit.countAuditByType(since);
  const allTime = await ctx.stores.audit.countAuditByType(null);
  // Forward from the last verified head: a dashboard refresh must not re-read the whole log.
  const verification = await ctx.audit.verifyForward(ctx.stores.audit);
  const verified = verification.head;
  // A chain that verified was read to its end: its verified head is the log's head. A broken one
  // stopped early, so the log's real head (its last entry) is read on its own.
  const last = verification.result.ok ? undefined : await ctx.stores.audit.lastAuditEntry();
  const head = last === undefined ? verified : { seq: last.seq, hash: last.hash };
  return {
    nowMs,
    since,
    lastDay: { total: sumCounts(lastDay), byType: lastDay },
    allTime: { total: sumCounts(allTime), byType: allTime },
    verification: verification.result,
    head,
    verified,
  };
}

/** A page of the log, oldest first, after `afterSeq`. */
export function auditPage(
  ctx: ViewContext,
  query: { afterSeq: number; limit: number; type?: AuditEventType },
): Promise<AuditEntry[]> {
  return ctx.stores.audit.listAudit(query);
}

/** The state of the chain, verified forward from the last verified head (the console's banner). */
export async function auditChainState(
  ctx: Pick<AppContext, 'audit'> & UsesStores<'audit'>,
): Promise<ChainVerification & { readonly headSeq: number }> {
  const verification = await ctx.audit.verifyForward(ctx.stores.audit);
  return { ...verification.result, headSeq: verification.head.seq };
}

/** The whole chain verified from the genesis; with `expectHead` (a checkpoint), also that it still holds that head. */
export async function verifyAuditChain(
  ctx: Pick<AppContext, 'audit'> & UsesStores<'audit'>,
  expectHead: ChainHead | undefined,
): Promise<ChainVerification> {
  const { result } = await ctx.audit.verifyAll(
    ctx.stores.audit,
    expectHead === undefined ? {} : { expectHead },
  );
  return result;
}

/** A signed checkpoint of the verified head; undefined while the chain does not verify. */
export function auditCheckpoint(
  ctx: Pick<AppContext, 'audit' | 'now'> & UsesStores<'audit'>,
): Promise<AuditCheckpoint | undefined> {
  return ctx.audit.checkpoint(ctx.stores.audit, ctx.now());
}

/** A user's audit entries, newest first, of one type or all, paged by offset within the last `window` entries. */
export async function userAuditPage(
  ctx: ViewContext,
  userId: string,
  query: { type: AuditEventType | undefined; offset: number; pageSize: number; window: number },
): Promise<{ entries: AuditEntry[]; hasMore: boolean }> {
  const { type, offset, pageSize } = query;
  const all = (await ctx.stores.audit.listAuditForUser(userId, query.window)).filter(
    (e) => type === undefined || e.type === type,
  );
  return { entries: all.slice(offset, offset + pageSize), hasMore: all.length > offset + pageSize };
}

/**
 * One page of the log, newest first, `offset` entries from the newest. The store pages forward by
 * seq, so the page's position is found from the per-type counts; without a type filter the seqs of
 * an intact chain are 1..N and the page is read directly, otherwise the matching entries are walked.
 */
export async function auditNewestFirst(
  ctx: ViewContext,
  query: { type: AuditEventType | undefined; offset: number; pageSize: number },
): Promise<{ entries: AuditEntry[]; hasMore: boolean }> {
  const { type, offset, pageSize } = query;
  const counts = await ctx.stores.audit.countAuditByType(null);
  const total = type === undefined ? sumCounts(counts) : (counts[type] ?? 0);
  const end = total - offset;
  if (end <= 0) return { entries: [], hasMore: false };
  const start = Math.max(0, end - pageSize);
  if (type === undefined) {
    const page = await ctx.stores.audit.listAudit({ afterSeq: start, limit: end - start });
    if (page[0]?.seq === start + 1 && page.length === end - start)
      return { entries: page.reverse(), hasMore: start > 0 };
  }
  const window: AuditEntry[] = [];
  let index = 0;
  for await (const entry of auditEntries(ctx.stores.audit, type === undefined ? {} : { type })) {
    if (index >= start && index < end) window.push(entry);
    index++;
    if (index >= end) break;
  }
  return { entries: window.reverse(), hasMore: start > 0 };
}
