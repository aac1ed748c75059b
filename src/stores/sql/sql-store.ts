/**
 * The store contract (RevokdStore) over SQL, written once: every method is one unit of work —
 * statements outside a transaction, a write transaction, or a consistent snapshot — running a
 * procedure of this folder. A backend (sqlite/sqlite-store.ts, postgres/postgres-store.ts) says how
 * a unit of work runs on its driver (`unit`), and adds what only it has (opening, migrating,
 * closing, PostgreSQL's LISTEN connection).
 */
import type { AuditEntry, AuditEventInput, AuditEventType } from '../../core/audit/audit-event.js';
import { RevokdError } from '../../core/errors.js';
import { sealedSuccessorsDroppableBeforeMs } from '../../core/revocation/entry-lifetime.js';
import type { RevocationRecord } from '../../core/revocation/types.js';
import { type SnapshotReceiver, snapshotCollector } from '../../core/revocation/snapshot-stream.js';
import { parseSeqCursor, seqFeedPage, seqOfCursor } from '../seq-cursor.js';
import type {
  AlertCounts, AlertQuery, AlertRecord, ApiTokenRecord, ApiTokenRevocation, AuditQuery, ClientRecord, ConsumeOutcome, ConsumeRefreshInput,
  FeedCursor, FeedPage, FeedSnapshot, Generations, IpBlockRecord, IpBlockReport, NewApiToken, NewIpBlock, NewSession, OutboxMessage, OutboxRecord,
  PasswordSetReport, PasswordUpdate, RefreshTokenRecord, RevocationContext, RevocationReport, RevocationTarget, Role, SessionRecord, SigningKeyRecord, UserRecord,
} from '../types.js';
import * as apiTokens from './api-tokens.js';
import { appendAudit } from './audit.js';
import * as containment from './containment.js';
import type { Dialect } from './dialect.js';
import { readGenerations } from './generations.js';
import { LIVE_ENTRY, PRUNABLE_ENTRY, PRUNABLE_REFRESH_SESSION, entryCutoff, liveCutoff, liveSession, refreshPruneCutoff } from './live.js';
import { type Proc, type Row, type Unit, all, count, get, run } from './procedure.js';
import { revoke } from './revoke.js';
import {
  mapOne, toApiToken, toAudit, toClient, toFeedRecord, toOutbox, toRefresh, toRevocation, toSession, toSigningKey, toUser,
} from './rows.js';
import { recordSessionIp } from './session-ips.js';
import { consumeRefresh, countLiveRefreshTokens, createSession } from './sessions.js';
import { setUserPassword } from './set-user-password.js';
import { streamSnapshot } from './snapshot-stream.js';

/**
 * How a unit of work runs:
 *  - 'autocommit': each statement on its own (reads, and single statements atomic by themselves);
 *  - 'write': one transaction (SQLite: IMMEDIATE; PostgreSQL: READ COMMITTED);
 *  - 'audited': a write that appends feed records or audit entries: on PostgreSQL the feed lock is
 *    its first statement (postgres/feed-lock.ts);
 *  - 'snapshot': several reads from one consistent snapshot (loadSnapshot).
 * Write units end with the feed head and NOTIFY (feed.ts unitOfWork).
 */
export type UnitMode = 'autocommit' | 'write' | 'audited' | 'snapshot';

/** What every SQL backend is opened with. */
export interface SqlStoreOptions {
  /** Bounds every wait for the database (another writer's lock, a connection, a reply) before ERR_STORE_UNAVAILABLE (default 5000 ms). */
  readonly storeTimeoutMs?: number;
  /** The audit chain key (never stored in the database); see app/security/service-secret.ts. */
  readonly auditChainKey: Buffer;
}

export const DEFAULT_STORE_TIMEOUT_MS = 5_000;

export abstract class SqlStore {
  protected abstract readonly dialect: Dialect;
  protected readonly auditChainKey: Buffer;
  protected readonly storeTimeoutMs: number;

  constructor(options: SqlStoreOptions) {
    if (options.auditChainKey.length < 32) throw new Error('the audit chain key must be at least 32 bytes');
    this.auditChainKey = options.auditChainKey;
    this.storeTimeoutMs = options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS;
  }

  protected abstract unit<T>(mode: UnitMode, work: (u: Unit) => Proc<T>): Promise<T>;

  async ping(): Promise<void> {
    await this.unit('autocommit', () => all('SELECT 1'));
  }

  private audited<T>(work: (u: Unit) => Proc<T>): Promise<T> {
    return this.unit('audited', work);
  }

  /** One statement, mapped. */
  private getOne<T>(sql: string, params: readonly unknown[], map: (r: Row) => T): Promise<T | undefined> {
    return this.unit('autocommit', function* () { return mapOne(yield* get(sql, params), map); });
  }

  private getAll<T>(sql: string, params: readonly unknown[], map: (r: Row) => T): Promise<T[]> {
    return this.unit('autocommit', function* () { return (yield* all(sql, params)).map(map); });
  }

  private count(sql: string, params: readonly unknown[] = []): Promise<number> {
    return this.unit('autocommit', () => count(sql, params));
  }

  /** One statement outside a transaction; true when it changed a row. */
  private changed(sql: string, params: readonly unknown[]): Promise<boolean> {
    return this.unit('autocommit', function* () { return (yield* run(sql, params)) > 0; });
  }

  // Users.

  createUser(user: UserRecord, audit: AuditEventInput, options: { readonly onlyIfNoActiveAdmin?: boolean } = {}): Promise<void> {
    return this.audited(function* (u) {
      if (options.onlyIfNoActiveAdmin === true) {
        // Inside the audited unit (the feed lock on PostgreSQL, IMMEDIATE on SQLite): serial with
        // another instance's first-admin insert, so the second one sees it here.
        const admins = yield* get<{ n: number | string }>('SELECT COUNT(*) AS n FROM users WHERE role = ? AND disabled_at IS NULL', ['admin']);
        if (Number(admins?.n ?? 0) > 0) throw new RevokdError('ERR_CONFLICT', 'an active admin exists');
      }
      yield* run('INSERT INTO users (id, email, role, password_hash, created_at, disabled_at, must_change_password) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [user.id, user.email, user.role, user.passwordHash, user.createdAtMs, user.disabledAtMs, user.mustChangePassword === true ? 1 : 0]);
      yield* appendAudit(u, [audit], user.createdAtMs);
    });
  }

  findUserById(id: string): Promise<UserRecord | undefined> {
    return this.getOne('SELECT * FROM users WHERE id = ?', [id], toUser);
  }

  /** Case-insensitive, through the unique index on the email (COLLATE NOCASE / lower(email)). */
  findUserByEmail(email: string): Promise<UserRecord | undefined> {
    return this.getOne(`SELECT * FROM users WHERE ${this.dialect.emailMatches}`, [email], toUser);
  }

  listUsers(query: { limit: number; offset: number; search?: string }): Promise<UserRecord[]> {
    const search = query.search === undefined ? '%' : `%${query.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return this.getAll(`SELECT * FROM users WHERE email ${this.dialect.ilike} ? ESCAPE '\\' ORDER BY created_at, id LIMIT ? OFFSET ?`,
      [search, query.limit, query.offset], toUser);
  }

  countUsersWithRole(role: Role): Promise<number> {
    return this.count('SELECT COUNT(*) AS n FROM users WHERE role = ?', [role]);
  }

  countActiveUsersWithRole(role: Role): Promise<number> {
    return this.count('SELECT COUNT(*) AS n FROM users WHERE role = ? AND disabled_at IS NULL', [role]);
  }

  /**
   * The last-admin rule across instances: the active admins' rows are locked (FOR UPDATE, where
   * rows lock) before counting the others, so of two admins disabling each other at once the second
   * sees the first's commit and is refused.
   */
  disableUser(id: string, nowMs: number, audit: AuditEventInput): Promise<boolean> {
    return this.audited(function* (u) {
      const target = yield* get<{ role: Role }>(`SELECT role FROM users WHERE id = ? AND disabled_at IS NULL${u.d.forUpdate}`, [id]);
      if (target === undefined) return false;
      if (target.role === 'admin') {
        const admins = yield* all<{ id: string }>(`SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL ORDER BY id${u.d.forUpdate}`);
        if (!admins.some((a) => a.id !== id)) throw new RevokdError('ERR_CONFLICT', 'cannot disable the last active admin; make another user an admin first');
      }
      const changed = (yield* run('UPDATE users SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL', [nowMs, id])) > 0;
      if (changed) yield* appendAudit(u, [audit], nowMs);
      return changed;
    });
  }

  enableUser(id: string, nowMs: number, audit: AuditEventInput): Promise<boolean> {
    return this.audited(function* (u) {
      const changed = (yield* run('UPDATE users SET disabled_at = NULL WHERE id = ? AND disabled_at IS NOT NULL', [id])) > 0;
      if (changed) yield* appendAudit(u, [audit], nowMs);
      return changed;
    });
  }

  setUserPassword(id: string, update: PasswordUpdate, audit: AuditEventInput, mail?: OutboxMessage): Promise<PasswordSetReport | undefined> {
    return this.audited((u) => setUserPassword(u, id, update, audit, mail));
  }

  setUserDecoy(id: string, isDecoy: boolean): Promise<void> {
    return this.unit('autocommit', function* () { yield* run('UPDATE users SET is_decoy = ? WHERE id = ?', [isDecoy ? 1 : 0, id]); });
  }

  // Clients.

  createClient(client: ClientRecord, audit: AuditEventInput): Promise<void> {
    return this.audited(function* (u) {
      yield* run('INSERT INTO clients (id, name, secret_hash, grants, scopes, created_at, disabled_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [client.id, client.name, client.secretHash, JSON.stringify(client.grants), JSON.stringify(client.scopes), client.createdAtMs, client.disabledAtMs]);
      yield* appendAudit(u, [audit], client.createdAtMs);
    });
  }

  findClient(id: string): Promise<ClientRecord | undefined> {
    return this.getOne('SELECT * FROM clients WHERE id = ?', [id], toClient);
  }

  listClients(): Promise<ClientRecord[]> {
    return this.getAll('SELECT * FROM clients ORDER BY created_at, id', [], toClient);
  }

  setClientDisabled(id: string, disabled: boolean, nowMs: number, audit: AuditEventInput): Promise<boolean> {
    return this.audited(function* (u) {
      const changed = (disabled
        ? yield* run('UPDATE clients SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL', [nowMs, id])
        : yield* run('UPDATE clients SET disabled_at = NULL WHERE id = ? AND disabled_at IS NOT NULL', [id])) > 0;
      if (changed) yield* appendAudit(u, [audit], nowMs);
      return changed;
    });
  }

  replaceClientSecret(id: string, secretHash: string, nowMs: number, audit: AuditEventInput, previousSecretExpiresAtMs: number | null = null): Promise<boolean> {
    return this.audited(function* (u) {
      const changed = (yield* run(`UPDATE clients SET previous_secret_hash = CASE WHEN CAST(? AS BIGINT) IS NULL THEN NULL ELSE secret_hash END,
        previous_secret_expires_at = ?, secret_hash = ? WHERE id = ? AND secret_hash IS NOT NULL`, [previousSecretExpiresAtMs, previousSecretExpiresAtMs, secretHash, id])) > 0;
      if (changed) yield* appendAudit(u, [audit], nowMs);
      return changed;
    });
  }

  listEndedSecretGraces(nowMs: number): Promise<ClientRecord[]> {
    return this.getAll('SELECT * FROM clients WHERE previous_secret_expires_at <= ? ORDER BY id', [nowMs], toClient);
  }

  endSecretGrace(id: string, expiresAtMs: number): Promise<boolean> {
    return this.changed(`UPDATE clients SET previous_secret_hash = NULL, previous_secret_expires_at = NULL
      WHERE id = ? AND previous_secret_expires_at = ?`, [id, expiresAtMs]);
  }

  // Signing keys.

  insertSigningKey(key: SigningKeyRecord, retireActive: boolean, audit: AuditEventInput): Promise<void> {
    return this.audited(function* (u) {
      if (retireActive) yield* run(`UPDATE signing_keys SET status = 'retired', retired_at = ? WHERE status = 'active'`, [key.createdAtMs]);
      yield* run('INSERT INTO signing_keys (kid, alg, public_jwk, status, created_at, retired_at, revoked_at, private_key_sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [key.kid, key.alg, JSON.stringify(key.publicJwk), key.status, key.createdAtMs, key.retiredAtMs, key.revokedAtMs, key.privateKeySealed]);
      yield* appendAudit(u, [audit], key.createdAtMs);
    });
  }

  listSigningKeys(): Promise<SigningKeyRecord[]> {
    return this.getAll('SELECT * FROM signing_keys ORDER BY created_at, kid', [], toSigningKey);
  }

  storeSealedPrivateKey(kid: string, sealed: string): Promise<boolean> {
    return this.changed(`UPDATE signing_keys SET private_key_sealed = ? WHERE kid = ? AND alg <> 'HS256' AND private_key_sealed IS NULL`, [sealed, kid]);
  }

  // Sessions and refresh tokens.

  readGenerations(sub: string, clientId: string): Promise<Generations> {
    return this.unit('autocommit', () => readGenerations(sub, clientId));
  }

  createSession(input: NewSession): Promise<Generations> {
    return this.audited((u) => createSession(u, input));
  }

  findSession(id: string): Promise<SessionRecord | undefined> {
    return this.getOne('SELECT * FROM sessions WHERE id = ?', [id], toSession);
  }

  listLiveSessions(userId: string, nowMs: number): Promise<SessionRecord[]> {
    return this.getAll(`SELECT * FROM sessions WHERE user_id = ? AND ${liveSession()} ORDER BY last_used_at DESC, id`, [userId, liveCutoff(nowMs)], toSession);
  }

  countLiveRefreshTokens(sessionIds: readonly string[], nowMs: number): Promise<number> {
    return this.unit('autocommit', (u) => countLiveRefreshTokens(u, sessionIds, nowMs));
  }

  findRefreshByHash(tokenHash: string): Promise<RefreshTokenRecord | undefined> {
    return this.getOne('SELECT * FROM refresh_tokens WHERE token_hash = ?', [tokenHash], toRefresh);
  }

  findRefreshById(id: string): Promise<RefreshTokenRecord | undefined> {
    return this.getOne('SELECT * FROM refresh_tokens WHERE id = ?', [id], toRefresh);
  }

  consumeRefresh(input: ConsumeRefreshInput): Promise<ConsumeOutcome> {
    return this.audited((u) => consumeRefresh(u, input));
  }

  recordSessionIp(sessionId: string, ip: string, nowMs: number): Promise<void> {
    return this.unit('write', (u) => recordSessionIp(u, sessionId, ip, nowMs));
  }

  // The revocation log.

  revoke(target: RevocationTarget, context: RevocationContext): Promise<RevocationReport> {
    return this.audited((u) => revoke(u, target, context));
  }

  parseFeedCursor(text: string): FeedCursor | undefined {
    return parseSeqCursor(text);
  }

  /** Seqs are handed out in commit order (SQLite: one writer; PostgreSQL: postgres/feed-lock.ts), so the cursor is the last seq read. */
  readFeed(after: FeedCursor, limit: number): Promise<FeedPage> {
    const afterSeq = seqOfCursor(after);
    return this.unit('autocommit', function* () {
      return seqFeedPage(after, (yield* all('SELECT * FROM revocations WHERE seq > ? ORDER BY seq LIMIT ?', [afterSeq, limit])).map(toFeedRecord));
    });
  }

  /**
   * Compared with the highest seq ever handed out (not MAX(seq): the newest records may have been
   * pruned). On PostgreSQL that value may belong to a transaction still under way or rolled back,
   * so a cursor just past the committed head is not caught here; the stream's join deadline still is.
   */
  cursorIsAhead(cursor: FeedCursor): Promise<boolean> {
    const seq = seqOfCursor(cursor);
    const sql = this.dialect.lastSeqSql;
    return this.unit('autocommit', function* () { return seq > Number((yield* get<{ last: number | null }>(sql))?.last ?? 0); });
  }

  listWindowRevocations(nowMs: number): Promise<RevocationRecord[]> {
    return this.getAll(`SELECT * FROM revocations WHERE scope = 'window' AND ${LIVE_ENTRY} ORDER BY seq`, [entryCutoff(nowMs)], toRevocation);
  }

  /**
   * Records, generations, cursor and feed chain from one snapshot. The cursor is the highest seq
   * handed out as of that snapshot: a later commit took its seqs after every visible one (SQLite's
   * one writer; postgres/feed-lock.ts), so a reader continuing from it misses nothing and repeats
   * nothing. The chain is the head at that cursor: it is advanced in the transaction of each
   * record it covers.
   */
  async loadSnapshot(nowMs: number): Promise<FeedSnapshot> {
    const collector = snapshotCollector();
    await this.streamSnapshot(nowMs, collector);
    return collector.snapshot();
  }

  /** loadSnapshot as a stream: the head first, then the records in pages (sql/snapshot-stream.ts). */
  streamSnapshot(nowMs: number, receiver: SnapshotReceiver): Promise<void> {
    const headSql = this.dialect.snapshotHeadSql;
    return this.unit('snapshot', () => streamSnapshot(headSql, nowMs, receiver));
  }

  prune(nowMs: number): Promise<{ feedRecords: number; refreshTokens: number }> {
    return this.unit('write', function* () {
      // Exactly the entries loadSnapshot no longer loads (core/revocation/entry-lifetime entryMayBePruned).
      const feedRecords = yield* run(`DELETE FROM revocations WHERE ${PRUNABLE_ENTRY}`, [entryCutoff(nowMs)]);
      // Consumed or expired refresh rows of sessions that are over are no longer needed for reuse detection.
      const refreshTokens = yield* run(`DELETE FROM refresh_tokens WHERE session_id IN (SELECT id FROM sessions WHERE ${PRUNABLE_REFRESH_SESSION})`,
        [refreshPruneCutoff(nowMs)]);
      // Sealed successors only serve the grace window; drop them once it has passed (core/revocation/entry-lifetime).
      yield* run('UPDATE refresh_tokens SET successor_sealed = NULL WHERE successor_sealed IS NOT NULL AND consumed_at < ?', [sealedSuccessorsDroppableBeforeMs(nowMs)]);
      return { feedRecords, refreshTokens };
    });
  }

  // The audit log.

  appendAudit(events: readonly AuditEventInput[], nowMs: number): Promise<void> {
    return this.audited((u) => appendAudit(u, events, nowMs));
  }

  listAudit(query: AuditQuery): Promise<AuditEntry[]> {
    return query.type === undefined
      ? this.getAll('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?', [query.afterSeq ?? 0, query.limit], toAudit)
      : this.getAll('SELECT * FROM audit_log WHERE seq > ? AND type = ? ORDER BY seq LIMIT ?', [query.afterSeq ?? 0, query.type, query.limit], toAudit);
  }

  lastAuditEntry(): Promise<AuditEntry | undefined> {
    return this.getOne('SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1', [], toAudit);
  }

  countAuditByType(sinceMs: number | null): Promise<Partial<Record<AuditEventType, number>>> {
    return this.unit('autocommit', function* () {
      const rows = sinceMs === null
        ? yield* all<{ type: AuditEventType; n: number }>('SELECT type, COUNT(*) AS n FROM audit_log GROUP BY type')
        : yield* all<{ type: AuditEventType; n: number }>('SELECT type, COUNT(*) AS n FROM audit_log WHERE at >= ? GROUP BY type', [sinceMs]);
      return Object.fromEntries(rows.map((r) => [r.type, r.n]));
    });
  }

  listAuditForUser(userId: string, limit: number): Promise<AuditEntry[]> {
    return this.getAll('SELECT * FROM audit_log WHERE actor_id = ? OR target_id = ? ORDER BY seq DESC LIMIT ?', [userId, userId, limit], toAudit);
  }

  // API tokens and rate windows.

  createApiToken(token: NewApiToken, limits: { maxLivePerUser: number | null }, audit: AuditEventInput): Promise<void> {
    return this.audited((u) => apiTokens.createApiToken(u, token, limits.maxLivePerUser, audit));
  }

  findApiTokenById(id: string): Promise<ApiTokenRecord | undefined> {
    return this.getOne('SELECT * FROM api_tokens WHERE id = ?', [id], toApiToken);
  }

  findApiTokenByHash(tokenHash: string): Promise<ApiTokenRecord | undefined> {
    return this.getOne('SELECT * FROM api_tokens WHERE token_hash = ?', [tokenHash], toApiToken);
  }

  listApiTokens(userId: string): Promise<ApiTokenRecord[]> {
    return this.getAll('SELECT * FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC, id', [userId], toApiToken);
  }

  listUnusedApiTokens(unusedSinceMs: number, limit: number): Promise<ApiTokenRecord[]> {
    const d = this.dialect;
    return this.getAll(`SELECT * FROM api_tokens WHERE ${d.isTrue('is_active')} AND ${d.isFalse('is_canary')} AND COALESCE(last_used_at, created_at) < ?
      ORDER BY created_at LIMIT ?`, [unusedSinceMs, limit], toApiToken);
  }

  revokeApiTokens(request: ApiTokenRevocation): Promise<ApiTokenRecord[]> {
    return this.audited((u) => apiTokens.revokeApiTokens(u, request));
  }

  findRateWindowLastUse(key: string): Promise<number | undefined> {
    return this.unit('autocommit', function* () { return (yield* get<{ last_at: number }>('SELECT last_at FROM rate_windows WHERE key = ?', [key]))?.last_at; });
  }

  recordApiTokenUse(uses: ReadonlyArray<{ id: string; atMs: number; ip: string }>): Promise<void> {
    if (uses.length === 0) return Promise.resolve();
    return this.unit('write', () => apiTokens.recordApiTokenUse(uses));
  }

  // The outbox: leased claims, so two workers (on any instances) never send the same message at once.

  /**
   * One statement. On PostgreSQL, FOR UPDATE SKIP LOCKED lets concurrent claimers take disjoint rows
   * instead of queueing on each other; the lease keeps a claimed row out of later claims until it ends.
   */
  claimOutbox(nowMs: number, leaseMs: number, limit: number): Promise<OutboxRecord[]> {
    const lock = this.dialect.forUpdateSkipLocked;
    return this.unit('autocommit', function* () {
      const rows = yield* all(`UPDATE outbox SET lease_until = ?, attempts = attempts + 1
        WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
                     ORDER BY id LIMIT ?${lock})
        RETURNING *`, [nowMs + leaseMs, nowMs, nowMs, limit]);
      return rows.map(toOutbox).sort((a, b) => a.id - b.id);
    });
  }

  markOutboxSent(id: number, nowMs: number): Promise<void> {
    return this.unit('autocommit', function* () { yield* run('UPDATE outbox SET sent_at = ?, lease_until = NULL, last_error = NULL WHERE id = ?', [nowMs, id]); });
  }

  markOutboxFailed(id: number, error: string, nextAttemptAtMs: number): Promise<void> {
    return this.unit('autocommit', function* () {
      yield* run('UPDATE outbox SET last_error = ?, next_attempt_at = ?, lease_until = NULL WHERE id = ? AND sent_at IS NULL', [error.slice(0, 500), nextAttemptAtMs, id]);
    });
  }

  countPendingOutbox(): Promise<number> {
    return this.count('SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL');
  }

  // Containment.

  createIpBlock(block: NewIpBlock, context: RevocationContext, options: { readonly notify: ApiTokenRevocation['notify'] }): Promise<IpBlockReport> {
    return this.audited((u) => containment.createIpBlock(u, block, context, options.notify));
  }

  listIpBlocks(nowMs: number | null): Promise<IpBlockRecord[]> {
    return this.unit('autocommit', () => containment.listIpBlocks(nowMs));
  }

  findIpBlock(id: string): Promise<IpBlockRecord | undefined> {
    return this.unit('autocommit', () => containment.findIpBlock(id));
  }

  liftIpBlock(id: string, nowMs: number, by: string | null, audit: AuditEventInput): Promise<IpBlockRecord | undefined> {
    return this.audited((u) => containment.liftIpBlock(u, id, nowMs, by, audit));
  }

  incrementCounter(key: string, windowMs: number, nowMs: number): Promise<number> {
    return this.unit('autocommit', () => containment.incrementCounter(key, windowMs, nowMs));
  }

  readCounter(key: string, windowMs: number, nowMs: number): Promise<{ count: number; resetAtMs: number }> {
    return this.unit('autocommit', () => containment.readCounter(key, windowMs, nowMs));
  }

  raiseAlert(alert: Omit<AlertRecord, 'acknowledgedAtMs' | 'acknowledgedBy'>, audit: AuditEventInput): Promise<{ alert: AlertRecord; created: boolean }> {
    return this.audited((u) => containment.raiseAlert(u, alert, audit));
  }

  listAlerts(query: AlertQuery): Promise<AlertRecord[]> {
    return this.unit('autocommit', () => containment.listAlerts(query));
  }

  acknowledgeAlert(id: string, by: string, nowMs: number): Promise<AlertRecord | undefined> {
    return this.audited((u) => containment.acknowledgeAlert(u, id, by, nowMs));
  }

  countAlerts(): Promise<AlertCounts> {
    return this.unit('autocommit', () => containment.countAlerts());
  }
}
