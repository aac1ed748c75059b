/**
 * Row ↔ record mapping for the PostgreSQL schema. The columns are SQLite's (same names, JSON as
 * TEXT, BIGINTs parsed to numbers by pool.ts), so SQLite's mappers are used as they are; the only
 * difference is that flags are BOOLEAN here and 0/1 there, which `withFlags` bridges.
 */
import type { ApiTokenRecord, OutboxRecord, UserRecord } from '../types.js';
import { toApiToken as toApiTokenFromFlags } from '../sqlite/api-tokens.js';
import { toUser as toUserFromFlags } from '../sqlite/rows.js';
import type { Row } from './sql-runner.js';

export { toAudit, toClient, toFeedRecord, toRefresh, toRevocation, toSession, toSigningKey } from '../sqlite/rows.js';
export { toAlert, toIpBlock } from '../sqlite/containment.js';

/** BOOLEAN columns as the 0/1 the shared mappers read. */
function withFlags(r: Row, ...columns: string[]): Row {
  const copy = { ...r };
  for (const c of columns) copy[c] = r[c] === true ? 1 : 0;
  return copy;
}

export const toUser = (r: Row): UserRecord => toUserFromFlags(withFlags(r, 'is_decoy', 'must_change_password'));
export const toApiToken = (r: Row): ApiTokenRecord => toApiTokenFromFlags(withFlags(r, 'is_active', 'is_canary'));

export function toOutbox(r: Row): OutboxRecord {
  return {
    id: r.id as number, kind: r.kind as string, recipient: r.recipient as string, subject: r.subject as string, body: r.body as string,
    createdAtMs: r.created_at as number, attempts: r.attempts as number, nextAttemptAtMs: r.next_attempt_at as number,
    sentAtMs: (r.sent_at as number | null) ?? null, lastError: (r.last_error as string | null) ?? null,
  };
}
