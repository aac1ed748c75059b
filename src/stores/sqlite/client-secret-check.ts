/**
 * The commit-time re-check of a client secret (NewSession.clientSecret): the secret was verified
 * before the write transaction began, and a rotation or a disable may have committed since. Inside
 * the write transaction (BEGIN IMMEDIATE: no other writer in between) the client row is read again.
 */
import { RevokdError } from '../../core/errors.js';
import { matchClientSecret } from '../../core/client-secret-match.js';
import type { SqliteDatabase } from './open-database.js';
import { toClient } from '../sql/rows.js';

/** Throws ERR_INVALID_CLIENT (the transaction rolls back) unless the hash still authenticates the client. */
export function assertClientSecretStillGood(db: SqliteDatabase, clientId: string, check: { readonly hash: string; readonly nowMs: number }): void {
  const row = db.prepare('SELECT * FROM clients WHERE id = ?').get(clientId) as Record<string, unknown> | undefined;
  if (row === undefined || matchClientSecret(toClient(row), check.hash, check.nowMs) === undefined) {
    throw new RevokdError('ERR_INVALID_CLIENT', 'client authentication failed');
  }
}
