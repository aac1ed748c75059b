/** The lifecycle port: what every backend does to open, check and close itself. */
export interface StoreLifecycle {
  readonly backend: 'sqlite' | 'postgres';
  /** Creates or upgrades the schema; safe to run on every start. */
  migrate(): Promise<void>;
  /**
   * The schema as this store object left it (opening migrates): the database's latest version and
   * the versions this object applied itself, oldest first (none when the schema was already current,
   * or another process applied them first). `revokd migrate` reports it.
   */
  readonly schema: SchemaState;
  close(): Promise<void>;
  /** Throws when the store cannot answer. */
  ping(): Promise<void>;
}

export interface SchemaState {
  readonly version: number;
  readonly applied: readonly number[];
}
