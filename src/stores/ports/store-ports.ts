/**
 * The store as the app holds it (`ctx.stores`): one object per port, so a caller names the
 * concern it uses (`ctx.stores.records.findUserById`) and can be handed only the ports it needs.
 * SQLite and PostgreSQL implement every port in one object; a backend split across several
 * systems (say, revocations in one and records in another) builds this object from its parts.
 */
import type { AuditLogPort } from './audit-log.js';
import type { ContainmentPort } from './containment.js';
import type { CountersPort, RateWindowsPort } from './counters.js';
import type { StoreLifecycle } from './lifecycle.js';
import type { OutboxPort } from './outbox.js';
import type { RecordsPort } from './records.js';
import type { RevocationLogPort } from './revocation-log.js';

export interface StorePorts {
  /** Migrate, ping, close; the backend's name (reported only) and its capabilities. */
  readonly lifecycle: StoreLifecycle;
  /** Users, clients, signing keys, sessions, refresh tokens, API tokens. */
  readonly records: RecordsPort;
  /** Revoke, the change feed, snapshots, window entries, prune, generations. */
  readonly revocations: RevocationLogPort;
  /** The chained audit log. */
  readonly audit: AuditLogPort;
  /**
   * The store's own windowed counters. The app counts through `ctx.counters` (Redis when
   * configured, falling back to these): this port is what that is built on.
   */
  readonly counters: CountersPort;
  /** Once-per-window limits moved in the same commit as an API-token revocation. */
  readonly rateWindows: RateWindowsPort;
  /** Mail queued in the same commit as what it reports. */
  readonly outbox: OutboxPort;
  /** IP blocks, session addresses, alerts, decoys. */
  readonly containment: ContainmentPort;
}

/** The ports of a store that implements them all (SQLite, PostgreSQL): the one object each time. */
export function storePorts(
  store: StoreLifecycle &
    RecordsPort &
    RevocationLogPort &
    AuditLogPort &
    CountersPort &
    RateWindowsPort &
    OutboxPort &
    ContainmentPort,
): StorePorts {
  return {
    lifecycle: store,
    records: store,
    revocations: store,
    audit: store,
    counters: store,
    rateWindows: store,
    outbox: store,
    containment: store,
  };
}
