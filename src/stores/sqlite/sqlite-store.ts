/**
 * The embedded backend: one SQLite file (WAL, synchronous=FULL). better-sqlite3 is synchronous;
 * each method is async only to honour the contract shared with the networked backends.
 */
import type { AuditEventInput, AuditEntry, AuditEventType } from '../../core/audit/audit-event.js';
import { RevokdError } from '../../core/errors.js';
import type { RevocationRecord } from '../../core/revocation/types.js';
import type {
  ApiTokenRecord, ApiTokenRevocation, NewApiToken, OutboxMessage, OutboxRecord, PasswordSetReport, PasswordUpdate, AlertCounts, AlertQuery, AlertRecord, IpBlockRecord, IpBlockReport, NewIpBlock,
  AuditQuery, ClientRecord, ConsumeOutcome, ConsumeRefreshInput, FeedCursor, FeedPage, FeedSnapshot, Generations, NewSession, RefreshTokenRecord,
  RevocationContext, RevocationReport, RevocationTarget, RevokdStore, Role, SessionRecord, SigningKeyRecord, UserRecord,
} from '../types.js';
import { insertApiToken, recordApiTokenUseInSqlite, revokeApiTokensInSqlite } from './api-tokens.js';
import { appendAuditRows, bindAuditChainKey } from './audit-writer.js';
import { type KeyingOutcome, keyLegacyChain } from './key-legacy-chain.js';
import {
  acknowledgeAlertInSqlite, countAlertsInSqlite, createIpBlockInSqlite, incrementCounterInSqlite, liftIpBlockInSqlite, listAlertsInSqlite, listIpBlocksInSqlite,
  raiseAlertInSqlite, readCounterInSqlite,
} from './containment.js';
import { claimOutboxInSqlite, markOutboxFailedInSqlite, markOutboxSentInSqlite } from './outbox.js';
import { readFeedHead } from './feed-head.js';
import { readGenerationsIn } from './generations.js';
import { consumeRefreshInSqlite } from './consume-refresh.js';
import { insertSessionIp, recordSessionIpInSqlite } from './session-ips.js';
import { migrateSqlite, sqliteSchemaVersion } from './migrate.js';
import type { SchemaState } from '../ports/lifecycle.js';
import type { Statement } from 'better-sqlite3';
import { type SqliteDatabase, openDatabase } from './open-database.js';
import { isBusyError, retryWhenBusy } from './retry-when-busy.js';
import { sealedSuccessorsDroppableBeforeMs } from '../../core/revocation/entry-lifetime.js';
import { clampRefreshExpiryMs } from '../../core/revocation/refresh-rotation.js';
import { revokeInSqlite } from './revoke.js';
import { setUserPasswordInSqlite } from './set-user-password.js';
import { type GenerationRow, parseSeqCursor, seqFeedPage, seqFeedSnapshot, seqOfCursor } from '../seq-cursor.js';
import { assertClientSecretStillGood } from './client-secret-check.js';
import { toApiToken, toAudit, toClient, toFeedRecord, toRefresh, toRevocation, toSession, toSigningKey, toUser } from '../sql/rows.js';
import { BLOCK_CHANGE_SCOPES_SQL } from '../seq-cursor.js';

type Row = Record<string, unknown>;

export interface SqliteStoreOptions {
  /** Called before each query; tests use it to count database work. */
  readonly onQuery?: () => void;
  /** How long a unit of work may wait for another process's write lock before ERR_STORE_UNAVAILABLE (default 5000). */
  readonly storeTimeoutMs?: number;
  /** The audit chain key (never stored in the database); see app/security/service-secret.ts. */
  readonly auditChainKey: Buffer;
  /** May a legacy (plain SHA-256) audit chain be re-chained under the key? See key-legacy-chain.ts. */
  readonly allowLegacyChainUpgrade?: boolean;
}

export const DEFAULT_STORE_TIMEOUT_MS = 5_000;

export class SqliteStore implements RevokdStore {
  readonly backend = 'sqlite' as const;
  readonly db: SqliteDatabase;
  private readonly onQuery: () => void;
  private readonly storeTimeoutMs: number;
  private readonly allowLegacyChainUpgrade: boolean;
  /** What opening did to a legacy audit chain (set by migrate()). */
  auditKeying: KeyingOutcome | undefined;
  schema: SchemaState = { version: 0, applied: [] };
  /** The hot lookups' statements, prepared once (see `prepared`). */
  private readonly statements = new Map<string, Statement>();

  constructor(db: SqliteDatabase, options: SqliteStoreOptions) {
    this.db = db;
    this.onQuery = options.onQuery ?? (() => undefined);
    this.storeTimeoutMs = options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS;
    bindAuditChainKey(db, options.auditChainKey);
    this.allowLegacyChainUpgrade = options.allowLegacyChainUpgrade ?? false;
  }

  /**
   * Every method's one unit of work (a single transaction or statement). The connection does not
   * busy-wait (open-database.ts); a locked database is waited for here, off the event loop.
   */
  private async run<T>(work: () => T): Promise<T> {
    this.onQuery();
    try {
      return await retryWhenBusy(work, this.storeTimeoutMs);
    } catch (err) {
      throw translateError(err);
    }
  }

  /**
   * A statement prepared once per connection. Preparing is a fifth of the CPU time of an API-token
   * introspection otherwise (three lookups per request). Sound to share: better-sqlite3 runs each
   * statement to completion synchronously, and SQLite re-prepares it itself if the schema changes.
   * Only for fixed SQL (the cache is keyed by the text and never shrinks).
   */
  private prepared(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  async migrate(): Promise<void> {
    const ran = await this.run(() => migrateSqlite(this.db, Date.now()));
    this.schema = { version: sqliteSchemaVersion(this.db), applied: [...this.schema.applied, ...ran] };
    this.auditKeying = await this.run(() => keyLegacyChain(this.db, this.allowLegacyChainUpgrade, Date.now()));
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  async ping(): Promise<void> {
    await this.run(() => this.db.prepare('SELECT 1').get());
  }

  createUser(user: UserRecord, audit: AuditEventInput): Promise<void> {
    return this.run(() => this.db.transaction(() => {
      this.db.prepare(`INSERT INTO users (id, email, role, password_hash, created_at, disabled_at, must_change_password) VALUES (?, ?, ?, ?, ?, ?, ?)`)
        .run(user.id, user.email, user.role, user.passwordHash, user.createdAtMs, user.disabledAtMs, user.mustChangePassword === true ? 1 : 0);
      appendAuditRows(this.db, [audit], user.createdAtMs);
    }).immediate());
  }

  findUserById(id: string): Promise<UserRecord | undefined> {
    return this.run(() => mapOne(this.prepared('SELECT * FROM users WHERE id = ?').get(id), toUser));
  }

  findUserByEmail(email: string): Promise<UserRecord | undefined> {
    return this.run(() => mapOne(this.db.prepare('SELECT * FROM users WHERE email = ?').get(email), toUser));
  }

  listUsers(query: { limit: number; offset: number; search?: string }): Promise<UserRecord[]> {
    return this.run(() => {
      const search = query.search === undefined ? '%' : `%${query.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      return (this.db.prepare(`SELECT * FROM users WHERE email LIKE ? ESCAPE '\\' ORDER BY created_at, id LIMIT ? OFFSET ?`)
        .all(search, query.limit, query.offset) as Row[]).map(toUser);
    });
  }

  countUsersWithRole(role: Role): Promise<number> {
    return this.run(() => this.db.prepare('SELECT COUNT(*) FROM users WHERE role = ?').pluck().get(role) as number);
  }

  countActiveUsersWithRole(role: Role): Promise<number> {
    return this.run(() => this.db.prepare('SELECT COUNT(*) FROM users WHERE role = ? AND disabled_at IS NULL').pluck().get(role) as number);
  }

  disableUser(id: string, nowMs: number, audit: AuditEventInput): Promise<boolean> {
    return this.run(() => this.db.transaction(() => {
      const target = this.db.prepare('SELECT role FROM users WHERE id = ? AND disabled_at IS NULL').get(id) as { role: Role } | undefined;
      if (target === undefined) return false;
      if (target.role === 'admin'
        && this.db.prepare("SELECT 1 FROM users WHERE role = 'admin' AND disabled_at IS NULL AND id <> ? LIMIT 1").get(id) === undefined) {
        throw new RevokdError('ERR_CONFLICT', 'cannot disable the last active admin; make another user an admin first');
      }
      const changed = this.db.prepare('UPDATE users SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL').run(nowMs, id).changes > 0;
      if (changed) appendAuditRows(this.db, [audit], nowMs);
      return changed;
    }).immediate());
  }

  enableUser(id: string, nowMs: number, audit: AuditEventInput): Promise<boolean> {
    return this.run(() => this.db.transaction(() => {
      const changed = this.db.prepare('UPDATE users SET disabled_at = NULL WHERE id = ? AND disabled_at IS NOT NULL').run(id).changes > 0;
      if (changed) appendAuditRows(this.db, [audit], nowMs);
      return changed;
    }).immediate());
  }

  setUserPassword(id: string, update: PasswordUpdate, audit: AuditEventInput, mail?: OutboxMessage): Promise<PasswordSetReport | undefined> {
    return this.run(() => setUserPasswordInSqlite(this.db, id, update, audit, mail));
  }

  createClient(client: ClientRecord, audit: AuditEventInput): Promise<void> {
    return this.run(() => this.db.transaction(() => {
      this.db.prepare(`INSERT INTO clients (id, name, secret_hash, grants, scopes, created_at, disabled_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
        .run(client.id, client.name, client.secretHash, JSON.stringify(client.grants), JSON.stringify(client.scopes), client.createdAtMs, client.disabledAtMs);
      appendAuditRows(this.db, [audit], client.createdAtMs);
    }).immediate());
  }

  findClient(id: string): Promise<ClientRecord | undefined> {
    return this.run(() => mapOne(this.prepared('SELECT * FROM clients WHERE id = ?').get(id), toClient));
  }

  listClients(): Promise<ClientRecord[]> {
    return this.run(() => (this.db.prepare('SELECT * FROM clients ORDER BY created_at, id').all() as Row[]).map(toClient));
  }

  setClientDisabled(id: string, disabled: boolean, nowMs: number, audit: AuditEventInput): Promise<boolean> {
    return this.run(() => this.db.transaction(() => {
      const update = disabled
        ? this.db.prepare('UPDATE clients SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL').run(nowMs, id)
        : this.db.prepare('UPDATE clients SET disabled_at = NULL WHERE id = ? AND disabled_at IS NOT NULL').run(id);
      const changed = update.changes > 0;
      if (changed) appendAuditRows(this.db, [audit], nowMs);
      return changed;
    }).immediate());
  }

  replaceClientSecret(id: string, secretHash: string, nowMs: number, audit: AuditEventInput, previousSecretExpiresAtMs: number | null = null): Promise<boolean> {
    return this.run(() => this.db.transaction(() => {
      const changed = this.db.prepare(`UPDATE clients SET previous_secret_hash = CASE WHEN ? IS NULL THEN NULL ELSE secret_hash END,
        previous_secret_expires_at = ?, secret_hash = ? WHERE id = ? AND secret_hash IS NOT NULL`)
        .run(previousSecretExpiresAtMs, previousSecretExpiresAtMs, secretHash, id).changes > 0;
      if (changed) appendAuditRows(this.db, [audit], nowMs);
      return changed;
    }).immediate());
  }

  listEndedSecretGraces(nowMs: number): Promise<ClientRecord[]> {
    return this.run(() => (this.db.prepare('SELECT * FROM clients WHERE previous_secret_expires_at <= ? ORDER BY id').all(nowMs) as Row[]).map(toClient));
  }

  endSecretGrace(id: string, expiresAtMs: number): Promise<boolean> {
    return this.run(() => this.db.prepare(`UPDATE clients SET previous_secret_hash = NULL, previous_secret_expires_at = NULL
      WHERE id = ? AND previous_secret_expires_at = ?`).run(id, expiresAtMs).changes > 0);
  }

  insertSigningKey(key: SigningKeyRecord, retireActive: boolean, audit: AuditEventInput): Promise<void> {
    return this.run(() => this.db.transaction(() => {
      if (retireActive) {
        this.db.prepare(`UPDATE signing_keys SET status = 'retired', retired_at = ? WHERE status = 'active'`).run(key.createdAtMs);
      }
      this.db.prepare(`INSERT INTO signing_keys (kid, alg, public_jwk, status, created_at, retired_at, revoked_at, private_key_sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(key.kid, key.alg, JSON.stringify(key.publicJwk), key.status, key.createdAtMs, key.retiredAtMs, key.revokedAtMs, key.privateKeySealed);
      appendAuditRows(this.db, [audit], key.createdAtMs);
    }).immediate());
  }

  listSigningKeys(): Promise<SigningKeyRecord[]> {
    return this.run(() => (this.db.prepare('SELECT * FROM signing_keys ORDER BY created_at, kid').all() as Row[]).map(toSigningKey));
  }

  storeSealedPrivateKey(kid: string, sealed: string): Promise<boolean> {
    return this.run(() => this.db.prepare(`UPDATE signing_keys SET private_key_sealed = ? WHERE kid = ? AND alg != 'HS256' AND private_key_sealed IS NULL`)
      .run(sealed, kid).changes > 0);
  }

  readGenerations(sub: string, clientId: string): Promise<Generations> {
    return this.run(() => readGenerationsIn(this.db, sub, clientId));
  }

  createSession(input: NewSession): Promise<Generations> {
    return this.run(() => this.db.transaction((): Generations => {
      const s = input.session;
      if (input.clientSecret !== undefined) assertClientSecretStillGood(this.db, s.clientId, input.clientSecret);
      // The login's precondition, under the write lock every remedy takes too (IMMEDIATE).
      if (input.ifUserUnchanged !== undefined && this.db.prepare('SELECT 1 FROM users WHERE id = ? AND disabled_at IS NULL AND password_hash = ?')
        .get(s.userId, input.ifUserUnchanged.passwordHash) === undefined) {
        throw new RevokdError('ERR_CONFLICT', 'the user was disabled or their password replaced since it was checked');
      }
      this.db.prepare(`INSERT INTO sessions (id, user_id, client_id, created_at, last_used_at, expires_at, ip, last_ip, user_agent, scope)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(s.id, s.userId, s.clientId, s.createdAtMs, s.createdAtMs, s.expiresAtMs, s.ip, s.ip, s.userAgent, s.scope);
      insertSessionIp(this.db, s.id, s.ip, s.createdAtMs);
      const gens = readGenerationsIn(this.db, s.userId ?? s.clientId, s.clientId);
      const r = input.refresh;
      if (r !== null) {
        this.db.prepare(`INSERT INTO refresh_tokens (id, session_id, token_hash, parent_id, created_at, expires_at, gen, ugen, cgen)
          VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?)`).run(r.id, s.id, r.tokenHash, r.createdAtMs, clampRefreshExpiryMs(r.expiresAtMs, s.expiresAtMs), gens.gen, gens.ugen, gens.cgen);
      }
      appendAuditRows(this.db, [input.audit], s.createdAtMs);
      return gens;
    }).immediate());
  }

  findSession(id: string): Promise<SessionRecord | undefined> {
    return this.run(() => mapOne(this.db.prepare('SELECT * FROM sessions WHERE id = ?').get(id), toSession));
  }

  listLiveSessions(userId: string, nowMs: number): Promise<SessionRecord[]> {
    return this.run(() => (this.db.prepare(`SELECT * FROM sessions WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?
      ORDER BY last_used_at DESC, id`).all(userId, nowMs) as Row[]).map(toSession));
  }

  countLiveRefreshTokens(sessionIds: readonly string[], nowMs: number): Promise<number> {
    return this.run(() => {
      // The same test revokeSessions() counts with, one session at a time (no unbounded IN list).
      const count = this.db.prepare('SELECT COUNT(*) FROM refresh_tokens WHERE session_id = ? AND consumed_at IS NULL AND expires_at > ?').pluck();
      let total = 0;
      for (const id of new Set(sessionIds)) total += count.get(id, nowMs) as number;
      return total;
    });
  }

  findRefreshByHash(tokenHash: string): Promise<RefreshTokenRecord | undefined> {
    return this.run(() => mapOne(this.db.prepare('SELECT * FROM refresh_tokens WHERE token_hash = ?').get(tokenHash), toRefresh));
  }

  findRefreshById(id: string): Promise<RefreshTokenRecord | undefined> {
    return this.run(() => mapOne(this.db.prepare('SELECT * FROM refresh_tokens WHERE id = ?').get(id), toRefresh));
  }

  consumeRefresh(input: ConsumeRefreshInput): Promise<ConsumeOutcome> {
    return this.run(() => consumeRefreshInSqlite(this.db, input));
  }

  revoke(target: RevocationTarget, context: RevocationContext): Promise<RevocationReport> {
    return this.run(() => revokeInSqlite(this.db, target, context));
  }

  parseFeedCursor(text: string): FeedCursor | undefined {
    return parseSeqCursor(text);
  }

  /**
   * One writer at a time (IMMEDIATE transactions) hands out seqs in commit order, so on SQLite the
   * cursor is simply the last seq read.
   */
  readFeed(after: FeedCursor, limit: number): Promise<FeedPage> {
    const afterSeq = seqOfCursor(after);
    return this.run(() => {
      const records = (this.db.prepare('SELECT * FROM revocations WHERE seq > ? ORDER BY seq LIMIT ?').all(afterSeq, limit) as Row[]).map(toFeedRecord);
      return seqFeedPage(after, records);
    });
  }

  cursorIsAhead(cursor: FeedCursor): Promise<boolean> {
    const seq = seqOfCursor(cursor);
    return this.run(() => seq > this.lastSeqHandedOut());
  }

  /** The highest seq ever handed out (not MAX(seq): the newest records may have been pruned). */
  private lastSeqHandedOut(): number {
    return (this.db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'revocations'`).pluck().get() as number | undefined) ?? 0;
  }

  listWindowRevocations(nowMs: number): Promise<RevocationRecord[]> {
    return this.run(() => (this.db.prepare(`SELECT * FROM revocations WHERE scope = 'window' AND (expires_at IS NULL OR expires_at >= ?) ORDER BY seq`)
      .all(nowMs) as Row[]).map(toRevocation));
  }

  loadSnapshot(nowMs: number): Promise<FeedSnapshot> {
    return this.run(() => this.db.transaction((): FeedSnapshot => {
      // IP block changes are not revocations: instances load active blocks from ip_blocks.
      const records = (this.db.prepare(`SELECT * FROM revocations WHERE (expires_at IS NULL OR expires_at >= ?) AND scope NOT IN ${BLOCK_CHANGE_SCOPES_SQL} ORDER BY seq`)
        .all(nowMs) as Row[]).map(toRevocation);
      const gens = this.db.prepare('SELECT scope, target, generation FROM generations').all() as GenerationRow[];
      // Same read transaction as the records: the head is advanced in the transaction of each record it covers.
      return seqFeedSnapshot(records, gens, this.lastSeqHandedOut(), readFeedHead(this.db));
    })());
  }

  appendAudit(events: readonly AuditEventInput[], nowMs: number): Promise<void> {
    return this.run(() => this.db.transaction(() => appendAuditRows(this.db, events, nowMs)).immediate());
  }

  listAudit(query: AuditQuery): Promise<AuditEntry[]> {
    return this.run(() => {
      const rows = query.type === undefined
        ? this.db.prepare('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?').all(query.afterSeq ?? 0, query.limit)
        : this.db.prepare('SELECT * FROM audit_log WHERE seq > ? AND type = ? ORDER BY seq LIMIT ?').all(query.afterSeq ?? 0, query.type, query.limit);
      return (rows as Row[]).map(toAudit);
    });
  }

  lastAuditEntry(): Promise<AuditEntry | undefined> {
    return this.run(() => mapOne(this.db.prepare('SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1').get(), toAudit));
  }

  countAuditByType(sinceMs: number | null): Promise<Partial<Record<AuditEventType, number>>> {
    return this.run(() => {
      const rows = (sinceMs === null
        ? this.db.prepare('SELECT type, COUNT(*) AS n FROM audit_log GROUP BY type').all()
        : this.db.prepare('SELECT type, COUNT(*) AS n FROM audit_log WHERE at >= ? GROUP BY type').all(sinceMs)) as Array<{ type: AuditEventType; n: number }>;
      return Object.fromEntries(rows.map((r) => [r.type, r.n]));
    });
  }

  createApiToken(token: NewApiToken, limits: { maxLivePerUser: number | null }, audit: AuditEventInput): Promise<void> {
    return this.run(() => insertApiToken(this.db, token, limits.maxLivePerUser, audit));
  }

  findApiTokenById(id: string): Promise<ApiTokenRecord | undefined> {
    return this.run(() => mapOne(this.prepared('SELECT * FROM api_tokens WHERE id = ?').get(id), toApiToken));
  }

  findApiTokenByHash(tokenHash: string): Promise<ApiTokenRecord | undefined> {
    return this.run(() => mapOne(this.prepared('SELECT * FROM api_tokens WHERE token_hash = ?').get(tokenHash), toApiToken));
  }

  listApiTokens(userId: string): Promise<ApiTokenRecord[]> {
    return this.run(() => (this.db.prepare('SELECT * FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC, id').all(userId) as Row[]).map(toApiToken));
  }

  listUnusedApiTokens(unusedSinceMs: number, limit: number): Promise<ApiTokenRecord[]> {
    return this.run(() => (this.db.prepare(`SELECT * FROM api_tokens WHERE is_active = 1 AND is_canary = 0 AND COALESCE(last_used_at, created_at) < ?
      ORDER BY created_at LIMIT ?`).all(unusedSinceMs, limit) as Row[]).map(toApiToken));
  }

  revokeApiTokens(request: ApiTokenRevocation): Promise<ApiTokenRecord[]> {
    return this.run(() => revokeApiTokensInSqlite(this.db, request));
  }

  findRateWindowLastUse(key: string): Promise<number | undefined> {
    return this.run(() => this.db.prepare('SELECT last_at FROM rate_windows WHERE key = ?').pluck().get(key) as number | undefined);
  }

  recordApiTokenUse(uses: ReadonlyArray<{ id: string; atMs: number; ip: string }>): Promise<void> {
    return this.run(() => recordApiTokenUseInSqlite(this.db, uses));
  }

  claimOutbox(nowMs: number, leaseMs: number, limit: number): Promise<OutboxRecord[]> {
    return this.run(() => claimOutboxInSqlite(this.db, nowMs, leaseMs, limit));
  }

  markOutboxSent(id: number, nowMs: number): Promise<void> {
    return this.run(() => markOutboxSentInSqlite(this.db, id, nowMs));
  }

  markOutboxFailed(id: number, error: string, nextAttemptAtMs: number): Promise<void> {
    return this.run(() => markOutboxFailedInSqlite(this.db, id, error, nextAttemptAtMs));
  }

  countPendingOutbox(): Promise<number> {
    return this.run(() => this.db.prepare('SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL').pluck().get() as number);
  }

  createIpBlock(block: NewIpBlock, context: RevocationContext, apiTokens: { readonly notify: ApiTokenRevocation['notify'] }): Promise<IpBlockReport> {
    return this.run(() => createIpBlockInSqlite(this.db, block, context, apiTokens.notify));
  }

  recordSessionIp(sessionId: string, ip: string, nowMs: number): Promise<void> {
    return this.run(() => recordSessionIpInSqlite(this.db, sessionId, ip, nowMs));
  }

  listIpBlocks(nowMs: number | null): Promise<IpBlockRecord[]> {
    return this.run(() => listIpBlocksInSqlite(this.db, nowMs));
  }

  liftIpBlock(id: string, nowMs: number, by: string | null, audit: AuditEventInput): Promise<IpBlockRecord | undefined> {
    return this.run(() => liftIpBlockInSqlite(this.db, id, nowMs, by, audit));
  }

  setUserDecoy(id: string, isDecoy: boolean): Promise<void> {
    return this.run(() => { this.db.prepare('UPDATE users SET is_decoy = ? WHERE id = ?').run(isDecoy ? 1 : 0, id); });
  }

  incrementCounter(key: string, windowMs: number, nowMs: number): Promise<number> {
    return this.run(() => incrementCounterInSqlite(this.db, key, windowMs, nowMs));
  }

  readCounter(key: string, windowMs: number, nowMs: number): Promise<{ count: number; resetAtMs: number }> {
    return this.run(() => readCounterInSqlite(this.db, key, windowMs, nowMs));
  }

  listAuditForUser(userId: string, limit: number): Promise<AuditEntry[]> {
    return this.run(() => (this.db.prepare(`SELECT * FROM audit_log WHERE actor_id = ? OR target_id = ? ORDER BY seq DESC LIMIT ?`)
      .all(userId, userId, limit) as Row[]).map(toAudit));
  }

  raiseAlert(alert: Omit<AlertRecord, 'acknowledgedAtMs' | 'acknowledgedBy'>, audit: AuditEventInput): Promise<{ alert: AlertRecord; created: boolean }> {
    return this.run(() => raiseAlertInSqlite(this.db, alert, audit));
  }

  listAlerts(query: AlertQuery): Promise<AlertRecord[]> {
    return this.run(() => listAlertsInSqlite(this.db, query));
  }

  acknowledgeAlert(id: string, by: string, nowMs: number): Promise<AlertRecord | undefined> {
    return this.run(() => acknowledgeAlertInSqlite(this.db, id, by, nowMs));
  }

  countAlerts(): Promise<AlertCounts> {
    return this.run(() => countAlertsInSqlite(this.db));
  }

  prune(nowMs: number): Promise<{ feedRecords: number; refreshTokens: number }> {
    return this.run(() => this.db.transaction(() => {
      // Exactly the entries loadSnapshot no longer loads (core/revocation/entry-lifetime entryMayBePruned).
      const feedRecords = this.db.prepare('DELETE FROM revocations WHERE expires_at IS NOT NULL AND expires_at < ?').run(nowMs).changes;
      // Consumed or expired refresh rows of sessions that are over are no longer needed for reuse detection.
      const refreshTokens = this.db.prepare(`DELETE FROM refresh_tokens WHERE session_id IN
        (SELECT id FROM sessions WHERE expires_at < ?)`).run(nowMs).changes;
      // Sealed successors only serve the grace window; drop them once it has passed (core/revocation/entry-lifetime).
      this.db.prepare('UPDATE refresh_tokens SET successor_sealed = NULL WHERE successor_sealed IS NOT NULL AND consumed_at < ?').run(sealedSuccessorsDroppableBeforeMs(nowMs));
      return { feedRecords, refreshTokens };
    }).immediate());
  }
}

/** Opens (creating if needed, mode 0600) a SQLite store at `file` and applies migrations. */
export async function createSqliteStore(file: string, options: SqliteStoreOptions): Promise<SqliteStore> {
  const store = new SqliteStore(openDatabase(file), options);
  await store.migrate();
  return store;
}


function mapOne<T>(row: unknown, map: (r: Row) => T): T | undefined {
  return row === undefined ? undefined : map(row as Row);
}

/** Constraint violations are conflicts; busy/locked/IO errors mean the store is unavailable. */
function translateError(err: unknown): unknown {
  if (err instanceof Error && /database connection is not open/.test(err.message)) {
    return new RevokdError('ERR_STORE_UNAVAILABLE', 'the store is closed', { retryAfterSeconds: 1, cause: err });
  }
  if (err instanceof RevokdError || err instanceof TypeError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code.startsWith('SQLITE_CONSTRAINT')) return new RevokdError('ERR_CONFLICT', 'already exists', { cause: err });
    if (isBusyError(err) || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL' || code === 'SQLITE_CANTOPEN') {
      return new RevokdError('ERR_STORE_UNAVAILABLE', 'the store is unavailable', { retryAfterSeconds: 1, cause: err });
    }
  }
  return err;
}
