/** Applies the numbered SQL files in migrations/ that the database has not seen, each in one transaction. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqliteDatabase } from './open-database.js';
import { ipHex } from '../../core/containment/ip-address.js';
import { MIGRATION_RECORDED_SQL, RECORD_MIGRATION_SQL, SCHEMA_VERSION_SQL } from '../sql/schema-migrations.js';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export function migrateSqlite(db: SqliteDatabase, nowMs: number): number[] {
  // Migrations backfill address columns with the code's own canonical hex form (005).
  db.function('revokd_ip_hex', { deterministic: true }, (ip: unknown) => (typeof ip === 'string' ? ipHex(ip) ?? null : null));
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  const files = fs.readdirSync(MIGRATIONS_DIR).filter((f) => /^\d{3}_.+\.sql$/.test(f)).sort();
  const ran: number[] = [];
  for (const file of files) {
    const version = Number(file.slice(0, 3));
    if (applied.has(version)) continue;
    const sql = fs.readFileSync(path.join(MIGRATIONS_DIR, file), 'utf8');
    // Asked again under the write lock: instances starting together on one fresh file all read
    // "not applied" above, and each one after the first must skip what another just applied.
    const appliedNow = db.transaction(() => {
      if (db.prepare(MIGRATION_RECORDED_SQL).get(version) !== undefined) return false;
      db.exec(sql);
      db.prepare(RECORD_MIGRATION_SQL).run(version, nowMs);
      return true;
    }).immediate();
    if (appliedNow) ran.push(version);
  }
  return ran;
}

/** The latest version recorded in the database (0 before the first migration). */
export function sqliteSchemaVersion(db: SqliteDatabase): number {
  return (db.prepare(SCHEMA_VERSION_SQL).pluck().get() as number | null) ?? 0;
}
