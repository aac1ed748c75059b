/**
 * Applies the numbered SQL files in migrations/ that the database has not seen, safely when N
 * instances start at once: each file is applied in its own transaction that first takes a
 * transaction-scoped advisory lock (MIGRATION_LOCK_KEY), then re-reads the applied versions under
 * it. A second instance waits on the lock, then finds the version recorded and skips it; DDL is
 * transactional in PostgreSQL, so a file is applied entirely or not at all.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { MIGRATION_RECORDED_SQL, RECORD_MIGRATION_SQL, SCHEMA_VERSION_SQL } from '../sql/schema-migrations.js';
import { numberPlaceholders } from './sql-runner.js';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Not the feed lock (feed-lock.ts): migrating must not wait for, or hold up, revocations of a running instance. */
export const MIGRATION_LOCK_KEY = 0x7265766b64_02;

interface MigrationFile { readonly version: number; readonly file: string }

function migrationFiles(): MigrationFile[] {
  return fs.readdirSync(MIGRATIONS_DIR).filter((f) => /^\d{3}_.+\.sql$/.test(f)).sort()
    .map((file) => ({ version: Number(file.slice(0, 3)), file }));
}

/** Returns the versions this call applied (none when another instance got there first). */
export async function migratePostgres(pool: pg.Pool, nowMs: number): Promise<number[]> {
  const ran: number[] = [];
  for (const migration of migrationFiles()) {
    if (await applyIfMissing(pool, migration, nowMs)) ran.push(migration.version);
  }
  return ran;
}

/** The latest version recorded in the database (0 before the first migration). */
export async function postgresSchemaVersion(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ version: number | null }>(SCHEMA_VERSION_SQL);
  return rows[0]?.version ?? 0;
}

async function applyIfMissing(pool: pg.Pool, migration: MigrationFile, nowMs: number): Promise<boolean> {
  const client = await pool.connect();
  let discard = false;
  try {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
      const applied = await client.query(numberPlaceholders(MIGRATION_RECORDED_SQL), [migration.version]);
      if (applied.rows.length > 0) {
        await client.query('COMMIT');
        return false;
      }
      // No parameters: the simple query protocol runs every statement of the file.
      await client.query(fs.readFileSync(path.join(MIGRATIONS_DIR, migration.file), 'utf8'));
      await client.query(numberPlaceholders(RECORD_MIGRATION_SQL), [migration.version, nowMs]);
      await client.query('COMMIT');
      return true;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => { discard = true; });
      throw err;
    }
  } finally {
    client.release(discard);
  }
}
