/**
 * The embedded backend: one SQLite file (WAL; every commit synced before its unit resolves, off the
 * event loop — wal-sync.ts). The store contract is
 * ../sql/sql-store.ts; this file says how a unit of work runs on better-sqlite3, which is
 * synchronous: a write runs its whole procedure (../sql/procedure.ts runSync) inside one IMMEDIATE
 * transaction, in one call — so the busy wait (retry-when-busy.ts) can repeat it, since BUSY at
 * BEGIN IMMEDIATE or at an autocommit statement means nothing was applied. Each method is async
 * only to honour the contract shared with the networked backend.
 */
import type { Statement } from 'better-sqlite3';
import { BACKEND_CAPABILITIES } from '../../core/database-url.js';
import { RevokdError } from '../../core/errors.js';
import { unitOfWork } from '../sql/feed.js';
import { type Proc, type Query, Unit, perStatement, runSync } from '../sql/procedure.js';
import { SqlStore, type SqlStoreOptions, type UnitMode } from '../sql/sql-store.js';
import type { RevokdStore } from '../types.js';
import { sqliteDialect } from './dialect.js';
import { type KeyingOutcome, keyLegacyChain, keyingRecorded } from './key-legacy-chain.js';
import { migrateSqlite } from './migrate.js';
import { type SqliteDatabase, openDatabase, useWal } from './open-database.js';
import { isBusyError, retryWhenBusy } from './retry-when-busy.js';
import { type SyncFile, WalSync } from './wal-sync.js';

export interface SqliteStoreOptions extends SqlStoreOptions {
  /** Called before each query; tests use it to count database work. */
  readonly onQuery?: () => void;
  /** May a legacy (plain SHA-256) audit chain be re-chained under the key? See key-legacy-chain.ts. */
  readonly allowLegacyChainUpgrade?: boolean;
  /** How the -wal file is made durable after a commit (default fdatasync; tests hold it back). */
  readonly syncWal?: SyncFile;
}

export class SqliteStore extends SqlStore implements RevokdStore {
  readonly backend = 'sqlite' as const;
  readonly capabilities = BACKEND_CAPABILITIES.sqlite;
  protected readonly dialect = sqliteDialect;
  readonly db: SqliteDatabase;
  private readonly onQuery: () => void;
  private readonly allowLegacyChainUpgrade: boolean;
  /** Commits made durable off the event loop; none for an in-memory database. */
  private readonly walSync: WalSync | undefined;
  /** Whether the attempt running now ran a statement that may write (set by execute). */
  private wrote = false;
  /** What opening did to a legacy audit chain (set by migrate()). */
  auditKeying: KeyingOutcome | undefined;

  constructor(db: SqliteDatabase, options: SqliteStoreOptions) {
    super(options);
    this.db = db;
    this.onQuery = options.onQuery ?? (() => undefined);
    this.allowLegacyChainUpgrade = options.allowLegacyChainUpgrade ?? false;
    this.walSync = db.memory ? undefined : new WalSync(db, options.syncWal);
  }

  /**
   * Every method's one unit of work. The connection does not busy-wait (open-database.ts); a locked
   * database is waited for here, off the event loop, and the whole unit runs again (a new Unit).
   */
  protected async unit<T>(mode: UnitMode, work: (u: Unit) => Proc<T>): Promise<T> {
    const writes = mode === 'write' || mode === 'audited';
    let ticket: number | undefined;
    const result = await this.run(() => {
      // Counted inside the attempt (synchronous): another unit may run before this one resumes.
      this.wrote = false;
      try {
        const u = new Unit(sqliteDialect, this.auditChainKey, writes);
        switch (mode) {
          case 'autocommit':
            return runSync(work(u), this.execute);
          case 'snapshot':
            return this.db.transaction(() => runSync(work(u), this.execute))();
          default: {
            const value = this.db
              .transaction(() => runSync(unitOfWork(u, work, mode === 'audited'), this.execute))
              .immediate();
            ticket = this.walSync?.committedNow();
            return value;
          }
        }
      } finally {
        // An autocommit statement that wrote committed on its own, even if a later one failed.
        if (mode === 'autocommit' && this.wrote) ticket = this.walSync?.committedNow();
        else if (!writes) ticket = this.walSync?.seenOthers();
      }
    });
    // A write resolves once its commit is on disk; a read once every commit it could see is.
    await this.walSync?.durable(ticket);
    return result;
  }

  private async run<T>(work: () => T): Promise<T> {
    this.onQuery();
    try {
      return await retryWhenBusy(work, this.storeTimeoutMs);
    } catch (err) {
      throw translateError(err);
    }
  }

  private readonly execute = (q: Query): unknown => {
    if (q.kind === 'run' || q.kind === 'exec') this.wrote = true;
    if (q.kind === 'exec') return void this.db.exec(q.sql);
    const statement = this.prepared(q.sql);
    switch (q.kind) {
      case 'all':
        return statement.all(...q.params);
      case 'get':
        return statement.get(...q.params);
      case 'run':
        return statement.run(...q.params).changes;
      case 'rows':
        return this.preparedRaw(q.sql).all(...q.params);
    }
  };

  /**
   * A statement prepared once per connection. Preparing is a fifth of the CPU time of an API-token
   * introspection otherwise (three lookups per request). Sound to share: better-sqlite3 runs each
   * statement to completion synchronously, and SQLite re-prepares it itself if the schema changes.
   */
  private readonly prepared = perStatement((sql): Statement => this.db.prepare(sql));
  /** The same, in raw mode (rows as arrays): a statement's mode is its own, so never shared. */
  private readonly preparedRaw = perStatement((sql): Statement => this.db.prepare(sql).raw(true));

  async migrate(): Promise<void> {
    await this.run(() => {
      // A mode left as it was is retried like a busy error (retry-when-busy.ts).
      if (!useWal(this.db))
        throw Object.assign(new Error('the database could not be switched to WAL yet'), {
          code: 'SQLITE_BUSY',
        });
    });
    const ran = await this.run(() => migrateSqlite(this.db, Date.now(), this.execute));
    await this.walSync?.durable(this.walSync.committedNow());
    await this.schemaAfter(ran);
    // Checked first outside a write transaction: a keyed database opens without the write lock.
    const allowed = this.allowLegacyChainUpgrade;
    this.auditKeying = (await this.unit('autocommit', keyingRecorded))
      ? 'already_keyed'
      : await this.unit('write', (u) => keyLegacyChain(u, allowed, Date.now()));
  }

  async close(): Promise<void> {
    try {
      await this.walSync?.close();
    } finally {
      if (this.db.open) this.db.close();
    }
  }
}

/** Opens (creating if needed, mode 0600) a SQLite store at `file` and applies migrations. */
export async function createSqliteStore(
  file: string,
  options: SqliteStoreOptions,
): Promise<SqliteStore> {
  const store = new SqliteStore(openDatabase(file), options);
  await store.migrate();
  return store;
}

/** Constraint violations are conflicts; busy/locked/IO errors mean the store is unavailable. */
function translateError(err: unknown): unknown {
  if (err instanceof Error && /database connection is not open/.test(err.message)) {
    return new RevokdError('ERR_STORE_UNAVAILABLE', 'the store is closed', {
      retryAfterSeconds: 1,
      cause: err,
    });
  }
  if (err instanceof RevokdError || err instanceof TypeError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code.startsWith('SQLITE_CONSTRAINT'))
      return new RevokdError('ERR_CONFLICT', 'already exists', { cause: err });
    if (
      isBusyError(err) ||
      code.startsWith('SQLITE_IOERR') ||
      code === 'SQLITE_FULL' ||
      code === 'SQLITE_CANTOPEN'
    ) {
      return new RevokdError('ERR_STORE_UNAVAILABLE', 'the store is unavailable', {
        retryAfterSeconds: 1,
        cause: err,
      });
    }
  }
  return err;
}
