/**
 * The addresses a session was created or refreshed from (session_ips) and the address columns of
 * API tokens, each with its fixed-width hex form (core/containment ipHex) — COLLATE "C" on
 * PostgreSQL — so an IP revocation finds them with an index range (`ip_hex BETWEEN start AND end`)
 * instead of scanning every live session.
 */
import { cidrHexBounds, ipHex, parseCidr } from '../../core/containment/ip-address.js';
import { liveCutoff, liveSession } from './live.js';
import { type Proc, type Unit, all, run } from './procedure.js';

/** The range as hex bounds; throws on text that is not a CIDR (callers validated it). */
export function hexBoundsOf(cidr: string): { start: string; end: string; text: string } {
  const range = parseCidr(cidr);
  if (range === undefined) throw new TypeError(`not an IP address or CIDR range: ${cidr}`);
  return { ...cidrHexBounds(range), text: range.text };
}

/** Adds an address to a session's set (once). */
export function* insertSessionIp(sessionId: string, ip: string, atMs: number): Proc<void> {
  yield* run(
    'INSERT INTO session_ips (session_id, ip, first_seen_at, ip_hex) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    [sessionId, ip, atMs, ipHex(ip) ?? null],
  );
}

/** A use of the session that does not rotate it (a refresh replayed inside the grace window). */
export function* recordSessionIp(
  u: Unit,
  sessionId: string,
  ip: string,
  nowMs: number,
): Proc<void> {
  const updated = yield* run(
    `UPDATE sessions SET last_used_at = ${u.d.greatest('last_used_at', '?')}, last_ip = ? WHERE id = ?`,
    [nowMs, ip, sessionId],
  );
  if (updated > 0) yield* insertSessionIp(sessionId, ip, nowMs);
}

/** Live sessions with any address in the range (through session_ips_by_ip_hex). */
export function* liveSessionIdsInRange(cidr: string, nowMs: number): Proc<string[]> {
  const { start, end } = hexBoundsOf(cidr);
  const rows = yield* all<{ id: string }>(
    `SELECT DISTINCT s.id FROM session_ips i JOIN sessions s ON s.id = i.session_id
    WHERE i.ip_hex BETWEEN ? AND ? AND ${liveSession('s.')}`,
    [start, end, liveCutoff(nowMs)],
  );
  return rows.map((r) => r.id);
}

/** Live, non-canary API tokens created or last used from an address in the range (partial indexes on both). */
export function* liveApiTokenIdsInRange(u: Unit, cidr: string): Proc<string[]> {
  const { start, end } = hexBoundsOf(cidr);
  const live = `${u.d.isTrue('is_active')} AND ${u.d.isFalse('is_canary')}`;
  const rows = yield* all<{ id: string }>(
    `SELECT id FROM api_tokens WHERE ${live} AND created_ip_hex BETWEEN ? AND ?
    UNION SELECT id FROM api_tokens WHERE ${live} AND last_used_ip_hex BETWEEN ? AND ?`,
    [start, end, start, end],
  );
  return rows.map((r) => r.id);
}
