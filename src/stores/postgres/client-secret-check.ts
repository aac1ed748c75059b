/**
 * The commit-time re-check of a client secret (NewSession.clientSecret): the secret was verified
 * before the transaction began, and a rotation or a disable may have committed since. The client
 * row is read again in the transaction that writes the session, FOR SHARE: a rotation or disable
 * (an UPDATE of that row) cannot commit until this transaction has, so the revocation that follows
 * it is numbered after the generations this session is stamped with, and covers it.
 */
import { RevokdError } from '../../core/errors.js';
import { matchClientSecret } from '../../core/client-secret-match.js';
import { toClient } from '../sql/rows.js';
import type { SqlRunner } from './sql-runner.js';

/** Throws ERR_INVALID_CLIENT (the transaction rolls back) unless the hash still authenticates the client. */
export async function assertClientSecretStillGood(tx: SqlRunner, clientId: string, check: { readonly hash: string; readonly nowMs: number }): Promise<void> {
  const row = await tx.one('SELECT * FROM clients WHERE id = $1 FOR SHARE', [clientId]);
  if (row === undefined || matchClientSecret(toClient(row), check.hash, check.nowMs) === undefined) {
    throw new RevokdError('ERR_INVALID_CLIENT', 'client authentication failed');
  }
}
