/**
 * The composition root of the store: the one place that turns a database URL into a RevokdStore.
 * The backend's module is loaded with a dynamic import() only for the backend the URL names, so a
 * process on SQLite never loads the PostgreSQL driver (`pg`), and one on PostgreSQL never loads
 * better-sqlite3.
 */
import type { KeyingOutcome } from './sqlite/key-legacy-chain.js';
import { parseStoreUrl } from '../core/database-url.js';
import type { RevokdStore } from './types.js';

export interface OpenStoreOptions {
  /** How long a unit of work may wait for another writer before ERR_STORE_UNAVAILABLE. */
  readonly storeTimeoutMs?: number;
  /** The audit chain key (never stored in the database); see app/security/service-secret.ts. */
  readonly auditChainKey: Buffer;
  /** May a legacy (plain SHA-256) audit chain be re-chained under the key on this open? */
  readonly allowLegacyChainUpgrade?: boolean;
  /** Told what opening did to a legacy audit chain (a backend without legacy chains never calls it). */
  readonly onAuditKeying?: (outcome: KeyingOutcome) => void;
  /** PostgreSQL: told when the URL's database did not exist and was created. */
  readonly onDatabaseCreated?: (name: string) => void;
}

/**
 * Opens (and migrates) the store `url` names: `sqlite:<path>` or `postgres://…` (PostgreSQL
 * databases start with a keyed audit chain, so there is no legacy keying and `onAuditKeying` is not called).
 */
export async function openStore(url: string, options: OpenStoreOptions): Promise<RevokdStore> {
  const location = parseStoreUrl(url);
  if ('problem' in location) throw new Error(`cannot open the store: the database URL ${location.problem}`);
  if (location.backend === 'postgres') {
    const { createPostgresStore } = await import('./postgres/postgres-store.js');
    return createPostgresStore(location.url, {
      storeTimeoutMs: options.storeTimeoutMs, auditChainKey: options.auditChainKey, onDatabaseCreated: options.onDatabaseCreated,
    });
  }
  const { createSqliteStore } = await import('./sqlite/sqlite-store.js');
  const store = await createSqliteStore(location.file, {
    storeTimeoutMs: options.storeTimeoutMs,
    auditChainKey: options.auditChainKey,
    allowLegacyChainUpgrade: options.allowLegacyChainUpgrade ?? false,
  });
  if (store.auditKeying !== undefined) options.onAuditKeying?.(store.auditKeying);
  return store;
}
