/**
 * The composition root of the store: the one place that turns a database URL into a RevokdStore.
 * The backend's module is loaded with a dynamic import() only for the backend the URL names, so a
 * process on SQLite never loads the PostgreSQL driver (`pg`), and one on PostgreSQL never loads
 * better-sqlite3.
 */
import { parseStoreUrl } from '../core/database-url.js';
import type { PostgresStoreOptions } from './postgres/postgres-store.js';
import type { KeyingOutcome } from './sqlite/key-legacy-chain.js';
import type { SqliteStoreOptions } from './sqlite/sqlite-store.js';
import type { RevokdStore } from './types.js';

/** The options of the two backends (documented there) that a database URL may be opened with. */
export interface OpenStoreOptions
  extends
    Pick<SqliteStoreOptions, 'storeTimeoutMs' | 'auditChainKey' | 'allowLegacyChainUpgrade'>,
    Pick<PostgresStoreOptions, 'onDatabaseCreated'> {
  /** Told what opening did to a legacy audit chain (a backend without legacy chains never calls it). */
  readonly onAuditKeying?: (outcome: KeyingOutcome) => void;
}

/**
 * Opens (and migrates) the store `url` names: `sqlite:<path>` or `postgres://…` (PostgreSQL
 * databases start with a keyed audit chain, so there is no legacy keying and `onAuditKeying` is not called).
 */
export async function openStore(url: string, options: OpenStoreOptions): Promise<RevokdStore> {
  const location = parseStoreUrl(url);
  if ('problem' in location)
    throw new Error(`cannot open the store: the database URL ${location.problem}`);
  if (location.backend === 'postgres') {
    const { createPostgresStore } = await import('./postgres/postgres-store.js');
    return createPostgresStore(location.url, options);
  }
  const { createSqliteStore } = await import('./sqlite/sqlite-store.js');
  const store = await createSqliteStore(location.file, options);
  if (store.auditKeying !== undefined) options.onAuditKeying?.(store.auditKeying);
  return store;
}
