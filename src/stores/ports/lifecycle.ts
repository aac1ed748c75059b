import type { StoreCapabilities } from '../../core/database-url.js';

/** The lifecycle port: what every backend does to open, check and close itself. */
export interface StoreLifecycle {
  /**
   * The backend's name, for reporting only (health JSON `backend`, logs, CLI output). Code never
   * branches on it: it asks {@link StoreLifecycle.capabilities}.
   */
  readonly backend: 'sqlite' | 'postgres';
  /** What this backend can do: the facts its URL declares before it is opened (StoreLocation). */
  readonly capabilities: StoreCapabilities;
  /**
   * Creates or upgrades the schema to the latest version this code knows; safe to run on every
   * start and from several processes at once (each version is applied once).
   */
  migrate(): Promise<void>;
  /**
   * The schema as this store object left it (opening migrates): the database's latest version and
   * the versions this object applied itself, oldest first (none when the schema was already current,
   * or another process applied them first). `revokd migrate` reports it.
   */
  readonly schema: SchemaState;
  /** Releases the connections (or the file); later calls fail. Resolves once all are closed. */
  close(): Promise<void>;
  /** Resolves when the store can answer a query now; rejects (within its timeout) when not. */
  ping(): Promise<void>;
}

export interface SchemaState {
  /** The database's schema version after opening (the latest this code knows). */
  readonly version: number;
  /** The versions this store object applied itself, oldest first. */
  readonly applied: readonly number[];
}
