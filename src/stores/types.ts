/**
 * The store contract. Every backend (SQLite now; PostgreSQL and Redis later) implements exactly
 * this and passes the one conformance suite in `test/stores/`. Units: times are milliseconds since
 * the epoch (`…Ms`), except JWT-style `…Sec` fields. "Not found" is `undefined`, never a throw.
 * Every method that writes is atomic: it commits everything it describes, or nothing.
 */
import type { AuditEventInput, AuditEventType } from '../core/audit/audit-event.js';
import type { Initiator, ReasonCode, RevocationRecord } from '../core/revocation/types.js';
import type { AuditLogPort } from './ports/audit-log.js';
import type { ContainmentPort } from './ports/containment.js';
import type { CountersPort, RateWindowsPort } from './ports/counters.js';
import type { StoreLifecycle } from './ports/lifecycle.js';
import type { OutboxPort } from './ports/outbox.js';
import type { RecordsPort } from './ports/records.js';
import type { RevocationLogPort } from './ports/revocation-log.js';
import type { RevocationTargetSpec } from '../core/revocation/revocation-plan.js';

export type { AuditLogPort } from './ports/audit-log.js';
export type { ContainmentPort } from './ports/containment.js';
export type { CountersPort, RateWindowsPort } from './ports/counters.js';
export type { SchemaState, StoreLifecycle } from './ports/lifecycle.js';
export type { OutboxPort } from './ports/outbox.js';
export type {
  ApiTokenRecords,
  ClientRecords,
  RecordsPort,
  SessionRecords,
  SigningKeyRecords,
  UserRecords,
} from './ports/records.js';
export type { RevocationLogPort } from './ports/revocation-log.js';

export type Role = 'user' | 'admin';

export interface UserRecord {
  readonly id: string;
  readonly email: string;
  readonly role: Role;
  readonly passwordHash: string;
  readonly createdAtMs: number;
  readonly disabledAtMs: number | null;
  /** A decoy account an admin planted: any login attempt on it is an attack signal. */
  readonly isDecoy?: boolean;
  /**
   * The password was generated or set for the user (the first-run admin): the web UI asks for a
   * new one before anything else. Cleared when the user changes it. Absent means false.
   */
  readonly mustChangePassword?: boolean;
}

/** A new password hash for a user (change, admin reset). */
export interface PasswordUpdate {
  readonly passwordHash: string;
  readonly mustChangePassword: boolean;
  readonly nowMs: number;
  /**
   * Compare-and-set: only if the stored hash is still this one (the hash the current password was
   * verified against), so of two changes racing from the same old password only one lands.
   */
  readonly ifPasswordHash?: string;
  /**
   * What the old password opened ends in the same commit (a remedy must not leave a gap a login in
   * flight, a crash or another instance could slip through): see {@link PasswordSessionsEnd}.
   */
  readonly endSessions?: PasswordSessionsEnd;
}

/**
 * Ending a user's sessions with a new password: ONE user-scope revocation (a generation bump, so
 * every access and refresh token the user holds is covered by one feed record, and every live
 * session marked revoked) committed with the new hash.
 */
export interface PasswordSessionsEnd {
  /** Who ends them and why (`password_change`, `password_reset`). */
  readonly context: RevocationContext;
  /**
   * The owner's change keeps the session it was made from: it is not marked revoked, and since the
   * bump kills its tokens too, it is re-issued — a fresh refresh token (parent null) stamped with
   * the generations after the bump. The change is refused (ERR_TOKEN_REVOKED, nothing written)
   * when this is no longer a live session of the user.
   */
  readonly keep?: { readonly sessionId: string; readonly refresh: NewRefreshToken };
}

/** What a password update committed; undefined from the store means nothing was (unknown user, hash moved). */
export interface PasswordSetReport {
  /** The user-scope revocation, when `endSessions` was asked for. */
  readonly revocation: RevocationReport | null;
  /** The kept session re-issued: its refresh token row (stamped with the new generations) and the session. */
  readonly kept: { readonly session: SessionRecord; readonly refresh: RefreshTokenRecord } | null;
}

/** A refresh token about to be inserted; the store stamps it with the generations current at commit. */
export type NewRefreshToken = Pick<
  RefreshTokenRecord,
  'id' | 'tokenHash' | 'createdAtMs' | 'expiresAtMs'
>;

export interface ClientRecord {
  readonly id: string;
  readonly name: string;
  /** SHA-256 of the client secret (hex); null for a public client. */
  readonly secretHash: string | null;
  readonly grants: readonly string[];
  readonly scopes: readonly string[];
  readonly createdAtMs: number;
  readonly disabledAtMs: number | null;
  /**
   * After a rotation with a grace period: the replaced secret's hash, which still authenticates
   * until `previousSecretExpiresAtMs`. Absent or null when no grace is running.
   */
  readonly previousSecretHash?: string | null;
  readonly previousSecretExpiresAtMs?: number | null;
}

export interface SessionRecord {
  readonly id: string;
  /** null for a client_credentials session (the client is the subject). */
  readonly userId: string | null;
  readonly clientId: string;
  readonly createdAtMs: number;
  readonly lastUsedAtMs: number;
  /** Absolute end of the session, whatever the refreshes. */
  readonly expiresAtMs: number;
  readonly ip: string;
  readonly lastIp: string;
  readonly userAgent: string;
  readonly scope: string;
  readonly revokedAtMs: number | null;
  readonly revokeReason: ReasonCode | null;
}

/** Generation counters stamped into a token when it is issued. */
export interface Generations {
  readonly gen: number;
  readonly ugen: number;
  readonly cgen: number;
}

export interface RefreshTokenRecord extends Generations {
  readonly id: string;
  readonly sessionId: string;
  /** SHA-256 (hex) of the token string; the token itself is never stored. */
  readonly tokenHash: string;
  readonly parentId: string | null;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
  readonly consumedAtMs: number | null;
  readonly successorId: string | null;
  /**
   * The successor token sealed with a key derived from this token (see core/tokens/refresh-seal),
   * kept only so a replay inside the grace window can return the same successor.
   */
  readonly successorSealed: string | null;
}

export type KeyStatus = 'active' | 'retired' | 'revoked';

export interface SigningKeyRecord {
  readonly kid: string;
  readonly alg: string;
  readonly publicJwk: Record<string, unknown>;
  readonly status: KeyStatus;
  readonly createdAtMs: number;
  readonly retiredAtMs: number | null;
  readonly revokedAtMs: number | null;
  /**
   * The private JWK, sealed under a key derived from the service secret (keys/sealed-private-key.ts);
   * null for HS256 kids (their secret is configuration) and for keys whose private half is a file.
   */
  readonly privateKeySealed: string | null;
}

export interface Actor {
  readonly type: 'user' | 'admin' | 'client' | 'system' | 'cli';
  readonly id: string | null;
}

/** What every revocation carries (SPEC §3 "Reasons"). */
export interface RevocationContext {
  readonly initiator: Initiator;
  readonly reason: ReasonCode;
  readonly note?: string | undefined;
  readonly actor: Actor;
  /** The client IP of the request that asked for it, if any. */
  readonly ip?: string | undefined;
  readonly nowMs: number;
  /**
   * How long after a session ends its access tokens can still be accepted
   * (access TTL + clock tolerance): session entries live at least that long.
   */
  readonly accessCoverMs: number;
}

/** What a revocation names (defined in core, where the rules for each scope live). */
export type RevocationTarget = RevocationTargetSpec;

export interface RevocationReport {
  /** Sessions newly marked revoked. */
  readonly sessions: number;
  /** Refresh tokens that were live in those sessions. */
  readonly refreshTokens: number;
  /** The new generation for user/client/global revocations. */
  readonly generation: number | null;
  /** Feed records appended (what replicas will apply). */
  readonly records: readonly RevocationRecord[];
  /** False when the target was already revoked (e.g. the same session twice). */
  readonly changed: boolean;
}

/**
 * What a user holds, revoked in one commit (RecordsPort.revokeUserHoldings, and with the user's
 * disable disableUserAndRevoke): the user-scope revocation and every live API token of the user.
 */
export interface UserHoldingsRevocation {
  readonly context: RevocationContext;
  /** Stored as the API tokens' revoked_by (null for the system/CLI). */
  readonly revokedBy: string | null;
  readonly notify: ApiTokenRevocation['notify'];
}

export interface UserHoldingsReport {
  readonly revocation: RevocationReport;
  readonly apiTokens: readonly ApiTokenRecord[];
}

export interface UserDisableReport extends UserHoldingsReport {
  /** False when the user was already disabled (the revocations run all the same). */
  readonly disabled: boolean;
}

/** A client's remedy committed with its client-scope revocation (ClientRecords.cutOffClient). */
export type ClientCutOff =
  | { readonly kind: 'disable' }
  /** A new secret with no grace: the old one stops working in the same commit. */
  | { readonly kind: 'rotate'; readonly secretHash: string };

export type ConsumeOutcome =
  | {
      readonly kind: 'rotated';
      readonly consumed: RefreshTokenRecord;
      readonly successor: RefreshTokenRecord;
      readonly session: SessionRecord;
    }
  /** The token was already consumed, or its session is over: the caller classifies grace vs reuse. */
  | {
      readonly kind: 'already_consumed';
      readonly token: RefreshTokenRecord;
      readonly successor: RefreshTokenRecord | undefined;
      readonly session: SessionRecord;
    }
  | {
      readonly kind: 'session_inactive';
      readonly token: RefreshTokenRecord;
      readonly session: SessionRecord;
    }
  | { readonly kind: 'expired'; readonly token: RefreshTokenRecord }
  | { readonly kind: 'unknown' };

export interface NewSession {
  readonly session: Omit<SessionRecord, 'revokedAtMs' | 'revokeReason' | 'lastIp' | 'lastUsedAtMs'>;
  /** The first refresh token; it is stamped with the generations current at commit. */
  readonly refresh: NewRefreshToken | null;
  readonly audit: AuditEventInput;
  /**
   * The client secret the caller verified: the session is created only if, at commit, the client
   * is still enabled and this hash is still its secret (or its previous one, grace not over at
   * `nowMs`); otherwise nothing is written and ERR_INVALID_CLIENT is thrown. The secret check runs
   * before the commit, so a rotation or a disable can land in between.
   */
  readonly clientSecret?: { readonly hash: string; readonly nowMs: number };
  /**
   * A password login's precondition, checked in the same commit as the insert: the session's user
   * is still enabled and its hash is still the one the password was verified against. A disable, a
   * reset or a change that commits while the (slow) check runs therefore wins: the store refuses
   * with ERR_CONFLICT and writes nothing, instead of creating a session the remedy never saw.
   */
  readonly ifUserUnchanged?: { readonly passwordHash: string };
}

export interface ConsumeRefreshInput {
  readonly tokenHash: string;
  readonly nowMs: number;
  readonly ip: string;
  /** The successor's row; the store stamps it with the generations current at commit. */
  readonly successor: NewRefreshToken;
  /** The successor token, sealed under a key derived from the presented token. */
  readonly successorSealed: string;
  readonly audit: AuditEventInput;
}

// The change feed's shapes are the replica's as much as the stores': they live in core.
export type { FeedCursor, FeedPage, FeedSnapshot } from '../core/revocation/feed.js';

/** An API token and what introspection needs of its owner (ApiTokenRecords.findApiTokenWithOwner). */
export interface ApiTokenWithOwner {
  readonly token: ApiTokenRecord;
  readonly owner: Pick<UserRecord, 'disabledAtMs'> | undefined;
}

export interface ApiTokenRecord {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  /** SHA-256 (hex) of the token string. */
  readonly tokenHash: string;
  /** The first characters of the token, kept so the owner can recognise it. */
  readonly tokenPrefix: string;
  readonly scopes: readonly string[];
  readonly createdAtMs: number;
  readonly expiresAtMs: number | null;
  readonly lastUsedAtMs: number | null;
  readonly lastUsedIp: string | null;
  readonly isActive: boolean;
  readonly revokedAtMs: number | null;
  /** Who revoked it: an id (null for the system and the CLI) and its actor type (null if not recorded: revoked before it was kept). */
  readonly revokedBy: string | null;
  readonly revokedByType: Actor['type'] | null;
  readonly revokeReason: string | null;
  /** A decoy planted by an admin: any use of it is an attack signal. */
  readonly isCanary: boolean;
  /** The address the token was created from (an IP block revokes tokens created or last used in its range). */
  readonly createdIp?: string | null;
}

export type NewApiToken = Omit<
  ApiTokenRecord,
  | 'lastUsedAtMs'
  | 'lastUsedIp'
  | 'isActive'
  | 'revokedAtMs'
  | 'revokedBy'
  | 'revokedByType'
  | 'revokeReason'
>;

export interface OutboxMessage {
  readonly kind: string;
  readonly recipient: string;
  readonly subject: string;
  readonly body: string;
}

export interface OutboxRecord extends OutboxMessage {
  readonly id: number;
  readonly createdAtMs: number;
  readonly attempts: number;
  readonly nextAttemptAtMs: number;
  readonly sentAtMs: number | null;
  readonly lastError: string | null;
}

export interface ApiTokenRevocation {
  /** Which tokens: these ids (each must belong to `userId` when given), or every live token of the user. */
  readonly selection:
    | { readonly kind: 'ids'; readonly ids: readonly string[]; readonly userId?: string }
    | { readonly kind: 'all_of_user'; readonly userId: string };
  readonly context: RevocationContext;
  /** Who revoked (a user id, or null for the system/CLI) — stored as revoked_by. */
  readonly revokedBy: string | null;
  /**
   * Once-per-window limit checked and recorded in the same commit (e.g. bulk revoke once an hour):
   * over the limit, nothing is revoked and ERR_RATE_LIMITED carries the seconds to wait.
   */
  readonly rateWindow?: { readonly key: string; readonly windowMs: number };
  /** The owner notification for each revoked token, queued in the same commit. */
  readonly notify: (token: ApiTokenRecord, owner: UserRecord) => OutboxMessage | null;
}

/** What creating an IP block revoked in its commit: sessions (as any IP revocation) and API tokens. */
export interface IpBlockReport extends RevocationReport {
  /** API tokens created or last used from the range, revoked now (reason ip_block; owners mailed). */
  readonly apiTokens: readonly ApiTokenRecord[];
}

export type BlockSource = 'manual' | 'honeypot' | 'canary' | 'decoy' | 'brute_force';

export interface IpBlockRecord {
  readonly id: string;
  /** Canonical CIDR text (a single address is /32 or /128). */
  readonly cidr: string;
  readonly reason: string;
  readonly source: BlockSource;
  readonly createdAtMs: number;
  /** null: until lifted. */
  readonly expiresAtMs: number | null;
  readonly createdBy: string | null;
  readonly liftedAtMs: number | null;
  readonly liftedBy: string | null;
  /** What the block's own commit revoked; null for a block made before this was recorded. */
  readonly revoked: BlockRevocationCounts | null;
}

/** What creating an IP block revoked: sessions (and the refresh tokens live in them) and API tokens. */
export interface BlockRevocationCounts {
  readonly sessions: number;
  readonly refreshTokens: number;
  readonly apiTokens: number;
}

/** The block as created (lifted and revoked are filled in by the store). */
export type NewIpBlock = Omit<IpBlockRecord, 'liftedAtMs' | 'liftedBy' | 'revoked'>;

export type AlertSeverity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW';

export interface AlertRecord {
  readonly id: string;
  readonly severity: AlertSeverity;
  readonly type: string;
  readonly subject: string | null;
  readonly ip: string | null;
  readonly details: Readonly<Record<string, unknown>>;
  readonly createdAtMs: number;
  readonly acknowledgedAtMs: number | null;
  readonly acknowledgedBy: string | null;
  /** At most one alert per key (e.g. one per replayed token). */
  readonly dedupeKey: string | null;
}

export interface AlertQuery {
  readonly severity?: AlertSeverity;
  readonly acknowledged?: boolean;
  readonly limit: number;
  readonly offset: number;
}

export interface AuditQuery {
  readonly afterSeq?: number;
  readonly limit: number;
  /** Only entries of this type (seq order and paging by afterSeq are unchanged). */
  readonly type?: AuditEventType;
}

/** Alerts counted per severity: all of them, and those not acknowledged yet. */
export type AlertCounts = Readonly<
  Record<AlertSeverity, { readonly total: number; readonly unacknowledged: number }>
>;

/**
 * The whole contract: every port by concern (src/stores/ports/), each with its conformance suite
 * in test/stores/conformance/. A consumer that needs one concern takes that port instead.
 */
export interface RevokdStore
  extends
    StoreLifecycle,
    RecordsPort,
    RevocationLogPort,
    AuditLogPort,
    CountersPort,
    RateWindowsPort,
    OutboxPort,
    ContainmentPort {}
