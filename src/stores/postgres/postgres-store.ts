/**
 * The networked backend: PostgreSQL through a bounded `pg` pool (pool.ts). The store contract is
 * ../sql/sql-store.ts; this file says how a unit of work runs on pg: one transaction
 * (sql-runner.ts: BEGIN … COMMIT, ROLLBACK on error, the client always released, serialization
 * failures retried) or statements on the pool, each awaited in turn; failures are translated like
 * SQLite's (translate-error.ts). What must hold when several instances write at once, and how
 * (dialect.ts carries the PostgreSQL side of each):
 *  - the feed is read in commit order and the audit log stays one chain: feed-lock.ts;
 *  - a refresh token rotates once: ../sql/sessions.ts consumeRefresh (row lock);
 *  - generation bumps are never lost: ../sql/generations.ts (upsert);
 *  - the last-admin rule, the live API-token cap and rate windows: row / key locks (disableUser in
 *    ../sql/sql-store.ts, ../sql/api-tokens.ts), besides the feed lock every audited write takes first;
 *  - other instances are woken on commit: feed-notify.ts (NOTIFY inside the transaction).
 * The revocation rules themselves are core's (core/revocation/*), as on SQLite.
 */
import pg from 'pg';
import { BACKEND_CAPABILITIES } from '../../core/database-url.js';
import type { FeedNotifications } from '../ports/revocation-log.js';
import { unitOfWork } from '../sql/feed.js';
import { type Proc, Unit } from '../sql/procedure.js';
import {
  DEFAULT_STORE_TIMEOUT_MS,
  SqlStore,
  type SqlStoreOptions,
  type UnitMode,
} from '../sql/sql-store.js';
import type { RevokdStore } from '../types.js';
import { createMissingDatabase, isMissingDatabase } from './create-database.js';
import { postgresDialect } from './dialect.js';
import { FEED_NOTIFY_CHANNEL } from './feed-notify.js';
import { migratePostgres } from './migrate.js';
import { connectionSettings, createPool } from './pool.js';
import { runOn, runTransaction } from './sql-runner.js';
import { storeUnavailable, translatePgError } from './translate-error.js';

export { FEED_NOTIFY_CHANNEL };

/** storeTimeoutMs bounds every wait: connecting, a pooled client, a statement, a reply. */
export interface PostgresStoreOptions extends SqlStoreOptions {
  /** Told when an idle pooled connection dies (it is replaced on the next checkout). */
  readonly onPoolError?: (err: Error) => void;
  /** Told when the database did not exist and was created (create-database.ts). */
  readonly onDatabaseCreated?: (name: string) => void;
}

export class PostgresStore extends SqlStore implements RevokdStore, FeedNotifications {
  readonly backend = 'postgres' as const;
  readonly capabilities = BACKEND_CAPABILITIES.postgres;
  protected readonly dialect = postgresDialect;
  /** The LISTEN channel every feed-appending transaction notifies on commit (feed-notify.ts). */
  readonly feedNotifyChannel = FEED_NOTIFY_CHANNEL;
  readonly pool: pg.Pool;
  private readonly url: string;
  private closing: Promise<void> | undefined;

  constructor(url: string, options: PostgresStoreOptions) {
    super(options);
    this.url = url;
    this.pool = createPool(url, this.storeTimeoutMs, options.onPoolError);
  }

  /**
   * 'autocommit': the statements on the pool, one at a time (each may use another connection).
   * 'write' / 'audited': one transaction, the feed lock first in an audited one (feed-lock.ts).
   * 'snapshot': one REPEATABLE READ, READ ONLY transaction.
   */
  protected unit<T>(mode: UnitMode, work: (u: Unit) => Proc<T>): Promise<T> {
    const newUnit = () => new Unit(postgresDialect, this.auditChainKey, mode === 'audited');
    return this.open(() => {
      switch (mode) {
        case 'autocommit':
          return runOn(this.pool, work(newUnit()));
        case 'snapshot':
          return runTransaction(this.pool, { snapshot: true }, () => work(newUnit()));
        default:
          return runTransaction(this.pool, {}, () =>
            unitOfWork(newUnit(), work, mode === 'audited'),
          );
      }
    });
  }

  async migrate(): Promise<void> {
    await this.schemaAfter(await this.open(() => migratePostgres(this.pool, Date.now())));
  }

  /** `work` on the open store, its failure translated (translate-error.ts). */
  private async open<T>(work: () => Promise<T>): Promise<T> {
    if (this.closing !== undefined) throw storeUnavailable('the store is closed');
    try {
      return await work();
    } catch (err) {
      throw translatePgError(err);
    }
  }

  /** Ends the pool (idempotent); every later call answers ERR_STORE_UNAVAILABLE. */
  close(): Promise<void> {
    this.closing ??= this.pool.end();
    return this.closing;
  }

  /**
   * A dedicated connection for LISTEN (not from the pool, which would hand it to other work and
   * idle it out), made with the store's settings and application_name 'revokd-listener'. The caller
   * owns it: it LISTENs on FEED_NOTIFY_CHANNEL, handles its 'error'/'end' (reconnecting and
   * catching up from the feed) and ends it.
   */
  connectListener(): Promise<pg.Client> {
    return this.open(async () => {
      const client = new pg.Client(
        connectionSettings(this.url, this.storeTimeoutMs, 'revokd-listener'),
      );
      await client.connect();
      return client;
    });
  }
}

/**
 * Opens a PostgreSQL store on `url` and applies migrations (the pool is ended if that fails). A
 * database that does not exist yet is created first, when the role may (create-database.ts).
 */
export async function createPostgresStore(
  url: string,
  options: PostgresStoreOptions,
  createIfMissing = true,
): Promise<PostgresStore> {
  const store = new PostgresStore(url, options);
  try {
    await store.migrate();
  } catch (err) {
    await store.close();
    // Only the first connection tells; the check costs nothing when the database is there.
    if (!createIfMissing || !isMissingDatabase(err)) throw err;
    const name = await createMissingDatabase(
      url,
      options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS,
    );
    options.onDatabaseCreated?.(name);
    return createPostgresStore(url, options, false);
  }
  return store;
}
