/**
 * Opens the SQLite file with the settings revokd's guarantees rest on.
 *
 * Durability: WAL with synchronous=NORMAL, plus a sync of the -wal file after every commit before
 * the unit that made it resolves (wal-sync.ts, on the thread pool). NORMAL alone would survive a
 * killed *process* (the WAL frames are in the OS page cache before COMMIT returns) but not a power
 * loss or kernel crash, and FULL would sync inside the call, stopping the event loop for every
 * fsync; an acknowledged revocation must survive both, and the server must keep serving meanwhile.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ensurePrivateFile, tightenIfPresent } from '../../fs/private-files.js';

export type SqliteDatabase = Database.Database;

export function openDatabase(file: string): SqliteDatabase {
  if (file !== ':memory:') {
    // Only a missing directory is created (0700); an existing one may be shared (the data directory
    // itself is tightened by openAppContext).
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
    // SQLite gives -wal and -shm the main file's mode, so a 0600 main file keeps all three private.
    ensurePrivateFile(file);
    tightenIfPresent(`${file}-wal`);
    tightenIfPresent(`${file}-shm`);
  }
  const db = new Database(file);
  // journal_mode = WAL is set by the store (useWal, sqlite-store.ts), which can wait for it.
  // NORMAL: the per-commit sync is wal-sync.ts's, off the event loop; a checkpoint still syncs here.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // REPLACE deletes the conflicting row; without this its DELETE triggers would not fire, and an
  // INSERT OR REPLACE could bring a revoked API token back (see migration 002).
  db.pragma('recursive_triggers = ON');
  // Never busy-wait inside a call: better-sqlite3 is synchronous, so SQLite's busy handler would
  // freeze the event loop while another process (the CLI, a backup) holds the lock. SqliteStore.run()
  // retries on SQLITE_BUSY asynchronously instead, bounded by the store timeout.
  db.pragma('busy_timeout = 0');
  return db;
}

/**
 * Switches the file to WAL (once per file: the mode is kept in it) and says whether it is in WAL
 * now. The first switch needs the file to itself: while another process opens the same fresh file
 * (instances started together) SQLite answers SQLITE_BUSY at once, without its busy handler, or
 * leaves the old mode and returns that — so the caller retries until this says true.
 */
export function useWal(db: SqliteDatabase): boolean {
  return db.pragma('journal_mode = WAL', { simple: true }) === 'wal';
}
