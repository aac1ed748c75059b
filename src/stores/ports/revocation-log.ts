/**
 * The revocation log port: revoke by every scope, the change feed replicas follow, the snapshot
 * they start from, window entries, prune, and the generation counters revocations bump
 * (conformance: test/stores/conformance/revocation-log.ts).
 */
import type { RevocationRecord } from '../../core/revocation/types.js';
import type { FeedSnapshot, Generations, RevocationContext, RevocationReport, RevocationTarget } from '../types.js';

export interface RevocationLogPort {
  /** The counters a token issued now must carry. Read from the system of record, never a cache. */
  readGenerations(sub: string, clientId: string): Promise<Generations>;
  /** Commits a revocation, its feed records and its audit entry together, then returns. */
  revoke(target: RevocationTarget, context: RevocationContext): Promise<RevocationReport>;
  /** Feed records with seq > afterSeq, in seq order. */
  readFeed(afterSeq: number, limit: number): Promise<RevocationRecord[]>;
  /** Window entries that can still cover a live token (not yet expired at `nowMs`), oldest first. */
  listWindowRevocations(nowMs: number): Promise<RevocationRecord[]>;
  /** Every record that can still cover a live token, plus all generation counters. */
  loadSnapshot(nowMs: number): Promise<FeedSnapshot>;
  /** Deletes feed records and refresh rows that can no longer matter. */
  prune(nowMs: number): Promise<{ feedRecords: number; refreshTokens: number }>;
}
