/**
 * The snapshot as a stream (core/revocation/snapshot-stream.ts), read in the snapshot unit's one
 * consistent transaction (SQLite: one read transaction; PostgreSQL: REPEATABLE READ), so head,
 * counters and records are of the same instant. Records are read in pages of primary-key ranges:
 * one bounded page in memory at a time on both backends, no server-side cursor state to clean up,
 * and the same SQL on both.
 */
import type { FeedSnapshot } from '../../core/revocation/feed.js';
import type {
  PagedSnapshotHead,
  SnapshotEntry,
  SnapshotPage,
  SnapshotReceiver,
  SnapshotTokenEntry,
  WireSnapshotPage,
} from '../../core/revocation/snapshot-stream.js';
import {
  GENERATION_SCOPES,
  REVOCATION_SCOPES,
  type RevocationRecord,
} from '../../core/revocation/types.js';
import { storedChain } from '../feed-head.js';
import {
  type GenerationRow,
  BLOCK_CHANGE_SCOPES_SQL,
  cursorOfSeq,
  seqFeedSnapshot,
  seqOfCursor,
} from '../seq-cursor.js';
import type { Dialect } from './dialect.js';
import { LIVE_ENTRY_IN_RANGE, entryCutoff } from './live.js';
import { type Proc, all, count, get, rows } from './procedure.js';
import { REVOCATION_COLUMNS, revocationFromColumns } from './rows.js';
import { wireJsonSql } from './wire-json.js';

/**
 * Seqs per page. Pages are seq ranges, not `LIMIT n`: `seq > ? … ORDER BY seq LIMIT n` let
 * PostgreSQL scan the expiry index and sort every live row for each page (36 s at 500 k rows). A
 * range on the primary key is the only plan left once no other index can serve the page's other
 * tests (LIVE_ENTRY_IN_RANGE, the scope expressions below) — without that, statistics decided.
 * A range that pruning left empty costs one index probe.
 */
export const SNAPSHOT_PAGE = 10_000;
/**
 * Seqs per page of a paged snapshot (the push stream's): each page is its own read, and on SQLite
 * a synchronous one, so it is kept to a few milliseconds of the event loop.
 */
export const PAGED_SNAPSHOT_PAGE = 2_500;
/** How many token pages one read of the other entry scopes spans (streamSnapshot). */
const OTHER_ENTRIES_PAGES = 10;

const PAGE_RANGE = `FROM revocations WHERE seq > ? AND seq <= ? AND ${LIVE_ENTRY_IN_RANGE}
  AND scope NOT IN ${BLOCK_CHANGE_SCOPES_SQL} ORDER BY seq`;
export const PAGE_SQL = `SELECT ${REVOCATION_COLUMNS} ${PAGE_RANGE}`;
const wirePageSqls = new Map<Dialect, string>();
/**
 * PAGE_SQL's rows as `seq` and the wire JSON text (wire-json.ts): the push stream's pages. Built
 * once per dialect: the expression is a few kilobytes, and the statement cache is keyed by it.
 */
export function wirePageSql(d: Dialect): string {
  let sql = wirePageSqls.get(d);
  if (sql === undefined) wirePageSqls.set(d, (sql = `SELECT seq, ${wireJsonSql(d)} ${PAGE_RANGE}`));
  return sql;
}

/**
 * The same range as PAGE_SQL, narrowed to what a replica keeps, in two statements: the token
 * entries as `target, expires_at` (SnapshotTokenEntry: the millions), and the other entry scopes
 * as SnapshotEntry's five columns — the head's counters already carry the generation scopes.
 * Reading (stepping) the rows was most of a start's time: twelve columns → five → two for tokens.
 * The scope test is an expression (`scope || ''`) so that no index on scope can serve it: SQLite
 * chose the (scope, target) index for `scope = 'token'` and read every token for each page.
 */
export const TOKEN_PAGE_SQL = `SELECT target, expires_at FROM revocations
  WHERE seq > ? AND seq <= ? AND ${LIVE_ENTRY_IN_RANGE} AND (scope || '') = 'token' ORDER BY seq`;
const OTHER_ENTRY_SCOPES = REVOCATION_SCOPES.filter(
  (s) => s !== 'token' && !(GENERATION_SCOPES as readonly string[]).includes(s),
);
export const ENTRY_PAGE_SQL = `SELECT scope, target, window_from, window_to, expires_at FROM revocations
  WHERE seq > ? AND seq <= ? AND ${LIVE_ENTRY_IN_RANGE}
  AND (scope || '') IN (${OTHER_ENTRY_SCOPES.map((s) => `'${s}'`).join(', ')}) ORDER BY seq`;

/**
 * The head: counters, the highest seq handed out (the cursor) and the chain there, and the seq
 * before the first record. Nothing past the cursor is visible in the same transaction.
 */
export function* snapshotHead(headSql: string, nowMs: number): Proc<PagedSnapshotHead> {
  const head = yield* get<{ last: number | null; chain: string }>(headSql);
  const gens = yield* all<GenerationRow>('SELECT scope, target, generation FROM generations');
  const last = Number(head?.last ?? 0);
  const { records: _none, ...rest } = seqFeedSnapshot([], gens, last, storedChain(head?.chain));
  const first = Number(
    (yield* get<{ first: number | null }>('SELECT MIN(seq) AS first FROM revocations'))?.first ?? 1,
  );
  return { ...rest, asOfMs: nowMs, start: cursorOfSeq(Math.min(first - 1, last)) };
}

/**
 * The seq range of the page after `after`, up to `pageSize` seqs, at most the head's: the page
 * statement's parameters (none when the range is empty), where the next page starts, and whether
 * one does.
 */
function pageBounds(
  head: PagedSnapshotHead,
  after: string,
  pageSize: number,
): { params: [number, number, number] | undefined; cursor: string; done: boolean } {
  const last = seqOfCursor(head.cursor);
  const afterSeq = seqOfCursor(after);
  const upTo = Math.min(afterSeq + pageSize, last);
  return {
    params: upTo > afterSeq ? [afterSeq, upTo, entryCutoff(head.asOfMs)] : undefined,
    cursor: cursorOfSeq(Math.max(upTo, afterSeq)),
    done: upTo >= last,
  };
}

/** The live records of the page after `after` (pageBounds). */
export function* snapshotPage(
  head: PagedSnapshotHead,
  after: string,
  pageSize = PAGED_SNAPSHOT_PAGE,
): Proc<SnapshotPage> {
  const { params, cursor, done } = pageBounds(head, after, pageSize);
  // Inline, not a helper generator: a nested `yield*` that returned the mapped page measured 40 MiB
  // more peak RSS over a 1 M-row read (the same rows, kept alive longer).
  const records: RevocationRecord[] =
    params === undefined ? [] : (yield* rows(PAGE_SQL, params)).map(revocationFromColumns);
  return { records, cursors: records.map((r) => cursorOfSeq(r.seq)), cursor, done };
}

/**
 * snapshotPage's page as the stream sends it: each live record's wire JSON, written by the query
 * (two values a row instead of twelve, no record or wire object, no JSON.stringify).
 */
export function* snapshotWirePage(
  d: Dialect,
  head: PagedSnapshotHead,
  after: string,
  pageSize = PAGED_SNAPSHOT_PAGE,
): Proc<WireSnapshotPage> {
  const { params, cursor, done } = pageBounds(head, after, pageSize);
  const page =
    params === undefined
      ? []
      : ((yield* rows(wirePageSql(d), params)) as unknown as [seq: number, wire: string][]);
  return {
    revocations: page.map((row) => row[1]),
    cursors: page.map((row) => cursorOfSeq(row[0])),
    cursor,
    done,
  };
}

/**
 * Reads a snapshot's entries into `receiver` (a replica starting), in one transaction. The jti
 * count is every token row, expired ones not yet pruned included: an upper bound the
 * (scope, target) index answers without reading expiries.
 */
export function* streamSnapshot(
  headSql: string,
  nowMs: number,
  receiver: SnapshotReceiver,
  pageSize = SNAPSHOT_PAGE,
): Proc<void> {
  const head = yield* snapshotHead(headSql, nowMs);
  const tokenEntries = yield* count(`SELECT COUNT(*) AS n FROM revocations WHERE scope = 'token'`);
  const { asOfMs: _at, start, ...rest } = head;
  receiver.begin({ ...rest, tokenEntries });
  const last = seqOfCursor(head.cursor);
  const cutoff = entryCutoff(nowMs);
  // The driver's row arrays are handed on as they are: each statement selects its entry's shape.
  // Tokens are most of a snapshot; the other entries are read over ranges OTHER_ENTRIES_PAGES
  // token pages long (still a bounded number of rows per read), so a feed of tokens costs few
  // empty reads — a round trip each on PostgreSQL.
  const otherSpan = pageSize * OTHER_ENTRIES_PAGES;
  for (let after = seqOfCursor(start), page = 0; after < last; after += pageSize, page++) {
    if (page % OTHER_ENTRIES_PAGES === 0) {
      const others = yield* rows(ENTRY_PAGE_SQL, [after, after + otherSpan, cutoff]);
      if (others.length > 0) receiver.entries(others as unknown as readonly SnapshotEntry[]);
    }
    const tokens = yield* rows(TOKEN_PAGE_SQL, [after, after + pageSize, cutoff]);
    if (tokens.length > 0) receiver.tokens(tokens as unknown as readonly SnapshotTokenEntry[]);
  }
}

/**
 * The same snapshot as whole records, collected (feed consumers' starts, tests: not millions):
 * the paged snapshot's pages, read in this one transaction.
 */
export function* loadSnapshot(headSql: string, nowMs: number): Proc<FeedSnapshot> {
  const head = yield* snapshotHead(headSql, nowMs);
  const { asOfMs: _at, start, ...rest } = head;
  const records: RevocationRecord[] = [];
  for (let after = start; ;) {
    const page = yield* snapshotPage(head, after, SNAPSHOT_PAGE);
    for (const record of page.records) records.push(record);
    if (page.done) return { ...rest, records };
    after = page.cursor;
  }
}
