/**
 * Row ↔ record mapping for both SQL schemas: the same tables and column names (snake_case columns,
 * camelCase records; JSON as TEXT; PostgreSQL's BIGINTs parsed to numbers by postgres/pool.ts).
 * The one difference, flags (INTEGER 0/1 on SQLite, BOOLEAN on PostgreSQL), is read by `flag`.
 */
import type { AuditEntry, AuditEventType } from '../../core/audit/audit-event.js';
import type { FeedRecord } from '../../core/revocation/feed.js';
import { type IpBlockChange, isIpBlockChange } from '../../core/revocation/ip-block-change.js';
import type {
  Initiator,
  ReasonCode,
  RevocationRecord,
  RevocationScope,
} from '../../core/revocation/types.js';
import type {
  AlertRecord,
  ApiTokenRecord,
  ApiTokenWithOwner,
  ClientRecord,
  IpBlockRecord,
  KeyStatus,
  OutboxRecord,
  RefreshTokenRecord,
  Role,
  SessionRecord,
  SigningKeyRecord,
  UserRecord,
} from '../types.js';
import type { Row } from './procedure.js';

const num = (v: unknown): number => v as number;
const numOrNull = (v: unknown): number | null =>
  v === null || v === undefined ? null : (v as number);
const strOrNull = (v: unknown): string | null =>
  v === null || v === undefined ? null : (v as string);
/** A flag column: 1 (SQLite) or true (PostgreSQL). */
export const flag = (v: unknown): boolean => v === 1 || v === true;

export function toUser(r: Row): UserRecord {
  return {
    id: r.id as string,
    email: r.email as string,
    role: r.role as Role,
    passwordHash: r.password_hash as string,
    createdAtMs: num(r.created_at),
    disabledAtMs: numOrNull(r.disabled_at),
    isDecoy: flag(r.is_decoy),
    mustChangePassword: flag(r.must_change_password),
  };
}

export function toClient(r: Row): ClientRecord {
  return {
    id: r.id as string,
    name: r.name as string,
    secretHash: strOrNull(r.secret_hash),
    grants: JSON.parse(r.grants as string) as string[],
    scopes: JSON.parse(r.scopes as string) as string[],
    createdAtMs: num(r.created_at),
    disabledAtMs: numOrNull(r.disabled_at),
    // Only while a rotation's grace runs: otherwise the record is exactly what was created.
    ...(r.previous_secret_hash === null || r.previous_secret_hash === undefined
      ? {}
      : {
          previousSecretHash: r.previous_secret_hash as string,
          previousSecretExpiresAtMs: numOrNull(r.previous_secret_expires_at),
        }),
  };
}

export function toSigningKey(r: Row): SigningKeyRecord {
  return {
    kid: r.kid as string,
    alg: r.alg as string,
    publicJwk: JSON.parse(r.public_jwk as string) as Record<string, unknown>,
    status: r.status as KeyStatus,
    createdAtMs: num(r.created_at),
    retiredAtMs: numOrNull(r.retired_at),
    revokedAtMs: numOrNull(r.revoked_at),
    privateKeySealed: strOrNull(r.private_key_sealed),
  };
}

export function toSession(r: Row): SessionRecord {
  return {
    id: r.id as string,
    userId: strOrNull(r.user_id),
    clientId: r.client_id as string,
    createdAtMs: num(r.created_at),
    lastUsedAtMs: num(r.last_used_at),
    expiresAtMs: num(r.expires_at),
    ip: r.ip as string,
    lastIp: r.last_ip as string,
    userAgent: r.user_agent as string,
    scope: r.scope as string,
    revokedAtMs: numOrNull(r.revoked_at),
    revokeReason: strOrNull(r.revoke_reason) as ReasonCode | null,
  };
}

export function toRefresh(r: Row): RefreshTokenRecord {
  return {
    id: r.id as string,
    sessionId: r.session_id as string,
    tokenHash: r.token_hash as string,
    parentId: strOrNull(r.parent_id),
    createdAtMs: num(r.created_at),
    expiresAtMs: num(r.expires_at),
    consumedAtMs: numOrNull(r.consumed_at),
    successorId: strOrNull(r.successor_id),
    successorSealed: strOrNull(r.successor_sealed),
    gen: num(r.gen),
    ugen: num(r.ugen),
    cgen: num(r.cgen),
  };
}

/** The columns {@link revocationFromColumns} reads, in its order. */
export const REVOCATION_COLUMNS =
  'seq, scope, target, issuer, generation, window_from, window_to, expires_at, initiator, reason, note, created_at';

/**
 * toRevocation for a row read as an array of REVOCATION_COLUMNS (procedure.ts `rows`): the
 * snapshot reads millions, and the row objects were two thirds of a start's time.
 */
export function revocationFromColumns(c: readonly unknown[]): RevocationRecord {
  return {
    seq: num(c[0]),
    scope: c[1] as RevocationScope,
    target: c[2] as string,
    issuer: strOrNull(c[3]),
    generation: numOrNull(c[4]),
    windowFrom: numOrNull(c[5]),
    windowTo: numOrNull(c[6]),
    expiresAtMs: numOrNull(c[7]),
    initiator: c[8] as Initiator,
    reason: c[9] as ReasonCode,
    note: strOrNull(c[10]),
    createdAtMs: num(c[11]),
  };
}

export function toRevocation(r: Row): RevocationRecord {
  return {
    seq: num(r.seq),
    scope: r.scope as RevocationScope,
    target: r.target as string,
    issuer: strOrNull(r.issuer),
    generation: numOrNull(r.generation),
    windowFrom: numOrNull(r.window_from),
    windowTo: numOrNull(r.window_to),
    expiresAtMs: numOrNull(r.expires_at),
    initiator: r.initiator as Initiator,
    reason: r.reason as ReasonCode,
    note: strOrNull(r.note),
    createdAtMs: num(r.created_at),
  };
}

/**
 * A feed row: a revocation, or an IP block change (stored in the same table so it takes its place
 * in commit order; its block id is in `target`, its range in `note`: see feed.ts appendIpBlockChange).
 */
export function toFeedRecord(r: Row): FeedRecord {
  if (!isIpBlockChange({ scope: r.scope as string })) return toRevocation(r);
  return {
    seq: num(r.seq),
    scope: r.scope as IpBlockChange['scope'],
    target: r.target as string,
    cidr: r.note as string,
    expiresAtMs: numOrNull(r.expires_at),
    createdAtMs: num(r.created_at),
  };
}

export function toAudit(r: Row): AuditEntry {
  return {
    seq: num(r.seq),
    atMs: num(r.at),
    type: r.type as AuditEventType,
    actorType: r.actor_type as AuditEntry['actorType'],
    actorId: strOrNull(r.actor_id),
    initiator: strOrNull(r.initiator),
    reason: strOrNull(r.reason),
    targetType: strOrNull(r.target_type),
    targetId: strOrNull(r.target_id),
    ip: strOrNull(r.ip),
    details: JSON.parse(r.details as string) as Record<string, unknown>,
    prevHash: r.prev_hash as string,
    hash: r.hash as string,
  };
}

export function toApiToken(r: Row): ApiTokenRecord {
  return {
    id: r.id as string,
    userId: r.user_id as string,
    name: r.name as string,
    tokenHash: r.token_hash as string,
    tokenPrefix: r.token_prefix as string,
    scopes: JSON.parse(r.scopes as string) as string[],
    createdAtMs: num(r.created_at),
    expiresAtMs: numOrNull(r.expires_at),
    lastUsedAtMs: numOrNull(r.last_used_at),
    lastUsedIp: strOrNull(r.last_used_ip),
    isActive: flag(r.is_active),
    revokedAtMs: numOrNull(r.revoked_at),
    revokedBy: strOrNull(r.revoked_by),
    revokedByType: strOrNull(r.revoked_by_type) as ApiTokenRecord['revokedByType'],
    revokeReason: strOrNull(r.revoke_reason),
    isCanary: flag(r.is_canary),
    createdIp: strOrNull(r.created_ip),
  };
}

/** A token row joined with its owner's `owner_id` and `owner_disabled_at` (null: no owner). */
export function toApiTokenWithOwner(r: Row): ApiTokenWithOwner {
  return {
    token: toApiToken(r),
    owner: r.owner_id === null ? undefined : { disabledAtMs: numOrNull(r.owner_disabled_at) },
  };
}

export function toIpBlock(r: Row): IpBlockRecord {
  return {
    id: r.id as string,
    cidr: r.cidr as string,
    reason: r.reason as string,
    source: r.source as IpBlockRecord['source'],
    createdAtMs: num(r.created_at),
    expiresAtMs: numOrNull(r.expires_at),
    createdBy: strOrNull(r.created_by),
    liftedAtMs: numOrNull(r.lifted_at),
    liftedBy: strOrNull(r.lifted_by),
    revoked:
      r.revoked_sessions === null || r.revoked_sessions === undefined
        ? null
        : {
            sessions: Number(r.revoked_sessions),
            refreshTokens: Number(r.revoked_refresh_tokens ?? 0),
            apiTokens: Number(r.revoked_api_tokens ?? 0),
          },
  };
}

export function toAlert(r: Row): AlertRecord {
  return {
    id: r.id as string,
    severity: r.severity as AlertRecord['severity'],
    type: r.type as string,
    subject: strOrNull(r.subject),
    ip: strOrNull(r.ip),
    details: JSON.parse(r.details as string) as Record<string, unknown>,
    createdAtMs: num(r.created_at),
    acknowledgedAtMs: numOrNull(r.acknowledged_at),
    acknowledgedBy: strOrNull(r.acknowledged_by),
    dedupeKey: strOrNull(r.dedupe_key),
  };
}

export function toOutbox(r: Row): OutboxRecord {
  return {
    id: num(r.id),
    kind: r.kind as string,
    recipient: r.recipient as string,
    subject: r.subject as string,
    body: r.body as string,
    createdAtMs: num(r.created_at),
    attempts: num(r.attempts),
    nextAttemptAtMs: num(r.next_attempt_at),
    sentAtMs: numOrNull(r.sent_at),
    lastError: strOrNull(r.last_error),
  };
}
