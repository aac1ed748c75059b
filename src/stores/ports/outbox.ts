/**
 * The outbox port: mail queued in the same commit as what it reports, claimed under a lease,
 * retried after failures, marked sent (conformance: test/stores/conformance/outbox.ts).
 */
import type { OutboxRecord } from '../types.js';

export interface OutboxPort {
  /** Outbox messages due for sending, leased to the caller for `leaseMs` so no other worker sends them. */
  claimOutbox(nowMs: number, leaseMs: number, limit: number): Promise<OutboxRecord[]>;
  markOutboxSent(id: number, nowMs: number): Promise<void>;
  markOutboxFailed(id: number, error: string, nextAttemptAtMs: number): Promise<void>;
  countPendingOutbox(): Promise<number>;
}
