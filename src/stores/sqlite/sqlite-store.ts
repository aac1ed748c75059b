/**
 * The embedded backend: one SQLite file (WAL, synchronous=FULL). The store contract is
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

export interface SqliteStoreOptions extends SqlStoreOptions {
  /** Called before each query; tests use it to count database work. */
  readonly onQuery?: () => void;
  /** May a legacy (plain SHA-256) audit chain be re-chained under the key? See key-legacy-chain.ts. */
  readonly allowLegacyChainUpgrade?: boolean;
}

export class SqliteStore extends SqlStore implements RevokdStore {
  readonly backend = 'sqlite' as const;
  readonly capabilities = BACKEND_CAPABILITIES.sqlite;
  protected readonly dialect = sqliteDialect;
  readonly db: SqliteDatabase;
  private readonly onQuery: () => void;
  private readonly allowLegacyChainUpgrade: boolean;
  /** What opening did to a legacy audit chain (set by migrate()). */
  auditKeying: KeyingOutcome | undefined;

  constructor(db: SqliteDatabase, options: SqliteStoreOptions) {
    super(options);
    this.db = db;
    this.onQuery = options.onQuery ?? (() => undefined);
    this.allowLegacyChainUpgrade = options.allowLegacyChainUpgrade ?? false;
  }

  /**
   * Every method's one unit of work. The connection does not busy-wait (open-database.ts); a locked
   * database is waited for here, off the event loop, and the whole unit runs again (a new Unit).
   */
  protected unit<T>(mode: UnitMode, work: (u: Unit) => Proc<T>): Promise<T> {
    return this.run(() => {
      const u = new Unit(sqliteDialect, this.auditChainKey, mode === 'write' || mode === 'audited');
      switch (mode) {
        case 'autocommit':
          return runSync(work(u), this.execute);
        case 'snapshot':
          return this.db.transaction(() => runSync(work(u), this.execute))();
        default:
          return this.db
            .transaction(() => runSync(unitOfWork(u, work, mode === 'audited'), this.execute))
            .immediate();
      }
    });
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
    await this.schemaAfter(await this.run(() => migrateSqlite(this.db, Date.now(), this.execute)));
    // Checked first outside a write transaction: a keyed database opens without the write lock.
    const allowed = this.allowLegacyChainUpgrade;
    this.auditKeying = (await this.unit('autocommit', keyingRecorded))
      ? 'already_keyed'
      : await this.unit('write', (u) => keyLegacyChain(u, allowed, Date.now()));
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
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
