/**
 * A ServerProcess on either store backend, for tests that must show the same behaviour on both:
 * SQLite in the server's own data dir, or a private PostgreSQL database (test/support/postgres.ts)
 * with the REVOKD_SECRET a PostgreSQL deployment requires. `stop()` stops the server and drops
 * the database.
 */
import { randomBytes } from 'node:crypto';
import { type TestDatabase, createTestDatabase } from './postgres.js';
import { ServerProcess, type ServerProcessOptions } from './server-process.js';

export const BACKENDS = ['sqlite', 'postgres'] as const;
export type Backend = (typeof BACKENDS)[number];

export interface ServerOnBackend {
  readonly server: ServerProcess;
  stop(): Promise<void>;
}

/** Starts revokd on `backend`; `label` names the PostgreSQL database (letters, digits, underscores). */
export async function startServerOn(
  backend: Backend,
  label: string,
  options: ServerProcessOptions = {},
): Promise<ServerOnBackend> {
  const db: TestDatabase | undefined =
    backend === 'postgres' ? await createTestDatabase(label) : undefined;
  const env =
    db === undefined
      ? options.env
      : {
          REVOKD_DATABASE_URL: db.url,
          REVOKD_SECRET: randomBytes(32).toString('hex'),
          ...options.env,
        };
  let server: ServerProcess;
  try {
    server = await ServerProcess.start({ ...options, ...(env === undefined ? {} : { env }) });
  } catch (err) {
    await db?.drop();
    throw err;
  }
  return {
    server,
    async stop() {
      await server.stop();
      await db?.drop();
    },
  };
}
