/**
 * The revocation replica as configured (poll interval, staleness bound, fail policy, wake-ups),
 * for every process that checks tokens: the server, the CLI and the library entry point.
 */
import type { Logger } from 'pino';
import type { Config } from '../core/config.js';
import { RevocationReplica } from '../replica/revocation-replica.js';
import { feedWakeupsFor } from '../replica/wakeups/feed-wakeups.js';
import { PollDriver } from '../replica/drivers/poll-driver.js';
import type { RevokdStore } from '../stores/types.js';

/** Made, not started: callers subscribe (onRecord) before `start()` loads the snapshot. */
export async function createConfiguredReplica(
  config: Config,
  store: RevokdStore,
  log: Logger,
  options: { now?: () => number; onFailOpen?: () => void } = {},
): Promise<RevocationReplica> {
  const { wakeups, announcers } = await feedWakeupsFor(config, store, log);
  const driver = new PollDriver({
    source: store,
    pollMs: config.feedPollMs,
    wakeups,
    onSyncError: (err) => log.warn({ err }, 'revocation feed read failed'),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  return new RevocationReplica({
    driver,
    announcers,
    maxStalenessMs: config.maxStalenessMs,
    pruneIntervalMs: config.pruneIntervalMs,
    failMode: config.failMode,
    // Fail-open is bounded by the access-token TTL (see ReplicaOptions.failOpenMaxMs).
    failOpenMaxMs: config.accessTtlSeconds * 1000,
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.onFailOpen === undefined ? {} : { onFailOpen: options.onFailOpen }),
  });
}
