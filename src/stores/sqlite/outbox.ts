/** The durable outbox for SQLite: leased claims so two workers never send the same message at once. */
import type { OutboxRecord } from '../types.js';
import type { SqliteDatabase } from './open-database.js';

type Row = Record<string, unknown>;

function toOutbox(r: Row): OutboxRecord {
  return {
    id: r.id as number, kind: r.kind as string, recipient: r.recipient as string, subject: r.subject as string, body: r.body as string,
    createdAtMs: r.created_at as number, attempts: r.attempts as number, nextAttemptAtMs: r.next_attempt_at as number,
    sentAtMs: (r.sent_at as number | null) ?? null, lastError: (r.last_error as string | null) ?? null,
  };
}

export function claimOutboxInSqlite(db: SqliteDatabase, nowMs: number, leaseMs: number, limit: number): OutboxRecord[] {
  return db.transaction(() => (db.prepare(`UPDATE outbox SET lease_until = ?, attempts = attempts + 1
    WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
                 ORDER BY id LIMIT ?)
    RETURNING *`).all(nowMs + leaseMs, nowMs, nowMs, limit) as Row[]).map(toOutbox).sort((a, b) => a.id - b.id)).immediate();
}

export function markOutboxSentInSqlite(db: SqliteDatabase, id: number, nowMs: number): void {
  db.prepare('UPDATE outbox SET sent_at = ?, lease_until = NULL, last_error = NULL WHERE id = ?').run(nowMs, id);
}

export function markOutboxFailedInSqlite(db: SqliteDatabase, id: number, error: string, nextAttemptAtMs: number): void {
  db.prepare('UPDATE outbox SET last_error = ?, next_attempt_at = ?, lease_until = NULL WHERE id = ? AND sent_at IS NULL').run(error.slice(0, 500), nextAttemptAtMs, id);
}
