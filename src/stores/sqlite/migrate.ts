/** Applies the numbered SQL files in migrations/ that the database has not seen, each in one transaction. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqliteDatabase } from './open-database.js';
import { ipHex } from '../../core/containment/ip-address.js';
import { type Query, runSync } from '../sql/procedure.js';
import { applyMigration, migrationFiles } from '../sql/schema-migrations.js';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/** `execute` runs the shared procedure's statements on `db` (SqliteStore's). */
export function migrateSqlite(
  db: SqliteDatabase,
  nowMs: number,
  execute: (q: Query) => unknown,
): number[] {
  // Migrations backfill address columns with the code's own canonical hex form (005).
  db.function('revokd_ip_hex', { deterministic: true }, (ip: unknown) =>
    typeof ip === 'string' ? (ipHex(ip) ?? null) : null,
  );
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
  );
  const applied = new Set(
    db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[],
  );
  const ran: number[] = [];
  for (const migration of migrationFiles(MIGRATIONS_DIR)) {
    if (applied.has(migration.version)) continue;
    // Asked again under the write lock: instances starting together on one fresh file all read
    // "not applied" above, and each one after the first must skip what another just applied.
    if (db.transaction(() => runSync(applyMigration(migration, nowMs), execute)).immediate())
      ran.push(migration.version);
  }
  return ran;
}
