/**
 * The records port: users, clients, signing keys, sessions, refresh tokens and API tokens — the
 * system of record that issuance reads and writes (conformance: test/stores/conformance/records.ts).
 */
import type { AuditEventInput } from '../../core/audit/audit-event.js';
import type {
  ApiTokenRecord,
  ApiTokenRevocation,
  ApiTokenWithOwner,
  ClientCutOff,
  ClientRecord,
  ConsumeOutcome,
  ConsumeRefreshInput,
  Generations,
  NewApiToken,
  NewSession,
  OutboxMessage,
  PasswordSetReport,
  PasswordUpdate,
  RefreshTokenRecord,
  RevocationContext,
  RevocationReport,
  Role,
  SessionRecord,
  SigningKeyRecord,
  UserDisableReport,
  UserHoldingsReport,
  UserHoldingsRevocation,
  UserRecord,
} from '../types.js';

export interface UserRecords {
  /**
   * Inserts the user with its audit row; ERR_CONFLICT for a taken email. With
   * `onlyIfNoActiveAdmin`, also ERR_CONFLICT (nothing written) when an active admin exists, checked
   * in the insert's own commit — so instances creating the first admin at once make exactly one.
   */
  createUser(
    user: UserRecord,
    audit: AuditEventInput,
    options?: { readonly onlyIfNoActiveAdmin?: boolean },
  ): Promise<void>;
  /** The user with this id (exact match), or undefined. */
  findUserById(id: string): Promise<UserRecord | undefined>;
  /** The user with this email, compared case-insensitively, or undefined. */
  findUserByEmail(email: string): Promise<UserRecord | undefined>;
  /**
   * Users oldest first, paged by limit/offset; with `search`, only those whose email contains it
   * (case-insensitive, taken literally: `%` and `_` are not wildcards).
   */
  listUsers(query: { limit: number; offset: number; search?: string }): Promise<UserRecord[]>;
  /** Users with the role, disabled ones included. */
  countUsersWithRole(role: Role): Promise<number>;
  /** Users with the role that are not disabled (the last-admin rule and the first-admin bootstrap). */
  countActiveUsersWithRole(role: Role): Promise<number>;
  /**
   * Marks the user disabled (no new logins); revoking what they hold is a separate revoke().
   * Refuses (ERR_CONFLICT, nothing written) to disable the last active admin, checked in the same
   * commit so two admins disabling each other at once cannot both succeed.
   */
  disableUser(id: string, nowMs: number, audit: AuditEventInput): Promise<boolean>;
  /**
   * The same disable, and in the same commit the user-scope revocation and the revocation of every
   * live API token of the user (their feed records, audit entries and owner emails). One commit,
   * so no instance can see the user disabled while its tokens live on, and a view that caches an
   * owner's state (app/introspection-view.ts) learns of the disable from the disable's own feed
   * record. ERR_NOT_FOUND (nothing written) for an unknown user; ERR_CONFLICT as disableUser.
   */
  disableUserAndRevoke(
    id: string,
    nowMs: number,
    audit: AuditEventInput,
    revocation: UserHoldingsRevocation,
  ): Promise<UserDisableReport>;
  /**
   * The same revocations without the disable: the user-scope revocation (every session, every
   * access token issued before it) and every live API token of the user, with their feed records,
   * audit entries and owner emails, in one commit — a crash cannot leave the API tokens live after
   * the sessions died (an admin's "revoke everything", a user's "this wasn't me", logout-all with
   * API tokens). ERR_NOT_FOUND (nothing written) for an unknown user.
   */
  revokeUserHoldings(id: string, revocation: UserHoldingsRevocation): Promise<UserHoldingsReport>;
  /** Clears `disabledAtMs`; false (and no audit row) when the user is unknown or not disabled. */
  enableUser(id: string, nowMs: number, audit: AuditEventInput): Promise<boolean>;
  /**
   * Replaces the password hash and the must-change flag, with its audit row, (optionally) the
   * owner's notification queued in the outbox and (optionally) the end of the user's sessions
   * (`update.endSessions`), in one commit. Undefined, and nothing written, when the user is unknown
   * or `ifPasswordHash` no longer matches.
   */
  setUserPassword(
    id: string,
    update: PasswordUpdate,
    audit: AuditEventInput,
    mail?: OutboxMessage,
  ): Promise<PasswordSetReport | undefined>;
}

export interface ClientRecords {
  /** Inserts the client with its audit row, in one commit; ERR_CONFLICT for a taken id. */
  createClient(client: ClientRecord, audit: AuditEventInput): Promise<void>;
  /** The client with this id, disabled or not, or undefined. */
  findClient(id: string): Promise<ClientRecord | undefined>;
  /** Every client, disabled ones included, oldest first. */
  listClients(): Promise<ClientRecord[]>;
  /** Disables (`disabledAtMs` = nowMs) or enables a client; false (and no audit row) when it was already so or is unknown. */
  setClientDisabled(
    id: string,
    disabled: boolean,
    nowMs: number,
    audit: AuditEventInput,
  ): Promise<boolean>;
  /**
   * Replaces a confidential client's secret hash; false when there is no such confidential client.
   * With `previousSecretExpiresAtMs`, the replaced hash keeps authenticating until then (a grace
   * period; one running before is dropped); without, no previous secret is kept.
   */
  replaceClientSecret(
    id: string,
    secretHash: string,
    nowMs: number,
    audit: AuditEventInput,
    previousSecretExpiresAtMs?: number | null,
  ): Promise<boolean>;
  /**
   * A disable (as setClientDisabled) or a rotation without grace (as replaceClientSecret with no
   * previous secret kept), and in the same commit the client-scope revocation of everything issued
   * to the client. One commit, so a crash cannot leave the client cut off but its tokens alive,
   * and a view that caches clients (app/introspection-view.ts) learns of it from the remedy's own
   * feed record. `changed`: the flag or the hash changed (a disable of a disabled client revokes
   * all the same). A rotation of an unknown or public client is ERR_NOT_FOUND, nothing written.
   */
  cutOffClient(
    id: string,
    remedy: ClientCutOff,
    nowMs: number,
    audit: AuditEventInput,
    revocation: RevocationContext,
  ): Promise<{ changed: boolean; revocation: RevocationReport }>;
  /** Clients whose secret grace ended at or before `nowMs` and is not yet finished (endSecretGrace). */
  listEndedSecretGraces(nowMs: number): Promise<ClientRecord[]>;
  /**
   * Forgets the previous secret of a grace that ends at `expiresAtMs`; false when it is no longer
   * that grace (already finished by another instance, or a newer rotation replaced it).
   */
  endSecretGrace(id: string, expiresAtMs: number): Promise<boolean>;
}

export interface SigningKeyRecords {
  /** Adds a key; with `retireActive`, every other active key becomes retired in the same commit. */
  insertSigningKey(
    key: SigningKeyRecord,
    retireActive: boolean,
    audit: AuditEventInput,
  ): Promise<void>;
  /** Every key, whatever its status, oldest first. */
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  /**
   * Gives a key made before sealing (its private half a file) its sealed private half; false, and
   * nothing changed, when the key is unknown, HS256 or already has one — so N instances moving the
   * same key at once leave exactly the first one's.
   */
  storeSealedPrivateKey(kid: string, sealed: string): Promise<boolean>;
}

export interface SessionRecords {
  /**
   * Creates the session (and its first refresh token); returns the generations stamped on it.
   * With `ifUserUnchanged`, refuses (ERR_CONFLICT, nothing written) when the user was disabled or
   * their password hash replaced since the caller read it.
   */
  createSession(input: NewSession): Promise<Generations>;
  /** The session with this id, revoked and expired ones included, or undefined. */
  findSession(id: string): Promise<SessionRecord | undefined>;
  /** Sessions of the user not revoked and not past their absolute end, newest first. */
  listLiveSessions(userId: string, nowMs: number): Promise<SessionRecord[]>;
  /**
   * Refresh tokens still usable in these sessions (not consumed, not expired at `nowMs`): what
   * revoking the sessions would report as `refreshTokens`. Read-only (blast-radius previews).
   */
  countLiveRefreshTokens(sessionIds: readonly string[], nowMs: number): Promise<number>;
  /** The refresh token row with this hash, consumed or expired ones included, or undefined. */
  findRefreshByHash(tokenHash: string): Promise<RefreshTokenRecord | undefined>;
  /** The refresh token row with this id, consumed or expired ones included, or undefined. */
  findRefreshById(id: string): Promise<RefreshTokenRecord | undefined>;
  /**
   * Atomically consumes a live refresh token and inserts its successor in the same session.
   * Exactly one concurrent caller can get `rotated` for a given token. Checked in the same commit
   * (so no instance's replica lag lets a refresh outlive a remedy): a session whose user is
   * disabled, or a token stamped below a current generation, is `session_inactive`.
   */
  consumeRefresh(input: ConsumeRefreshInput): Promise<ConsumeOutcome>;
}

export interface ApiTokenRecords {
  /** Creates an API token; with `maxLivePerUser`, refuses (409) when the user already has that many live. */
  createApiToken(
    token: NewApiToken,
    limits: { maxLivePerUser: number | null },
    audit: AuditEventInput,
  ): Promise<void>;
  /** The API token with this id, revoked ones included, or undefined. */
  findApiTokenById(id: string): Promise<ApiTokenRecord | undefined>;
  /** The API token whose string hashes to this, revoked ones included, or undefined. */
  findApiTokenByHash(tokenHash: string): Promise<ApiTokenRecord | undefined>;
  /**
   * The same token with its owner's disabled state, in one read (introspection's miss path: one
   * round trip, not two); `owner` undefined when the owner row is gone.
   */
  findApiTokenWithOwner(tokenHash: string): Promise<ApiTokenWithOwner | undefined>;
  /** The user's tokens, revoked ones included, newest first. */
  listApiTokens(userId: string): Promise<ApiTokenRecord[]>;
  /** Live tokens unused (by last use, or creation) since before `unusedSinceMs`. */
  listUnusedApiTokens(unusedSinceMs: number, limit: number): Promise<ApiTokenRecord[]>;
  /**
   * Revokes API tokens (soft, permanent), appending feed records, audit entries and owner emails
   * in one commit. Returns the tokens that were revoked now (already-revoked ones are skipped).
   */
  revokeApiTokens(request: ApiTokenRevocation): Promise<ApiTokenRecord[]>;
  /** Records last use in bulk (the hot path batches these; never a write per request). */
  recordApiTokenUse(uses: ReadonlyArray<{ id: string; atMs: number; ip: string }>): Promise<void>;
}

export interface RecordsPort
  extends UserRecords, ClientRecords, SigningKeyRecords, SessionRecords, ApiTokenRecords {}
