/**
 * Reading the audit log at any size: pages of AUDIT_PAGE entries by seq, never the whole log in
 * memory. The verifier carries the chain state (last seq and hash) from one page to the next, so an
 * entry edited, deleted or moved at a page boundary is caught exactly like one in the middle of a
 * page. Between pages it yields to the event loop: a server verifying a long log keeps answering.
 */
import {
  type AuditEntry,
  type AuditEventType,
  type ChainVerification,
  ChainVerifier,
  GENESIS_HASH,
} from '../../core/audit/audit-event.js';
import type { RevokdStore } from '../../stores/types.js';

export const AUDIT_PAGE = 1000;

export interface AuditPagingOptions {
  /** Start after this seq (0: from the first entry). */
  readonly afterSeq?: number;
  readonly type?: AuditEventType;
  readonly pageSize?: number;
  /** Called after each page with the number of entries read so far. */
  readonly onProgress?: (entries: number) => void;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Every entry after `afterSeq`, in seq order, read a page at a time. */
export async function* auditEntries(
  store: Pick<RevokdStore, 'listAudit'>,
  options: AuditPagingOptions = {},
): AsyncGenerator<AuditEntry> {
  const pageSize = options.pageSize ?? AUDIT_PAGE;
  let afterSeq = options.afterSeq ?? 0;
  let read = 0;
  for (;;) {
    const page = await store.listAudit({
      afterSeq,
      limit: pageSize,
      ...(options.type === undefined ? {} : { type: options.type }),
    });
    for (const entry of page) yield entry;
    read += page.length;
    options.onProgress?.(read);
    if (page.length < pageSize) return;
    afterSeq = page[page.length - 1]!.seq;
    await yieldToEventLoop();
  }
}

export interface AuditVerification {
  readonly result: ChainVerification;
  /** The last entry that verified (seq 0 and the genesis hash when none did). */
  readonly head: { readonly seq: number; readonly hash: string };
}

export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

export interface VerifyOptions extends Pick<AuditPagingOptions, 'pageSize' | 'onProgress'> {
  /** Continue after this already verified entry (its hash is checked again first) instead of from the genesis. */
  readonly from?: ChainHead;
  /** Also require the chain to contain this head (a checkpoint): catches a log cut short or rewritten behind it. */
  readonly expectHead?: ChainHead;
}

/** Verifies the chain (from its first entry, or forward from `from`); stops at the first entry that breaks it. */
export async function verifyAuditLog(
  store: Pick<RevokdStore, 'listAudit'>,
  chainKey: Buffer,
  options: VerifyOptions = {},
): Promise<AuditVerification> {
  const from = options.from ?? { seq: 0, hash: GENESIS_HASH };
  if (from.seq > 0) {
    const [at] = await store.listAudit({ afterSeq: from.seq - 1, limit: 1 });
    if (at === undefined || at.seq !== from.seq || at.hash !== from.hash) {
      return {
        result: {
          ok: false,
          entries: 0,
          firstBadSeq: from.seq,
          problem: `entry ${from.seq}, verified earlier, was changed or removed`,
        },
        head: from,
      };
    }
  }
  const verifier = new ChainVerifier(chainKey, from);
  const expect = options.expectHead;
  let expectedProblem: string | undefined;
  for await (const entry of auditEntries(store, { ...options, afterSeq: from.seq })) {
    if (!verifier.push(entry)) break;
    if (expect !== undefined && entry.seq === expect.seq && entry.hash !== expect.hash) {
      expectedProblem = `the chain no longer contains the checkpoint head (seq ${expect.seq}, hash ${expect.hash}): entry ${expect.seq} now has hash ${entry.hash}`;
      break;
    }
  }
  const result = verifier.result();
  const head = verifier.head;
  const entries = head.seq;
  if (result.ok && expect !== undefined && expectedProblem === undefined && head.seq < expect.seq) {
    expectedProblem = `the chain no longer contains the checkpoint head (seq ${expect.seq}, hash ${expect.hash}): it ends at seq ${head.seq} (entries removed)`;
  }
  if (result.ok && expectedProblem !== undefined) {
    return {
      result: {
        ok: false,
        entries,
        firstBadSeq: Math.min(expect!.seq, head.seq + 1),
        problem: expectedProblem,
      },
      head,
    };
  }
  // Entries are counted from the genesis whatever the starting point, so the number means the same.
  return {
    result: result.ok ? { ok: true, entries } : { ...result, entries: from.seq + result.entries },
    head,
  };
}

/** The verification outcome as the API and `revokd audit verify --json` report it. */
export function presentVerification(v: ChainVerification) {
  return v.ok
    ? { ok: true, entries: v.entries }
    : { ok: false, entries: v.entries, first_bad_seq: v.firstBadSeq, problem: v.problem };
}

/**
 * One entry as it leaves the service (API pages, NDJSON export): every stored field, snake_case, the
 * time in milliseconds as hashed — enough for a SIEM to re-verify the chain. Token ids are already
 * truncated and no entry holds a secret (see docs/events.md).
 */
export function presentAuditEntry(e: AuditEntry) {
  return {
    seq: e.seq,
    at: e.atMs,
    time: new Date(e.atMs).toISOString(),
    type: e.type,
    actor_type: e.actorType,
    actor_id: e.actorId,
    initiator: e.initiator ?? null,
    reason: e.reason ?? null,
    target_type: e.targetType,
    target_id: e.targetId,
    ip: e.ip,
    details: e.details,
    prev_hash: e.prevHash,
    hash: e.hash,
  };
}
