/**
 * The database named in REVOKD_DATABASE_URL may not exist yet on a fresh PostgreSQL server (SQLite
 * creates its file; PostgreSQL needs `CREATE DATABASE`). At start, when connecting fails with
 * SQLSTATE 3D000 (invalid_catalog_name), revokd creates it through the server's maintenance
 * database `postgres` — if the role may. If it may not, the start fails with one line naming the
 * database and what to run, instead of the driver's bare "database … does not exist".
 */
import pg from 'pg';
import { connectionSettings } from './pool.js';

/** SQLSTATE of a connection to a database that does not exist. */
const INVALID_CATALOG_NAME = '3D000';
/** CREATE DATABASE refused: the role lacks CREATEDB. */
const INSUFFICIENT_PRIVILEGE = '42501';
/** Another instance starting at the same moment created it first (23505: the catalog's unique index caught the race). */
const ALREADY_CREATED = new Set(['42P04', '23505']);
const MAINTENANCE_DATABASE = 'postgres';

/** Whether `err` (from opening a store on `url`) means "the database does not exist". */
export function isMissingDatabase(err: unknown): boolean {
  for (let e = err; e !== null && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === INVALID_CATALOG_NAME) return true;
  }
  return false;
}

/** Thrown when the database is missing and this role cannot create it: the message says what to run. */
export class DatabaseMissingError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseMissingError';
  }
}

/** The database and role the URL connects with, as pg reads it (a missing name defaults to the user's). */
function target(url: string): { database: string; user: string } {
  const client = new pg.Client(connectionSettings(url, 1_000, 'revokd'));
  return { database: client.database ?? client.user ?? '', user: client.user ?? '' };
}

/** `url` with its database replaced by the maintenance database (query parameters kept). */
function maintenanceUrl(url: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${MAINTENANCE_DATABASE}`;
  return parsed.toString();
}

/**
 * Creates the database `url` names. Resolves with its name once it exists (created here, or by
 * another instance meanwhile); throws {@link DatabaseMissingError} when this role cannot create it.
 */
export async function createMissingDatabase(url: string, timeoutMs: number): Promise<string> {
  const { database, user } = target(url);
  const client = new pg.Client(
    connectionSettings(maintenanceUrl(url), timeoutMs, 'revokd-create-database'),
  );
  // The name goes in as an identifier, quoted by pg (doubled quotes): never pasted into SQL as is.
  const create = `CREATE DATABASE ${client.escapeIdentifier(database)}`;
  const cannot = (why: string, cause: unknown): DatabaseMissingError =>
    new DatabaseMissingError(
      `the PostgreSQL database "${database}" (REVOKD_DATABASE_URL) does not exist and ${why}: ` +
        `create it as a role that may (psql -d ${MAINTENANCE_DATABASE} -c '${create.replace(/'/g, `'\\''`)}'), or grant CREATEDB to "${user}", then start again`,
      { cause },
    );
  try {
    await client.connect();
  } catch (err) {
    throw cannot(
      `revokd could not connect to the "${MAINTENANCE_DATABASE}" database to create it (${(err as Error).message})`,
      err,
    );
  }
  try {
    await client.query(create);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && ALREADY_CREATED.has(code)) return database;
    if (code === INSUFFICIENT_PRIVILEGE)
      throw cannot(`the role "${user}" may not create databases`, err);
    throw cannot(`creating it failed (${(err as Error).message})`, err);
  } finally {
    await client.end().catch(() => undefined);
  }
  return database;
}
