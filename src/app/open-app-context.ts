/**
 * Opens everything a process needs from its configuration: store (migrated), first-party client,
 * first admin, signing keys, key ring and the revocation replica (snapshot loaded, feed followed).
 * The server and the CLI both start here; `close()` undoes it.
 */
import pino, { type Logger } from 'pino';
import type { Config } from '../core/config.js';
import { secureDataDir } from '../fs/secure-data-dir.js';
import { KeyManager } from '../keys/key-manager.js';
import { KeyRingHolder } from '../keys/key-ring-holder.js';
import { VerifiedTokenCache } from '../core/tokens/verified-token-cache.js';
import type { RevokdStore } from '../stores/types.js';
import { storePorts } from '../stores/ports/store-ports.js';
import { ApiTokenUsageRecorder } from './api-tokens/usage-recorder.js';
import { ensureFirstPartyClient } from './clients.js';
import { createConfiguredReplica } from './configured-replica.js';
import { IntrospectionView } from './introspection-view.js';
import { probeServiceHealth } from './service-health.js';
import { EventBus } from '../core/events.js';
import { ActiveBlocks } from './security/ip-blocks.js';
import { SecurityMonitor } from './security/security-monitor.js';
import { Metrics } from '../metrics/metrics.js';
import { instrumentStore } from '../metrics/instrument-store.js';
import type { AppContext } from './context.js';
import { bootstrapAdmin } from './users.js';
import { AuditTrail } from './security/audit-trail.js';
import { startCheckpointLog } from './security/checkpoint-log.js';
import { resolveServiceKeys } from './security/service-secret.js';
import { openCounters } from './counters/open-counters.js';
import { REDACTED_LOG_PATHS } from './redacted-log-paths.js';
import { openConfiguredStore } from './open-configured-store.js';

// Where they lived before the library entry stopped loading this module (the CLI imports them from here).
export { REDACTED_LOG_PATHS, openConfiguredStore };

export function createLogger(config: Config): Logger {
  return pino({
    level: config.logLevel,
    redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
    // Requests are logged by path only: a client that puts a token in a query string must not see
    // it land in the logs.
    serializers: {
      req: (req: { method?: string; url?: string; socket?: { remoteAddress?: string } }) => ({
        method: req.method,
        url: (req.url ?? '').split('?')[0],
        remoteAddress: req.socket?.remoteAddress,
      }),
    },
  });
}

/** Logs fail-open decisions at most once every 10 s (metrics come with the monitoring work). */
function failOpenReporter(log: Logger): () => void {
  let count = 0;
  let lastLogMs = 0;
  return () => {
    count++;
    const now = Date.now();
    if (now - lastLogMs < 10_000) return;
    lastLogMs = now;
    log.warn(
      { failOpenChecks: count },
      'revocation state is stale: accepting tokens without a current check (REVOKD_FAIL_MODE=open)',
    );
  };
}

export interface OpenedContext extends AppContext {
  close(): Promise<void>;
}

export async function openAppContext(
  config: Config,
  options: { log?: Logger; store?: RevokdStore; now?: () => number; checkpoints?: boolean } = {},
): Promise<OpenedContext> {
  const log = options.log ?? createLogger(config);
  const now = options.now ?? Date.now;
  // Before anything is written there: the directory 0700 and its files 0600, whatever was left.
  secureDataDir(config.dataDir);
  const metrics = new Metrics();
  // Resolved once: the store chains under these keys, the audit trail verifies with them, and the
  // key manager seals and opens signing keys with the same secret.
  const { audit: auditKeys, signingKeySealer } = resolveServiceKeys(config);
  const store = instrumentStore(
    options.store ?? (await openConfiguredStore(config, log, auditKeys)),
    metrics,
  );
  const stores = storePorts(store);
  const counters = await openCounters(config, stores.counters, log, metrics);
  const base = {
    config,
    stores,
    counters: counters.counters,
    now,
    log,
    events: new EventBus(log),
    metrics,
  };
  await ensureFirstPartyClient(base);
  await bootstrapAdmin(base);
  const keyManager = new KeyManager(config, stores.records, signingKeySealer, now);
  const keyReport = await keyManager.ensureKeys();
  for (const kid of keyReport.sealedFromFiles)
    log.info(
      { kid },
      'signing key moved from its file in keys/ into the store, sealed under the service secret',
    );
  const keys = await KeyRingHolder.create(keyManager);
  const replica = await createConfiguredReplica(config, store, log, {
    now,
    onFailOpen: failOpenReporter(log),
  });
  // A revoked key leaves the ring (and the JWKS) as soon as the feed brings its record, whichever
  // process revoked it, rather than at the next periodic reload.
  replica.onRecord((record) => {
    if (record.scope === 'key')
      keys.reload().catch((err: unknown) => log.warn({ err }, 'key ring reload failed'));
  });
  // Subscribed before start(), so no record applied after the snapshot escapes it.
  const introspectionView = new IntrospectionView(replica, now);
  await replica.start();
  keys.startReloading((err) => log.warn({ err }, 'key ring reload failed'));
  metrics.attach(base.events, {
    replicaStalenessMs: () => replica.stalenessMs(),
    health: () => probeServiceHealth(ctx),
  });
  const apiTokenUsage = new ApiTokenUsageRecorder(stores.records, log);
  apiTokenUsage.start(config.apiTokenUsageFlushMs);
  if (config.failMode === 'open') {
    log.warn(
      'REVOKD_FAIL_MODE=open: when revocation state cannot be confirmed, tokens are accepted until they expire',
    );
  }
  const blocks = new ActiveBlocks(base, replica);
  await blocks.start();
  const audit = new AuditTrail(auditKeys);
  const ctx: OpenedContext = {
    ...base,
    keyManager,
    keys,
    replica,
    apiTokenUsage,
    introspectionView,
    audit,
    verifiedTokens: new VerifiedTokenCache(config.verifiedTokenCacheSize),
    // The monitor needs the finished context; it is set right below.
    security: { blocks, monitor: undefined as unknown as SecurityMonitor },
    async close() {
      await stopCheckpoints();
      blocks.stop();
      await ctx.security.monitor.settled();
      await ctx.security.monitor.stop();
      await replica.stop();
      keys.stop();
      metrics.stop();
      await apiTokenUsage.stop();
      await counters.close();
      await store.close();
    },
  };
  const monitor = new SecurityMonitor(ctx, blocks);
  monitor.attach();
  (ctx.security as { monitor: SecurityMonitor }).monitor = monitor;
  const stopCheckpoints =
    options.checkpoints === false ? async () => undefined : startCheckpointLog(ctx);
  return ctx;
}
