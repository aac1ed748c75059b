/**
 * The store as configured, for every process that opens one: the server and the CLI (through
 * open-app-context.ts) and the library entry point, which must not load the rest of the app
 * context (metrics, key manager, detectors) to get it.
 */
import type { Logger } from 'pino';
import type { AuditKeys } from '../core/audit/audit-keys.js';
import type { Config } from '../core/config.js';
import { parseStoreUrl } from '../core/database-url.js';
import { openStore } from '../stores/open-store.js';
import type { RevokdStore } from '../stores/types.js';
import { allowLegacyChainUpgrade, markChainKeyed } from './security/chain-keyed-marker.js';
import { resolveAuditKeys } from './security/service-secret.js';

/**
 * The configured store, through the composition root (stores/open-store.ts). The keyed-chain
 * marker is a file beside a SQLite database, so it is read and written only for one.
 */
export async function openConfiguredStore(
  config: Config,
  log?: Logger,
  keys: AuditKeys = resolveAuditKeys(config),
): Promise<RevokdStore> {
  const location = parseStoreUrl(config.databaseUrl);
  const file = 'file' in location ? location.file : undefined;
  const store = await openStore(config.databaseUrl, {
    storeTimeoutMs: config.storeTimeoutMs,
    auditChainKey: keys.chain,
    allowLegacyChainUpgrade: file !== undefined && allowLegacyChainUpgrade(file),
    onAuditKeying: (outcome) => {
      if (outcome === 'keyed')
        log?.warn(
          'the audit log (plain SHA-256 chain) verified and was re-chained under the audit key',
        );
      if (outcome === 'legacy_chain_broken')
        log?.error(
          'the audit log does not verify (it was not re-chained under the audit key): run `revokd audit verify`',
        );
    },
    onDatabaseCreated: (name) =>
      log?.warn({ database: name }, `the PostgreSQL database "${name}" did not exist: created it`),
  });
  if (file !== undefined) markChainKeyed(file);
  return store;
}
