/**
 * Everything a running revokd needs, assembled once: configuration, the store's ports (system of
 * record), the counters, the in-process revocation replica, the signing keys, a clock and a
 * logger. HTTP routes and CLI commands receive this and call the named operations in this folder.
 */
import type { Logger } from 'pino';
import type { Config } from '../core/config.js';
import type { KeyManager } from '../keys/key-manager.js';
import type { KeyRingHolder } from '../keys/key-ring-holder.js';
import type { VerifiedTokenCache } from '../core/tokens/verified-token-cache.js';
import type { RevocationReplica } from '../replica/revocation-replica.js';
import type { StorePorts } from '../stores/ports/store-ports.js';
import type { ApiTokenUsageRecorder } from './api-tokens/usage-recorder.js';
import type { EventBus } from '../core/events.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ActiveBlocks } from './security/ip-blocks.js';
import type { SecurityMonitor } from './security/security-monitor.js';
import type { AuditTrail } from './security/audit-trail.js';
import type { AppCounters } from './counters/counters-status.js';
import type { IntrospectionView } from './introspection-view.js';

export interface AppContext {
  readonly config: Config;
  /**
   * The store, one port per concern (src/stores/ports/store-ports.ts): a caller names the port it
   * uses, and a function that needs only some takes `UsesStores<'records' | …>`.
   */
  readonly stores: StorePorts;
  /**
   * Windowed counters (lockouts, detector thresholds, the automatic-block cap): Redis when
   * REVOKD_REDIS_URL is set (degrading to memory while it is down), else the store. See
   * src/app/counters/open-counters.ts.
   */
  readonly counters: AppCounters;
  readonly replica: RevocationReplica;
  readonly keyManager: KeyManager;
  readonly keys: KeyRingHolder;
  /** Access tokens whose signature already verified, by exact string (verify-presented-access-token.ts). */
  readonly verifiedTokens: VerifiedTokenCache;
  readonly now: () => number;
  readonly log: Logger;
  /** API tokens and clients introspection reads, kept current by the feed (introspection-view.ts). */
  readonly introspectionView: IntrospectionView;
  /** Batches API-token last-use writes. */
  readonly apiTokenUsage: ApiTokenUsageRecorder;
  /** Security and operations events: detectors, alerts and metrics listen here. */
  readonly events: EventBus;
  readonly metrics: Metrics;
  /** Active IP blocks (checked before every route) and the detectors that raise alerts. */
  readonly security: { readonly blocks: ActiveBlocks; readonly monitor: SecurityMonitor };
  /** The audit keys, this process's verified head and checkpoints. */
  readonly audit: AuditTrail;
}

/** A context narrowed to the store ports a caller uses (an AppContext fits). */
export interface UsesStores<K extends keyof StorePorts> {
  readonly stores: Pick<StorePorts, K>;
}

/** How long past a session's end its access tokens can still be accepted (TTL + tolerance + 1 s). */
export function accessCoverMs(config: Config): number {
  return (config.accessTtlSeconds + config.clockToleranceSeconds + 1) * 1000;
}

export function nowSeconds(ctx: Pick<AppContext, 'now'>): number {
  return Math.floor(ctx.now() / 1000);
}
