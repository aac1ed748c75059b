/**
 * A database of its own for each test file on the machine's PostgreSQL (127.0.0.1:5432, trust
 * auth; REVOKD_TEST_POSTGRES_URL names another server's maintenance database), so test files run
 * in parallel without seeing each other's rows, and NOTIFY channels (per database) stay apart.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const ADMIN_URL =
  process.env.REVOKD_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** A postgres:// URL for REVOKD_DATABASE_URL or openStore. */
  readonly url: string;
  readonly name: string;
  /** Drops the database, first ending any connection still open to it. */
  drop(): Promise<void>;
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database named after `label` (letters, digits, underscores) plus a random suffix. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `revokd_${label
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () =>
      withAdmin(async (c) => {
        await c.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [name],
        );
        await c.query(`DROP DATABASE IF EXISTS "${name}"`);
      }),
  };
}

/** Ends every connection to the database except the caller's (a listener, a pool): a dropped link, not an outage. */
export async function terminateConnections(
  name: string,
  filter: { applicationName?: string } = {},
): Promise<number> {
  return withAdmin(async (c) => {
    const result = await c.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()
         AND ($2::text IS NULL OR application_name = $2)`,
      [name, filter.applicationName ?? null],
    );
    return result.rowCount ?? 0;
  });
}
