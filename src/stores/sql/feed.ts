/**
 * The change feed (`revocations`) and its chain head (../feed-head.ts), written inside the
 * transaction that makes the change. Every appended record is noted on the Unit: its seq (the
 * NOTIFY sent on PostgreSQL) and, for revocation records, the chain over it. The head is read once,
 * at the first record (under the feed lock, or SQLite's one-writer IMMEDIATE transaction, so it is
 * the last committed one), and written once, by `unitOfWork` just before commit: a transaction that
 * rolls back never writes it.
 */
import type { IpBlockChange } from '../../core/revocation/ip-block-change.js';
import type { FeedEntry } from '../../core/revocation/revocation-plan.js';
import type { RevocationRecord } from '../../core/revocation/types.js';
import { READ_FEED_HEAD_SQL, chainOver, storedChain } from '../feed-head.js';
import type { RevocationContext } from '../types.js';
import {
  type Proc,
  type Unit,
  all,
  get,
  insertChunks,
  placeholderRow,
  rowsOf,
} from './procedure.js';
import { toFeedRecord, toRevocation } from './rows.js';

/**
 * A write transaction's body: for an 'audited' unit the dialect's feed lock first (PostgreSQL's,
 * postgres/feed-lock.ts; nothing on SQLite, whose IMMEDIATE transaction is the lock),
 * then the work, then the feed head and NOTIFY as its last statements.
 */
export function* unitOfWork<T>(
  u: Unit,
  work: (u: Unit) => Proc<T>,
  takeFeedLock: boolean,
): Proc<T> {
  if (takeFeedLock) yield* u.d.takeFeedLock();
  const result = yield* work(u);
  const { feedChain, chainedSeq, highestFeedSeq } = u;
  if (feedChain !== null) {
    const written =
      highestFeedSeq === null
        ? yield* u.d.writeFeedHead(feedChain, chainedSeq)
        : yield* u.d.writeFeedHeadAndNotify(feedChain, chainedSeq, highestFeedSeq);
    if (written !== 1) throw new Error('feed_head has no row; the database is damaged');
  } else if (highestFeedSeq !== null) yield* u.d.notifyFeed(highestFeedSeq);
  return result;
}

function noteFeedSeq(u: Unit, seq: number): void {
  if (u.highestFeedSeq === null || seq > u.highestFeedSeq) u.highestFeedSeq = seq;
}

/** Appends one revocation record and chains it. */
export function* appendFeedRecord(
  u: Unit,
  input: FeedEntry,
  ctx: RevocationContext,
): Proc<RevocationRecord> {
  return (yield* appendFeedRecords(u, [{ input, ctx }]))[0]!;
}

const FEED_COLUMNS =
  'scope, target, issuer, generation, window_from, window_to, expires_at, initiator, reason, ' +
  'note, created_at';
const FEED_ROW = placeholderRow(FEED_COLUMNS);

/** What tells one call's records apart: two records of one call never share it (see below). */
function feedKey(r: Pick<RevocationRecord, 'scope' | 'target' | 'issuer'>): string {
  return JSON.stringify([r.scope, r.target, r.issuer ?? null]);
}

/**
 * Appends revocation records as multi-row INSERTs (one round trip on PostgreSQL per
 * ROWS_PER_INSERT records) and chains them in seq order — the order they commit in, which is what
 * readers verify. Returned in the order given. Neither database promises RETURNING's order nor which row gets which seq, so rows
 * are matched back by (scope, target, issuer): the caller never appends two records with the same
 * one in one call (a repeated token is one entry, revoke-tokens.ts), which is checked.
 */
export function* appendFeedRecords(u: Unit, items: readonly FeedItem[]): Proc<RevocationRecord[]> {
  u.assertFeedLocked('a feed record was appended');
  const records: RevocationRecord[] = [];
  // A later chunk's seqs all follow an earlier one's: chaining chunk after chunk is seq order.
  for (const chunk of insertChunks(items)) records.push(...(yield* appendFeedChunk(u, chunk)));
  return records;
}

type FeedItem = { readonly input: FeedEntry; readonly ctx: RevocationContext };

function* appendFeedChunk(u: Unit, items: readonly FeedItem[]): Proc<RevocationRecord[]> {
  const params: unknown[] = [];
  for (const { input, ctx } of items)
    params.push(
      input.scope,
      input.target,
      input.issuer ?? null,
      input.generation ?? null,
      input.windowFrom ?? null,
      input.windowTo ?? null,
      input.expiresAtMs,
      ctx.initiator,
      ctx.reason,
      ctx.note ?? null,
      ctx.nowMs,
    );
  const rows = yield* all(
    `INSERT INTO revocations (${FEED_COLUMNS}) VALUES ${rowsOf(FEED_ROW, items.length)} RETURNING *`,
    params,
  );
  // The RETURNING rows through the mapper readFeed uses: the chain hashes exactly what readers get.
  const records = rows.map(toRevocation).sort((a, b) => a.seq - b.seq);
  const byKey = new Map(records.map((r) => [feedKey(r), r]));
  if (byKey.size !== items.length || records.length !== items.length)
    throw new Error('appendFeedRecords: two records of one call share scope, target and issuer');
  u.feedChain = chainOver(
    u.feedChain ?? storedChain((yield* get<{ chain: string }>(READ_FEED_HEAD_SQL))?.chain),
    records,
  );
  u.chainedSeq = records.at(-1)!.seq;
  noteFeedSeq(u, u.chainedSeq);
  return items.map(({ input }) => byKey.get(feedKey({ ...input, issuer: input.issuer ?? null }))!);
}

/**
 * Appends an IP block change (core/revocation/ip-block-change.ts) to the feed, inside the
 * transaction that creates or lifts the block: the block id goes in `target`, the range in `note`.
 * Its expiry is the block's, so prune drops it once the block has ended by itself. Not a
 * revocation, so not sent on the stream and not chained: the feed head is left as it is.
 */
export function* appendIpBlockChange(
  u: Unit,
  change: Omit<IpBlockChange, 'seq'>,
): Proc<IpBlockChange> {
  u.assertFeedLocked('a feed record was appended');
  const row = yield* get(
    `INSERT INTO revocations (scope, target, expires_at, initiator, reason, note, created_at)
    VALUES (?, ?, ?, 'admin', 'ip_block', ?, ?) RETURNING *`,
    [change.scope, change.target, change.expiresAtMs, change.cidr, change.createdAtMs],
  );
  const record = toFeedRecord(row!) as IpBlockChange;
  noteFeedSeq(u, record.seq);
  return record;
}
