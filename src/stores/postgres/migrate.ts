/**
 * Applies the numbered SQL files in migrations/ that the database has not seen, safely when N
 * instances start at once: each file is applied in its own transaction that first takes a
 * transaction-scoped advisory lock (MIGRATION_LOCK_KEY), then re-reads the applied versions under
 * it. A second instance waits on the lock, then finds the version recorded and skips it; DDL is
 * transactional in PostgreSQL, so a file is applied entirely or not at all.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { type Proc, exec } from '../sql/procedure.js';
import { type MigrationFile, applyMigration, migrationFiles } from '../sql/schema-migrations.js';
import { advisoryXactLock } from './feed-lock.js';
import { runTransaction } from './sql-runner.js';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Not the feed lock (feed-lock.ts): migrating must not wait for, or hold up, revocations of a running instance. */
export const MIGRATION_LOCK_KEY = 0x7265766b64_02;

/** Returns the versions this call applied (none when another instance got there first). */
export async function migratePostgres(pool: pg.Pool, nowMs: number): Promise<number[]> {
  const ran: number[] = [];
  for (const migration of migrationFiles(MIGRATIONS_DIR)) {
    const applied = await runTransaction(pool, {}, () => applyIfMissing(migration, nowMs));
    if (applied) ran.push(migration.version);
  }
  return ran;
}

function* applyIfMissing(migration: MigrationFile, nowMs: number): Proc<boolean> {
  yield* advisoryXactLock(MIGRATION_LOCK_KEY);
  yield* exec(`CREATE TABLE IF NOT EXISTS schema_migrations
    (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`);
  return yield* applyMigration(migration, nowMs);
}
