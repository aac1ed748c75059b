/**
 * Group commit for revocations: revocations that arrive together share one transaction, so one
 * durable commit (one fsync on SQLite, one WAL flush on PostgreSQL) acknowledges all of them.
 *
 * Batching is "whoever arrived meanwhile", not a timer: the first revocation schedules a commit at
 * the end of the current event-loop turn (setImmediate, no added sleep); every revocation that
 * reaches the store before that commit starts, or while it is in flight, joins the next batch (at
 * most MAX_BATCH). A request alone commits at the end of its own loop turn, with no timer. SQLite
 * commits synchronously (the whole transaction is one better-sqlite3 call), so there the batch is
 * everything that reached the store in one turn of the loop; on PostgreSQL it is also everything
 * that arrived during the previous commit's round trips.
 *
 * Inside the batch the members run in arrival order: a run of consecutive token revocations (the
 * RFC 7009 access-token case) as one set of multi-row statements (revoke-tokens.ts), any other
 * member with the same procedure as alone (revoke.ts). The feed chain is extended in commit (seq)
 * order and feed_head and NOTIFY are written once, at the end of the unit (feed.ts unitOfWork).
 * A member's promise settles only after the batch committed: no 200 before its revocation is
 * durable.
 *
 * Failure: a batch that fails with ERR_STORE_UNAVAILABLE (the database cannot commit now) rejects
 * every member with it (503, as a lone revocation would). Any other failure can only be one
 * member's (a conflict, invalid data, a bug): the batch has rolled back as a whole, so each member
 * is run again in a transaction of its own, in the same order, and gets its own outcome — exactly
 * what it would have got without batching, so one member never poisons the others. Chosen over a
 * SAVEPOINT per member: no extra statements (round trips on PostgreSQL, subtransactions) on the
 * path that matters, and the rare path is the reference behaviour itself.
 */
import { isRevokdError } from '../../core/errors.js';
import type { RevocationContext, RevocationReport, RevocationTarget } from '../types.js';
import { type Proc, ROWS_PER_INSERT, type Unit } from './procedure.js';
import { revoke } from './revoke.js';
import { type TokenRevocation, isTokenRevocation, revokeTokens } from './revoke-tokens.js';

/** Bounds how long one batch holds the write lock (and how long its first member waits). */
export const MAX_BATCH = ROWS_PER_INSERT;

export interface BatchedRevocation {
  readonly target: RevocationTarget;
  readonly context: RevocationContext;
}

/** The batch's procedure: every member's revocation, in order, in the one unit of work. */
export function* revokeEach(
  u: Unit,
  members: readonly BatchedRevocation[],
): Proc<RevocationReport[]> {
  const reports: RevocationReport[] = [];
  for (let i = 0; i < members.length;) {
    // A run of token revocations goes in a fixed number of statements (revoke-tokens.ts).
    let end = i;
    while (end < members.length && isTokenRevocation(members[end]!)) end++;
    if (end > i) {
      reports.push(...(yield* revokeTokens(u, members.slice(i, end) as TokenRevocation[])));
      i = end;
    } else {
      reports.push(yield* revoke(u, members[i]!.target, members[i]!.context));
      i++;
    }
  }
  return reports;
}

interface Waiting extends BatchedRevocation {
  readonly resolve: (report: RevocationReport) => void;
  readonly reject: (err: unknown) => void;
}

/** How the store commits revocations (one or several) in one audited unit: one report each, in order. */
export type BatchCommitter = (members: readonly BatchedRevocation[]) => Promise<RevocationReport[]>;

export class RevokeBatcher {
  private readonly queue: Waiting[] = [];
  private inFlight = false;
  private scheduled = false;

  constructor(
    private readonly commitUnit: BatchCommitter,
    private readonly maxBatch = MAX_BATCH,
  ) {}

  /** Resolves with this revocation's report once the batch holding it has committed. */
  revoke(target: RevocationTarget, context: RevocationContext): Promise<RevocationReport> {
    return new Promise((resolve, reject) => {
      this.queue.push({ target, context, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.inFlight || this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.inFlight) return;
    const batch = this.queue.splice(0, this.maxBatch);
    if (batch.length === 0) return;
    this.inFlight = true;
    try {
      await this.commit(batch);
    } finally {
      this.inFlight = false;
      this.schedule();
    }
  }

  private async commit(batch: readonly Waiting[]): Promise<void> {
    let reports: RevocationReport[];
    try {
      reports = await this.commitUnit(batch);
    } catch (err) {
      if (batch.length === 1 || isStoreUnavailable(err)) {
        for (const m of batch) m.reject(err);
        return;
      }
      // One member's own failure rolled the batch back: each alone, in order (see the header).
      for (const m of batch) {
        try {
          m.resolve((await this.commitUnit([m]))[0]!);
        } catch (own) {
          m.reject(own);
        }
      }
      return;
    }
    batch.forEach((m, i) => m.resolve(reports[i]!));
  }
}

function isStoreUnavailable(err: unknown): boolean {
  return isRevokdError(err) && err.code === 'ERR_STORE_UNAVAILABLE';
}
