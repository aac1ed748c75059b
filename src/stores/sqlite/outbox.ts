/** The durable outbox for SQLite: leased claims so two workers never send the same message at once. */
import type { OutboxRecord } from '../types.js';
import type { SqliteDatabase } from './open-database.js';
import { toOutbox } from '../sql/rows.js';

type Row = Record<string, unknown>;

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
