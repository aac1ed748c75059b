/**
 * The outbox port: mail queued in the same commit as what it reports, claimed under a lease,
 * retried after failures, marked sent (conformance: test/stores/conformance/outbox.ts).
 */
import type { OutboxRecord } from '../types.js';

export interface OutboxPort {
  /** Outbox messages due for sending, leased to the caller for `leaseMs` so no other worker sends them. */
  claimOutbox(nowMs: number, leaseMs: number, limit: number): Promise<OutboxRecord[]>;
  /** Records the message sent at `nowMs` and ends its lease: it is never claimed again. */
  markOutboxSent(id: number, nowMs: number): Promise<void>;
  /**
   * Records a failed attempt (the error, cut to 500 characters) and ends the lease: the message is
   * claimable again from `nextAttemptAtMs`. No effect on a message already sent.
   */
  markOutboxFailed(id: number, error: string, nextAttemptAtMs: number): Promise<void>;
  /** Messages not sent yet, leased or not. */
  countPendingOutbox(): Promise<number>;
}
