/**
 * The addresses a session was created or refreshed from (session_ips), each with its fixed-width
 * hex form (ip_hex, see core/containment ipHex) so an IP revocation finds them with an index range
 * (`ip_hex BETWEEN start AND end`) instead of scanning every live session.
 */
import { ipHex } from '../../core/containment/ip-address.js';
import { hexBoundsOf } from '../sql/session-ips.js';
import type { SqliteDatabase } from './open-database.js';

/** Adds an address to a session's set (once). */
export function insertSessionIp(db: SqliteDatabase, sessionId: string, ip: string, atMs: number): void {
  db.prepare('INSERT OR IGNORE INTO session_ips (session_id, ip, first_seen_at, ip_hex) VALUES (?, ?, ?, ?)')
    .run(sessionId, ip, atMs, ipHex(ip) ?? null);
}

/** A use of the session that does not rotate it (a refresh replayed inside the grace window). */
export function recordSessionIpInSqlite(db: SqliteDatabase, sessionId: string, ip: string, nowMs: number): void {
  db.transaction(() => {
    const updated = db.prepare('UPDATE sessions SET last_used_at = MAX(last_used_at, ?), last_ip = ? WHERE id = ?').run(nowMs, ip, sessionId);
    if (updated.changes > 0) insertSessionIp(db, sessionId, ip, nowMs);
  }).immediate();
}

/** Live sessions with any address in the range (through session_ips_by_ip_hex). */
export function liveSessionIdsInRange(db: SqliteDatabase, cidr: string, nowMs: number): string[] {
  const { start, end } = hexBoundsOf(cidr);
  return db.prepare(`SELECT DISTINCT s.id FROM session_ips i JOIN sessions s ON s.id = i.session_id
    WHERE i.ip_hex BETWEEN ? AND ? AND s.revoked_at IS NULL AND s.expires_at > ?`).pluck().all(start, end, nowMs) as string[];
}

/** Live, non-canary API tokens created or last used from an address in the range (partial indexes on both). */
export function liveApiTokenIdsInRange(db: SqliteDatabase, cidr: string): string[] {
  const { start, end } = hexBoundsOf(cidr);
  return db.prepare(`SELECT id FROM api_tokens WHERE is_active = 1 AND is_canary = 0 AND created_ip_hex BETWEEN ? AND ?
    UNION SELECT id FROM api_tokens WHERE is_active = 1 AND is_canary = 0 AND last_used_ip_hex BETWEEN ? AND ?`).pluck().all(start, end, start, end) as string[];
}
