/**
 * Runs a CLI action against the store REVOKD_DATABASE_URL names — SQLite or PostgreSQL, through the
 * same composition root as the server (openConfiguredStore) — then closes it (a CLI process must exit).
 */
import { openAppContext, openConfiguredStore } from '../app/open-app-context.js';
import type { RevokdStore } from '../stores/types.js';
import type { AppContext } from '../app/context.js';
import fs from 'node:fs';
import { loadConfig } from '../core/config.js';
import { parseStoreUrl } from '../core/database-url.js';
import { RevokdError } from '../core/errors.js';
import { fail } from './output.js';
import { cliLogger } from './cli-log.js';
import { AuditTrail } from '../app/security/audit-trail.js';
import { resolveAuditKeys } from '../app/security/service-secret.js';

export async function withContext(
  json: boolean,
  action: (ctx: AppContext) => Promise<void>,
): Promise<void> {
  let ctx;
  try {
    const config = loadConfig();
    // Warnings only, as text on stderr, so stdout stays the answer (cli-log.ts).
    ctx = await openAppContext(config, { log: cliLogger(), checkpoints: false });
    await action(ctx);
  } catch (err) {
    await ctx?.close().catch(() => undefined);
    fail(json, err);
  }
  await ctx.close();
}

/**
 * Runs a CLI action against the store alone — no keys generated, no admin bootstrapped, no replica:
 * for commands that only read (audit verify/export), so pointing one at a copy of a data directory
 * (forensics) leaves the copy as it was.
 */
export async function withStore(
  json: boolean,
  action: (store: RevokdStore, audit: AuditTrail) => Promise<void>,
): Promise<void> {
  let store: RevokdStore | undefined;
  try {
    const config = loadConfig();
    // Reading must not create: a mistyped data directory is an error, not an empty, valid log.
    // (Only a location that is a local file can be created by opening it; a database server's
    // database must already exist.)
    const location = parseStoreUrl(config.databaseUrl);
    if ('file' in location && location.file !== ':memory:' && !fs.existsSync(location.file)) {
      throw new RevokdError(
        'ERR_NOT_FOUND',
        `no database at ${location.file} (check REVOKD_DATA_DIR / REVOKD_DATABASE_URL)`,
      );
    }
    // The same keys as the server on this data directory (REVOKD_SECRET or <dataDir>/audit-secret).
    const keys = resolveAuditKeys(config);
    store = await openConfiguredStore(config, undefined, keys);
    await action(store, new AuditTrail(keys));
  } catch (err) {
    await store?.close().catch(() => undefined);
    fail(json, err);
  }
  await store.close();
}
