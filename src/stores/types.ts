/**
 * The store contract. Every backend (SQLite now; PostgreSQL and Redis later) implements exactly
 * this and passes the one conformance suite in `test/stores/`. Units: times are milliseconds since
 * the epoch (`…Ms`), except JWT-style `…Sec` fields. "Not found" is `undefined`, never a throw.
 * Every method that writes is atomic: it commits everything it describes, or nothing.
 */
import type { AuditEventInput, AuditEntry, AuditEventType } from '../core/audit/audit-event.js';
import type { Initiator, ReasonCode, RevocationRecord } from '../core/revocation/types.js';

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
}

export interface ClientRecord {
  readonly id: string;
  readonly name: string;
  /** SHA-256 of the client secret (hex); null for a public client. */
  readonly secretHash: string | null;
  readonly grants: readonly string[];
  readonly scopes: readonly string[];
  readonly createdAtMs: number;
  readonly disabledAtMs: number | null;
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

export type RevocationTarget =
  /** issuer null: the jti from this service, whatever its issuer URL (operator revocations by bare jti). */
  | { readonly scope: 'token'; readonly issuer: string | null; readonly jti: string; readonly expiresAtMs: number }
  | { readonly scope: 'session'; readonly sessionId: string }
  | { readonly scope: 'user'; readonly userId: string }
  | { readonly scope: 'client'; readonly clientId: string }
  | { readonly scope: 'key'; readonly kid: string }
  /** Sessions created or refreshed from an address in the CIDR (a plain IP is a /32 or /128). */
  | { readonly scope: 'ip'; readonly cidr: string }
  | { readonly scope: 'window'; readonly fromSec: number; readonly toSec: number; /** When the entry can go (set by app/revoke from core's window rules). */ readonly expiresAtMs?: number }
  | { readonly scope: 'global' };

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

export type ConsumeOutcome =
  | { readonly kind: 'rotated'; readonly consumed: RefreshTokenRecord; readonly successor: RefreshTokenRecord; readonly session: SessionRecord }
  /** The token was already consumed, or its session is over: the caller classifies grace vs reuse. */
  | { readonly kind: 'already_consumed'; readonly token: RefreshTokenRecord; readonly successor: RefreshTokenRecord | undefined; readonly session: SessionRecord }
  | { readonly kind: 'session_inactive'; readonly token: RefreshTokenRecord; readonly session: SessionRecord }
  | { readonly kind: 'expired'; readonly token: RefreshTokenRecord }
  | { readonly kind: 'unknown' };

export interface NewSession {
  readonly session: Omit<SessionRecord, 'revokedAtMs' | 'revokeReason' | 'lastIp' | 'lastUsedAtMs'>;
  /** The first refresh token; it is stamped with the generations current at commit. */
  readonly refresh: Pick<RefreshTokenRecord, 'id' | 'tokenHash' | 'createdAtMs' | 'expiresAtMs'> | null;
  readonly audit: AuditEventInput;
}

export interface ConsumeRefreshInput {
  readonly tokenHash: string;
  readonly nowMs: number;
  readonly ip: string;
  /** The successor's row; the store stamps it with the generations current at commit. */
  readonly successor: Pick<RefreshTokenRecord, 'id' | 'tokenHash' | 'createdAtMs' | 'expiresAtMs'>;
  /** The successor token, sealed under a key derived from the presented token. */
  readonly successorSealed: string;
  readonly audit: AuditEventInput;
}

export interface FeedSnapshot {
  readonly records: readonly RevocationRecord[];
  readonly globalGeneration: number;
  readonly userGenerations: ReadonlyArray<[string, number]>;
  readonly clientGenerations: ReadonlyArray<[string, number]>;
  readonly lastSeq: number;
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
  readonly revokedBy: string | null;
  readonly revokeReason: string | null;
  /** A decoy planted by an admin: any use of it is an attack signal. */
  readonly isCanary: boolean;
  /** The address the token was created from (an IP block revokes tokens created or last used in its range). */
  readonly createdIp?: string | null;
}

export type NewApiToken = Omit<ApiTokenRecord, 'lastUsedAtMs' | 'lastUsedIp' | 'isActive' | 'revokedAtMs' | 'revokedBy' | 'revokeReason'>;

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
  readonly selection: { readonly kind: 'ids'; readonly ids: readonly string[]; readonly userId?: string } | { readonly kind: 'all_of_user'; readonly userId: string };
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
}

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
export type AlertCounts = Readonly<Record<AlertSeverity, { readonly total: number; readonly unacknowledged: number }>>;

export interface RevokdStore {
  readonly backend: 'sqlite' | 'postgres';
  /** Creates or upgrades the schema; safe to run on every start. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** Throws when the store cannot answer. */
  ping(): Promise<void>;

  createUser(user: UserRecord, audit: AuditEventInput): Promise<void>;
  findUserById(id: string): Promise<UserRecord | undefined>;
  /** Case-insensitive. */
  findUserByEmail(email: string): Promise<UserRecord | undefined>;
  listUsers(query: { limit: number; offset: number; search?: string }): Promise<UserRecord[]>;
  countUsersWithRole(role: Role): Promise<number>;
  /** Users with the role that are not disabled (the last-admin rule and the first-admin bootstrap). */
  countActiveUsersWithRole(role: Role): Promise<number>;
  /**
   * Marks the user disabled (no new logins); revoking what they hold is a separate revoke().
   * Refuses (ERR_CONFLICT, nothing written) to disable the last active admin, checked in the same
   * commit so two admins disabling each other at once cannot both succeed.
   */
  disableUser(id: string, nowMs: number, audit: AuditEventInput): Promise<boolean>;

  createClient(client: ClientRecord, audit: AuditEventInput): Promise<void>;
  findClient(id: string): Promise<ClientRecord | undefined>;
  listClients(): Promise<ClientRecord[]>;
  /** Disables (`disabledAtMs` = nowMs) or enables a client; false (and no audit row) when it was already so or is unknown. */
  setClientDisabled(id: string, disabled: boolean, nowMs: number, audit: AuditEventInput): Promise<boolean>;
  /** Replaces a confidential client's secret hash; false when there is no such confidential client. */
  replaceClientSecret(id: string, secretHash: string, nowMs: number, audit: AuditEventInput): Promise<boolean>;

  /** Adds a key; with `retireActive`, every other active key becomes retired in the same commit. */
  insertSigningKey(key: SigningKeyRecord, retireActive: boolean, audit: AuditEventInput): Promise<void>;
  listSigningKeys(): Promise<SigningKeyRecord[]>;

  /** The counters a token issued now must carry. Read from the system of record, never a cache. */
  readGenerations(sub: string, clientId: string): Promise<Generations>;

  /** Creates the session (and its first refresh token); returns the generations stamped on it. */
  createSession(input: NewSession): Promise<Generations>;
  findSession(id: string): Promise<SessionRecord | undefined>;
  /** Sessions of the user not revoked and not past their absolute end, newest first. */
  listLiveSessions(userId: string, nowMs: number): Promise<SessionRecord[]>;
  /**
   * Refresh tokens still usable in these sessions (not consumed, not expired at `nowMs`): what
   * revoking the sessions would report as `refreshTokens`. Read-only (blast-radius previews).
   */
  countLiveRefreshTokens(sessionIds: readonly string[], nowMs: number): Promise<number>;
  findRefreshByHash(tokenHash: string): Promise<RefreshTokenRecord | undefined>;
  findRefreshById(id: string): Promise<RefreshTokenRecord | undefined>;
  /**
   * Atomically consumes a live refresh token and inserts its successor in the same session.
   * Exactly one concurrent caller can get `rotated` for a given token.
   */
  consumeRefresh(input: ConsumeRefreshInput): Promise<ConsumeOutcome>;

  /** Commits a revocation, its feed records and its audit entry together, then returns. */
  revoke(target: RevocationTarget, context: RevocationContext): Promise<RevocationReport>;
  /** Feed records with seq > afterSeq, in seq order. */
  readFeed(afterSeq: number, limit: number): Promise<RevocationRecord[]>;
  /** Window entries that can still cover a live token (not yet expired at `nowMs`), oldest first. */
  listWindowRevocations(nowMs: number): Promise<RevocationRecord[]>;
  /** Every record that can still cover a live token, plus all generation counters. */
  loadSnapshot(nowMs: number): Promise<FeedSnapshot>;

  appendAudit(events: readonly AuditEventInput[], nowMs: number): Promise<void>;
  listAudit(query: AuditQuery): Promise<AuditEntry[]>;
  /** Entries per type written at or after `sinceMs` (all entries when null). */
  countAuditByType(sinceMs: number | null): Promise<Partial<Record<AuditEventType, number>>>;

  /** Creates an API token; with `maxLivePerUser`, refuses (409) when the user already has that many live. */
  createApiToken(token: NewApiToken, limits: { maxLivePerUser: number | null }, audit: AuditEventInput): Promise<void>;
  findApiTokenById(id: string): Promise<ApiTokenRecord | undefined>;
  findApiTokenByHash(tokenHash: string): Promise<ApiTokenRecord | undefined>;
  /** The user's tokens, revoked ones included, newest first. */
  listApiTokens(userId: string): Promise<ApiTokenRecord[]>;
  /** Live tokens unused (by last use, or creation) since before `unusedSinceMs`. */
  listUnusedApiTokens(unusedSinceMs: number, limit: number): Promise<ApiTokenRecord[]>;
  /**
   * Revokes API tokens (soft, permanent), appending feed records, audit entries and owner emails
   * in one commit. Returns the tokens that were revoked now (already-revoked ones are skipped).
   */
  revokeApiTokens(request: ApiTokenRevocation): Promise<ApiTokenRecord[]>;
  /** When a once-per-window limit (`ApiTokenRevocation.rateWindow`) was last used, or undefined if never. */
  findRateWindowLastUse(key: string): Promise<number | undefined>;
  /** Records last use in bulk (the hot path batches these; never a write per request). */
  recordApiTokenUse(uses: ReadonlyArray<{ id: string; atMs: number; ip: string }>): Promise<void>;

  /** Outbox messages due for sending, leased to the caller for `leaseMs` so no other worker sends them. */
  claimOutbox(nowMs: number, leaseMs: number, limit: number): Promise<OutboxRecord[]>;
  markOutboxSent(id: number, nowMs: number): Promise<void>;
  markOutboxFailed(id: number, error: string, nextAttemptAtMs: number): Promise<void>;
  countPendingOutbox(): Promise<number>;

  /**
   * Creates an IP block and, in the same commit, revokes every live session created or refreshed
   * from a matching address (the report says how many).
   */
  /**
   * Creates a block and, in the same commit, revokes every live session created or refreshed from
   * the range and every live (non-canary) API token created or last used from it — both found
   * through an index on the address, never a scan — queueing `notify`'s mail to each token owner.
   */
  createIpBlock(
    block: Omit<IpBlockRecord, 'liftedAtMs' | 'liftedBy'>,
    context: RevocationContext,
    apiTokens: { readonly notify: ApiTokenRevocation['notify'] },
  ): Promise<IpBlockReport>;
  /** Records that a session was used from `ip` (last_ip, and the addresses an IP revocation searches) without rotating it. */
  recordSessionIp(sessionId: string, ip: string, nowMs: number): Promise<void>;
  /** Blocks not lifted and not expired at `nowMs` (all blocks when nowMs is null), newest first. */
  listIpBlocks(nowMs: number | null): Promise<IpBlockRecord[]>;
  /** Lifts a block (tokens it revoked stay revoked); undefined when unknown or already lifted. */
  liftIpBlock(id: string, nowMs: number, by: string | null, audit: AuditEventInput): Promise<IpBlockRecord | undefined>;
  /** Marks a user as a decoy (or not). */
  setUserDecoy(id: string, isDecoy: boolean): Promise<void>;

  /** Adds one to a counter whose window opens at its first event; returns the count in the window. */
  incrementCounter(key: string, windowMs: number, nowMs: number): Promise<number>;
  /** The count in the open window (0 when none) and when that window closes. */
  readCounter(key: string, windowMs: number, nowMs: number): Promise<{ count: number; resetAtMs: number }>;
  /** Audit entries where the user is the actor or the target, newest first. */
  listAuditForUser(userId: string, limit: number): Promise<AuditEntry[]>;

  /** Stores an alert; with a dedupeKey already used, stores nothing and returns created=false. */
  raiseAlert(alert: Omit<AlertRecord, 'acknowledgedAtMs' | 'acknowledgedBy'>, audit: AuditEventInput): Promise<{ alert: AlertRecord; created: boolean }>;
  listAlerts(query: AlertQuery): Promise<AlertRecord[]>;
  acknowledgeAlert(id: string, by: string, nowMs: number): Promise<AlertRecord | undefined>;
  countAlerts(): Promise<AlertCounts>;

  /** Deletes feed records and refresh rows that can no longer matter. */
  prune(nowMs: number): Promise<{ feedRecords: number; refreshTokens: number }>;
}
