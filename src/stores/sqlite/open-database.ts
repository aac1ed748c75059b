/**
 * Opens the SQLite file with the settings revokd's guarantees rest on.
 *
 * Durability: WAL with synchronous=FULL. NORMAL would already survive a killed *process* (the WAL
 * frame is in the OS page cache before COMMIT returns), but not a power loss or kernel crash; an
 * acknowledged revocation must survive both, and revocations are rare next to checks (which never
 * touch the database), so the fsync per commit is a price worth paying.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;

export function openDatabase(file: string): SqliteDatabase {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  // REPLACE deletes the conflicting row; without this its DELETE triggers would not fire, and an
  // INSERT OR REPLACE could bring a revoked API token back (see migration 002).
  db.pragma('recursive_triggers = ON');
  // Another process (the CLI) may hold the write lock briefly; wait rather than fail.
  db.pragma('busy_timeout = 5000');
  return db;
}
