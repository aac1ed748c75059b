/**
 * The durable outbox for PostgreSQL: leased claims so two workers (on any instances) never send the
 * same message at once — FOR UPDATE SKIP LOCKED lets concurrent claimers take disjoint rows instead
 * of queueing on each other, and the lease keeps a claimed row out of later claims until it ends.
 */
import type { OutboxRecord } from '../types.js';
import { toOutbox } from '../sql/rows.js';
import type { SqlRunner } from './sql-runner.js';

export async function claimOutboxIn(sql: SqlRunner, nowMs: number, leaseMs: number, limit: number): Promise<OutboxRecord[]> {
  const rows = await sql.rows(`UPDATE outbox SET lease_until = $1, attempts = attempts + 1
    WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until <= $2)
                 ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
    RETURNING *`, [nowMs + leaseMs, nowMs, limit]);
  return rows.map(toOutbox).sort((a, b) => a.id - b.id);
}

export async function markOutboxSentIn(sql: SqlRunner, id: number, nowMs: number): Promise<void> {
  await sql.rows('UPDATE outbox SET sent_at = $1, lease_until = NULL, last_error = NULL WHERE id = $2', [nowMs, id]);
}

export async function markOutboxFailedIn(sql: SqlRunner, id: number, error: string, nextAttemptAtMs: number): Promise<void> {
  await sql.rows('UPDATE outbox SET last_error = $1, next_attempt_at = $2, lease_until = NULL WHERE id = $3 AND sent_at IS NULL', [error.slice(0, 500), nextAttemptAtMs, id]);
}
