/** The lifecycle port: what every backend does to open, check and close itself. */
export interface StoreLifecycle {
  readonly backend: 'sqlite' | 'postgres';
  /** Creates or upgrades the schema; safe to run on every start. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** Throws when the store cannot answer. */
  ping(): Promise<void>;
}
