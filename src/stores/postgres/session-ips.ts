/**
 * The addresses a session was created or refreshed from (session_ips) and the address columns of
 * API tokens, each with its fixed-width hex form (core/containment ipHex) in a COLLATE "C" column,
 * so an IP revocation finds them with a btree range (`ip_hex BETWEEN start AND end`), never a scan.
 */
import { ipHex } from '../../core/containment/ip-address.js';
import { hexBoundsOf } from '../sql/session-ips.js';
import type { SqlRunner } from './sql-runner.js';

/** Adds an address to a session's set (once). */
export async function insertSessionIp(sql: SqlRunner, sessionId: string, ip: string, atMs: number): Promise<void> {
  await sql.rows('INSERT INTO session_ips (session_id, ip, first_seen_at, ip_hex) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
    [sessionId, ip, atMs, ipHex(ip) ?? null]);
}

/** A use of the session that does not rotate it (a refresh replayed inside the grace window). */
export async function recordSessionIpIn(sql: SqlRunner, sessionId: string, ip: string, nowMs: number): Promise<void> {
  const updated = await sql.changes('UPDATE sessions SET last_used_at = GREATEST(last_used_at, $1), last_ip = $2 WHERE id = $3', [nowMs, ip, sessionId]);
  if (updated > 0) await insertSessionIp(sql, sessionId, ip, nowMs);
}

/** Live sessions with any address in the range (through session_ips_by_ip_hex). */
export async function liveSessionIdsInRange(sql: SqlRunner, cidr: string, nowMs: number): Promise<string[]> {
  const { start, end } = hexBoundsOf(cidr);
  const rows = await sql.rows<{ id: string }>(`SELECT DISTINCT s.id FROM session_ips i JOIN sessions s ON s.id = i.session_id
    WHERE i.ip_hex BETWEEN $1 AND $2 AND s.revoked_at IS NULL AND s.expires_at > $3`, [start, end, nowMs]);
  return rows.map((r) => r.id);
}

/** Live, non-canary API tokens created or last used from an address in the range (partial indexes on both). */
export async function liveApiTokenIdsInRange(sql: SqlRunner, cidr: string): Promise<string[]> {
  const { start, end } = hexBoundsOf(cidr);
  const rows = await sql.rows<{ id: string }>(`SELECT id FROM api_tokens WHERE is_active AND NOT is_canary AND created_ip_hex BETWEEN $1 AND $2
    UNION SELECT id FROM api_tokens WHERE is_active AND NOT is_canary AND last_used_ip_hex BETWEEN $1 AND $2`, [start, end]);
  return rows.map((r) => r.id);
}
