/**
 * The record, outside the database, that a database's audit chain is keyed. Its absence is the
 * only thing that lets opening re-chain a legacy (plain SHA-256) log under the key: the marker
 * cannot live in the database, because whoever can write the database could delete it, rewrite
 * the log as a legacy chain and have the next start key the forgery. Written (0600) right after
 * the first open of a version with keyed chains, whatever that open found — a legacy log that did
 * not verify stays unkeyed and keeps failing verification rather than being re-keyed later.
 */
import fs from 'node:fs';

export function chainKeyedMarkerPath(databaseFile: string): string {
  return `${databaseFile}.audit-keyed`;
}

export function allowLegacyChainUpgrade(databaseFile: string): boolean {
  return databaseFile !== ':memory:' && !fs.existsSync(chainKeyedMarkerPath(databaseFile));
}

export function markChainKeyed(databaseFile: string): void {
  if (databaseFile === ':memory:') return;
  try {
    fs.closeSync(fs.openSync(chainKeyedMarkerPath(databaseFile), 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}
