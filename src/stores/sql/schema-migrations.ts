/**
 * The migration bookkeeping both backends share; their .sql files, locking and transactions are
 * their own (sqlite/migrate.ts, postgres/migrate.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Proc, exec, get, run } from './procedure.js';

export interface MigrationFile {
  readonly version: number;
  readonly file: string;
}

/** The numbered `NNN_name.sql` files of a migrations folder, oldest first. */
export function migrationFiles(dir: string): MigrationFile[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{3}_.+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 3)), file: path.join(dir, f) }));
}

/** The latest version recorded (0 before the first migration). */
export function* schemaVersion(): Proc<number> {
  const row = yield* get<{ version: number | null }>(
    'SELECT MAX(version) AS version FROM schema_migrations',
  );
  return row?.version ?? 0;
}

/**
 * One migration file, in the caller's transaction, unless it is recorded already: asked under the
 * backend's migration lock, so of instances starting together only the first applies it.
 */
export function* applyMigration(migration: MigrationFile, nowMs: number): Proc<boolean> {
  const recorded = yield* get('SELECT 1 FROM schema_migrations WHERE version = ?', [
    migration.version,
  ]);
  if (recorded !== undefined) return false;
  yield* exec(fs.readFileSync(migration.file, 'utf8'));
  yield* run('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)', [
    migration.version,
    nowMs,
  ]);
  return true;
}
