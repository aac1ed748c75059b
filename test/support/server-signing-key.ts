/**
 * A server's signing key as its SQLite database holds it: the row, and the private half opened with
 * the service secret the server generated into its data directory — what a test needs to forge
 * correctly signed tokens, and to check that the row holds nothing of the private key in clear.
 */
import type { KeyObject } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { resolveServiceSecret } from '../../src/app/security/service-secret.js';
import { PrivateKeySealer } from '../../src/keys/sealed-private-key.js';

export interface SigningKeyRow {
  readonly kid: string;
  readonly alg: string;
  readonly status: string;
  readonly private_key_sealed: string | null;
}

/** Every signing-key row of the database in `<dataDir>/revokd.db` (read-only). */
export function readSigningKeyRows(dataDir: string): SigningKeyRow[] {
  const db = new Database(path.join(dataDir, 'revokd.db'), { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare(
        'SELECT kid, alg, status, private_key_sealed FROM signing_keys ORDER BY created_at, kid',
      )
      .all() as SigningKeyRow[];
  } finally {
    db.close();
  }
}

/** The private half of `kid`, opened with `<dataDir>/audit-secret` (or `secret` when the server had REVOKD_SECRET). */
export function openServerPrivateKey(dataDir: string, kid: string, secret?: string): KeyObject {
  const row = readSigningKeyRows(dataDir).find((r) => r.kid === kid);
  if (row?.private_key_sealed == null) throw new Error(`no sealed private half for ${kid}`);
  const serviceSecret = resolveServiceSecret({
    dataDir,
    secret,
    databaseUrl: `sqlite:${path.join(dataDir, 'revokd.db')}`,
  });
  return new PrivateKeySealer(serviceSecret).open(kid, row.private_key_sealed);
}
