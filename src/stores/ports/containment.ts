/**
 * The containment port: IP blocks (and what creating one revokes), the session addresses they
 * search, alerts and decoys (conformance: test/stores/conformance/containment.ts).
 */
import type { AuditEventInput } from '../../core/audit/audit-event.js';
import type {
  AlertCounts,
  AlertQuery,
  AlertRecord,
  ApiTokenRevocation,
  IpBlockReport,
  NewIpBlock,
  RevocationContext,
  IpBlockRecord,
} from '../types.js';

export interface ContainmentPort {
  /**
   * Creates a block and, in the same commit, revokes every live session created or refreshed from
   * the range and every live (non-canary) API token created or last used from it — both found
   * through an index on the address, never a scan — queueing `notify`'s mail to each token owner.
   */
  createIpBlock(
    block: NewIpBlock,
    context: RevocationContext,
    apiTokens: { readonly notify: ApiTokenRevocation['notify'] },
  ): Promise<IpBlockReport>;
  /** Records that a session was used from `ip` (last_ip, and the addresses an IP revocation searches) without rotating it. */
  recordSessionIp(sessionId: string, ip: string, nowMs: number): Promise<void>;
  /** Blocks not lifted and not expired at `nowMs` (all blocks when nowMs is null), newest first. */
  listIpBlocks(nowMs: number | null): Promise<IpBlockRecord[]>;
  /**
   * One block by its id (lowercase UUID), lifted and expired ones included: the caller judges
   * whether it is still active. Undefined when there is no such block. One indexed read, never a list.
   */
  findIpBlock(id: string): Promise<IpBlockRecord | undefined>;
  /** Lifts a block (tokens it revoked stay revoked); undefined when unknown or already lifted. */
  liftIpBlock(
    id: string,
    nowMs: number,
    by: string | null,
    audit: AuditEventInput,
  ): Promise<IpBlockRecord | undefined>;
  /** Marks a user as a decoy (or not). */
  setUserDecoy(id: string, isDecoy: boolean): Promise<void>;

  /** Stores an alert; with a dedupeKey already used, stores nothing and returns created=false. */
  raiseAlert(
    alert: Omit<AlertRecord, 'acknowledgedAtMs' | 'acknowledgedBy'>,
    audit: AuditEventInput,
  ): Promise<{ alert: AlertRecord; created: boolean }>;
  /** Alerts matching the severity and acknowledged filters, newest first, paged by limit/offset. */
  listAlerts(query: AlertQuery): Promise<AlertRecord[]>;
  /**
   * Marks the alert acknowledged by `by` with its audit row, in one commit; undefined (nothing
   * written) when the alert is unknown or already acknowledged.
   */
  acknowledgeAlert(id: string, by: string, nowMs: number): Promise<AlertRecord | undefined>;
  /** Every severity with its total and unacknowledged counts (zeros included). */
  countAlerts(): Promise<AlertCounts>;
}
