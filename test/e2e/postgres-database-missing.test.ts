/**
 * Issue 17, item 9: the PostgreSQL database named in REVOKD_DATABASE_URL does not exist yet. With a
 * role that may create databases, `revokd serve` creates it (the name is a quoted identifier: this
 * one needs quoting) and starts; with a role that may not, the start fails with one line naming the
 * database and what to run. Real PostgreSQL (127.0.0.1:5432), real server processes; the database
 * and role are random and dropped afterwards.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { login } from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess } from '../support/server-process.js';

const ADMIN_URL =
  process.env.REVOKD_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function asAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const databaseExists = (name: string): Promise<boolean> =>
  asAdmin(
    async (c) =>
      (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1,
  );

/** ADMIN_URL as `user`, on database `name`. */
function urlFor(name: string, user?: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${encodeURIComponent(name)}`;
  if (user !== undefined) url.username = user;
  return url.toString();
}

describe('a PostgreSQL database that does not exist yet', () => {
  const suffix = randomBytes(4).toString('hex');
  // Upper case and a hyphen: valid only as a quoted identifier.
  const database = `revokd-Missing_${suffix}`;
  const role = `revokd_nocreatedb_${suffix}`;
  const env = { REVOKD_SECRET: randomBytes(32).toString('hex') };

  after(async () => {
    await asAdmin(async (c) => {
      await c.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [database],
      );
      await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(database)}`);
      await c.query(`DROP ROLE IF EXISTS ${c.escapeIdentifier(role)}`);
    });
  });

  test('a role without CREATEDB: the start fails with one line naming the database and what to run', async () => {
    await asAdmin((c) => c.query(`CREATE ROLE ${c.escapeIdentifier(role)} LOGIN NOCREATEDB`));
    const failed = await ServerProcess.start({
      env: { ...env, REVOKD_DATABASE_URL: urlFor(database, role) },
    }).then(
      async (s) => {
        await s.stop();
        return undefined;
      },
      (err: unknown) => String(err),
    );
    assert.ok(failed !== undefined, 'the server must not start');
    const line = failed.split('\n').find((l) => l.includes('does not exist'));
    assert.ok(line !== undefined, failed);
    assert.ok(line.includes(`"${database}"`), `names the database: ${line}`);
    assert.ok(line.includes(`may not create databases`), line);
    assert.ok(line.includes(`CREATE DATABASE "${database}"`), `says what to run: ${line}`);
    assert.doesNotMatch(failed, /\n\s+at /, 'no stack trace');
    assert.equal(await databaseExists(database), false);
  });

  test('a role that may create databases: it is created, the service starts on it, and a restart just uses it', async () => {
    assert.equal(await databaseExists(database), false);
    const server = await ServerProcess.start({
      env: { ...env, REVOKD_DATABASE_URL: urlFor(database) },
    });
    try {
      assert.equal(await databaseExists(database), true);
      assert.match(
        server.output,
        new RegExp(`the PostgreSQL database \\\\"${database}\\\\" did not exist: created it`),
      );
      assert.ok(
        (await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token,
        'the admin signs in: the schema is there',
      );
      await server.restart();
      assert.equal(server.output.match(/did not exist: created it/g)?.length, 1, 'created once');
      assert.ok((await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token);
    } finally {
      await server.stop();
    }
  });
});
