/**
 * The networked backend: PostgreSQL through a bounded `pg` pool (pool.ts). Every method is one
 * transaction (sql-runner.ts: BEGIN … COMMIT, ROLLBACK on error, the client always released) or one
 * statement; failures are translated like SQLite's (translate-error.ts). What must hold when several
 * instances write at once, and how:
 *  - the feed is read in commit order and the audit log stays one chain: feed-lock.ts;
 *  - a refresh token rotates once: consume-refresh.ts (row lock);
 *  - generation bumps are never lost: generations.ts (upsert);
 *  - the last-admin rule, the live API-token cap and rate windows: row / key locks (disableUser here,
 *    api-tokens.ts), besides the feed lock every audited write takes first;
 *  - other instances are woken on commit: feed-notify.ts (NOTIFY inside the transaction).
 * The revocation rules themselves are core's (core/revocation/*), called here as on SQLite.
 */
import pg from 'pg';
import type { AuditEntry, AuditEventInput, AuditEventType } from '../../core/audit/audit-event.js';
import { RevokdError } from '../../core/errors.js';
import { sealedSuccessorsDroppableBeforeMs } from '../../core/revocation/entry-lifetime.js';
import { clampRefreshExpiryMs } from '../../core/revocation/refresh-rotation.js';
import type { RevocationRecord } from '../../core/revocation/types.js';
import type {
  AlertCounts, AlertQuery, AlertRecord, ApiTokenRecord, ApiTokenRevocation, AuditQuery, ClientRecord, ConsumeOutcome, ConsumeRefreshInput,
  FeedCursor, FeedPage, FeedSnapshot, Generations, IpBlockRecord, IpBlockReport, NewApiToken, NewIpBlock, NewSession, OutboxMessage, OutboxRecord, PasswordSetReport, PasswordUpdate, RefreshTokenRecord,
  RevocationContext, RevocationReport, RevocationTarget, RevokdStore, Role, SessionRecord, SigningKeyRecord, UserRecord,
} from '../types.js';
import { insertApiTokenIn, recordApiTokenUseIn, revokeApiTokensIn } from './api-tokens.js';
import { appendAuditRows } from './audit-writer.js';
import { consumeRefreshIn } from './consume-refresh.js';
import {
  acknowledgeAlertIn, countAlertsIn, createIpBlockIn, incrementCounterIn, liftIpBlockIn, listAlertsIn, listIpBlocksIn, raiseAlertIn, readCounterIn,
} from './containment.js';
import { type GenerationRow, parseSeqCursor, seqFeedPage, seqFeedSnapshot, seqOfCursor } from '../seq-cursor.js';
import { readFeedHeadAndSeq } from './feed-head.js';
import { readGenerationsIn } from './generations.js';
import { migratePostgres, postgresSchemaVersion } from './migrate.js';
import type { SchemaState } from '../ports/lifecycle.js';
import { claimOutboxIn, markOutboxFailedIn, markOutboxSentIn } from './outbox.js';
import { createMissingDatabase, isMissingDatabase } from './create-database.js';
import { connectionSettings, createPool } from './pool.js';
import { revokeIn } from './revoke.js';
import { assertClientSecretStillGood } from './client-secret-check.js';
import { setUserPasswordIn } from './set-user-password.js';
import { toApiToken, toAudit, toClient, toFeedRecord, toRefresh, toRevocation, toSession, toSigningKey, toUser } from '../sql/rows.js';
import { BLOCK_CHANGE_SCOPES_SQL } from '../seq-cursor.js';
import { insertSessionIp, recordSessionIpIn } from './session-ips.js';
import { ClientRunner, type Row, type SqlRunner, type Transaction, runTransaction } from './sql-runner.js';
import { storeUnavailable, translatePgError } from './translate-error.js';

import { FEED_NOTIFY_CHANNEL } from './feed-notify.js';
import type { FeedNotifications } from '../ports/revocation-log.js';

export { FEED_NOTIFY_CHANNEL };

export interface PostgresStoreOptions {
  /** Bounds every wait: connecting, a pooled client, a statement, a reply (default 5000 ms). */
  readonly storeTimeoutMs?: number;
  /** The audit chain key (never stored in the database); see app/security/service-secret.ts. */
  readonly auditChainKey: Buffer;
  /** Told when an idle pooled connection dies (it is replaced on the next checkout). */
  readonly onPoolError?: (err: Error) => void;
  /** Told when the database did not exist and was created (create-database.ts). */
  readonly onDatabaseCreated?: (name: string) => void;
}

export const DEFAULT_STORE_TIMEOUT_MS = 5_000;

export class PostgresStore implements RevokdStore, FeedNotifications {
  readonly backend = 'postgres' as const;
  schema: SchemaState = { version: 0, applied: [] };
  /** The LISTEN channel every feed-appending transaction notifies on commit (feed-notify.ts). */
  readonly feedNotifyChannel = FEED_NOTIFY_CHANNEL;
  readonly pool: pg.Pool;
  private readonly url: string;
  private readonly timeoutMs: number;
  private readonly auditChainKey: Buffer;
  private closing: Promise<void> | undefined;

  constructor(url: string, options: PostgresStoreOptions) {
    if (options.auditChainKey.length < 32) throw new Error('the audit chain key must be at least 32 bytes');
    this.url = url;
    this.timeoutMs = options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS;
    this.auditChainKey = options.auditChainKey;
    this.pool = createPool(url, this.timeoutMs, options.onPoolError);
  }

  /** One autocommit statement (or a few independent reads) on the pool. */
  private async run<T>(work: (sql: SqlRunner) => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      return await work(new ClientRunner(this.pool));
    } catch (err) {
      throw translatePgError(err);
    }
  }

  /** One transaction; `feed` for any that appends feed records or audit entries (feed-lock.ts). */
  private async tx<T>(feed: boolean, work: (tx: Transaction) => Promise<T>): Promise<T> {
    this.assertOpen();
    return runTransaction(this.pool, this.auditChainKey, { feed }, work);
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw storeUnavailable('the store is closed');
  }

  async migrate(): Promise<void> {
    const ran = await this.run(() => migratePostgres(this.pool, Date.now()));
    this.schema = { version: await this.run(() => postgresSchemaVersion(this.pool)), applied: [...this.schema.applied, ...ran] };
  }

  /** Ends the pool (idempotent); every later call answers ERR_STORE_UNAVAILABLE. */
  close(): Promise<void> {
    this.closing ??= this.pool.end();
    return this.closing;
  }

  async ping(): Promise<void> {
    await this.run((sql) => sql.rows('SELECT 1'));
  }

  /**
   * A dedicated connection for LISTEN (not from the pool, which would hand it to other work and
   * idle it out), made with the store's settings and application_name 'revokd-listener'. The caller
   * owns it: it LISTENs on FEED_NOTIFY_CHANNEL, handles its 'error'/'end' (reconnecting and
   * catching up from the feed) and ends it.
   */
  async connectListener(): Promise<pg.Client> {
    this.assertOpen();
    const client = new pg.Client(connectionSettings(this.url, this.timeoutMs, 'revokd-listener'));
    try {
      await client.connect();
    } catch (err) {
      throw translatePgError(err);
    }
    return client;
  }

  createUser(user: UserRecord, audit: AuditEventInput): Promise<void> {
    return this.tx(true, async (tx) => {
      await tx.rows('INSERT INTO users (id, email, role, password_hash, created_at, disabled_at, must_change_password) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [user.id, user.email, user.role, user.passwordHash, user.createdAtMs, user.disabledAtMs, user.mustChangePassword === true]);
      await appendAuditRows(tx, [audit], user.createdAtMs);
    });
  }

  findUserById(id: string): Promise<UserRecord | undefined> {
    return this.run(async (sql) => mapOne(await sql.one('SELECT * FROM users WHERE id = $1', [id]), toUser));
  }

  /** Case-insensitive, through the unique index on lower(email). */
  findUserByEmail(email: string): Promise<UserRecord | undefined> {
    return this.run(async (sql) => mapOne(await sql.one('SELECT * FROM users WHERE lower(email) = lower($1)', [email]), toUser));
  }

  listUsers(query: { limit: number; offset: number; search?: string }): Promise<UserRecord[]> {
    const search = query.search === undefined ? '%' : `%${query.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return this.run(async (sql) => (await sql.rows(`SELECT * FROM users WHERE email ILIKE $1 ESCAPE '\\' ORDER BY created_at, id LIMIT $2 OFFSET $3`,
      [search, query.limit, query.offset])).map(toUser));
  }

  countUsersWithRole(role: Role): Promise<number> {
    return this.run(async (sql) => (await sql.one<{ n: number }>('SELECT COUNT(*) AS n FROM users WHERE role = $1', [role]))!.n);
  }

  countActiveUsersWithRole(role: Role): Promise<number> {
    return this.run(async (sql) => (await sql.one<{ n: number }>('SELECT COUNT(*) AS n FROM users WHERE role = $1 AND disabled_at IS NULL', [role]))!.n);
  }

  /**
   * The last-admin rule across instances: the active admins' rows are locked (FOR UPDATE) before
   * counting the others, so of two admins disabling each other at once the second sees the first's
   * commit and is refused.
   */
  disableUser(id: string, nowMs: number, audit: AuditEventInput): Promise<boolean> {
    return this.tx(true, async (tx) => {
      const target = await tx.one<{ role: Role }>('SELECT role FROM users WHERE id = $1 AND disabled_at IS NULL FOR UPDATE', [id]);
      if (target === undefined) return false;
      if (target.role === 'admin') {
        const admins = await tx.rows<{ id: string }>(`SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL ORDER BY id FOR UPDATE`);
        if (!admins.some((a) => a.id !== id)) {
          throw new RevokdError('ERR_CONFLICT', 'cannot disable the last active admin; make another user an admin first');
        }
      }
      const changed = await tx.changes('UPDATE users SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL', [nowMs, id]) > 0;
      if (changed) await appendAuditRows(tx, [audit], nowMs);
      return changed;
    });
  }

  enableUser(id: string, nowMs: number, audit: AuditEventInput): Promise<boolean> {
    return this.tx(true, async (tx) => {
      const changed = await tx.changes('UPDATE users SET disabled_at = NULL WHERE id = $1 AND disabled_at IS NOT NULL', [id]) > 0;
      if (changed) await appendAuditRows(tx, [audit], nowMs);
      return changed;
    });
  }

  setUserPassword(id: string, update: PasswordUpdate, audit: AuditEventInput, mail?: OutboxMessage): Promise<PasswordSetReport | undefined> {
    return this.tx(true, (tx) => setUserPasswordIn(tx, id, update, audit, mail));
  }

  createClient(client: ClientRecord, audit: AuditEventInput): Promise<void> {
    return this.tx(true, async (tx) => {
      await tx.rows('INSERT INTO clients (id, name, secret_hash, grants, scopes, created_at, disabled_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [client.id, client.name, client.secretHash, JSON.stringify(client.grants), JSON.stringify(client.scopes), client.createdAtMs, client.disabledAtMs]);
      await appendAuditRows(tx, [audit], client.createdAtMs);
    });
  }

  findClient(id: string): Promise<ClientRecord | undefined> {
    return this.run(async (sql) => mapOne(await sql.one('SELECT * FROM clients WHERE id = $1', [id]), toClient));
  }

  listClients(): Promise<ClientRecord[]> {
    return this.run(async (sql) => (await sql.rows('SELECT * FROM clients ORDER BY created_at, id')).map(toClient));
  }

  setClientDisabled(id: string, disabled: boolean, nowMs: number, audit: AuditEventInput): Promise<boolean> {
    return this.tx(true, async (tx) => {
      const changed = (disabled
        ? await tx.changes('UPDATE clients SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL', [nowMs, id])
        : await tx.changes('UPDATE clients SET disabled_at = NULL WHERE id = $1 AND disabled_at IS NOT NULL', [id])) > 0;
      if (changed) await appendAuditRows(tx, [audit], nowMs);
      return changed;
    });
  }

  replaceClientSecret(id: string, secretHash: string, nowMs: number, audit: AuditEventInput, previousSecretExpiresAtMs: number | null = null): Promise<boolean> {
    return this.tx(true, async (tx) => {
      const changed = await tx.changes(`UPDATE clients SET previous_secret_hash = CASE WHEN $1::bigint IS NULL THEN NULL ELSE secret_hash END,
        previous_secret_expires_at = $1, secret_hash = $2 WHERE id = $3 AND secret_hash IS NOT NULL`, [previousSecretExpiresAtMs, secretHash, id]) > 0;
      if (changed) await appendAuditRows(tx, [audit], nowMs);
      return changed;
    });
  }

  listEndedSecretGraces(nowMs: number): Promise<ClientRecord[]> {
    return this.run(async (sql) => (await sql.rows('SELECT * FROM clients WHERE previous_secret_expires_at <= $1 ORDER BY id', [nowMs])).map(toClient));
  }

  endSecretGrace(id: string, expiresAtMs: number): Promise<boolean> {
    return this.run(async (sql) => (await sql.changes(`UPDATE clients SET previous_secret_hash = NULL, previous_secret_expires_at = NULL
      WHERE id = $1 AND previous_secret_expires_at = $2`, [id, expiresAtMs])) > 0);
  }

  insertSigningKey(key: SigningKeyRecord, retireActive: boolean, audit: AuditEventInput): Promise<void> {
    return this.tx(true, async (tx) => {
      if (retireActive) await tx.rows(`UPDATE signing_keys SET status = 'retired', retired_at = $1 WHERE status = 'active'`, [key.createdAtMs]);
      await tx.rows(`INSERT INTO signing_keys (kid, alg, public_jwk, status, created_at, retired_at, revoked_at, private_key_sealed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [key.kid, key.alg, JSON.stringify(key.publicJwk), key.status, key.createdAtMs, key.retiredAtMs, key.revokedAtMs, key.privateKeySealed]);
      await appendAuditRows(tx, [audit], key.createdAtMs);
    });
  }

  listSigningKeys(): Promise<SigningKeyRecord[]> {
    return this.run(async (sql) => (await sql.rows('SELECT * FROM signing_keys ORDER BY created_at, kid')).map(toSigningKey));
  }

  storeSealedPrivateKey(kid: string, sealed: string): Promise<boolean> {
    return this.run(async (sql) => (await sql.changes(`UPDATE signing_keys SET private_key_sealed = $1 WHERE kid = $2 AND alg <> 'HS256' AND private_key_sealed IS NULL`, [sealed, kid])) > 0);
  }

  readGenerations(sub: string, clientId: string): Promise<Generations> {
    return this.run((sql) => readGenerationsIn(sql, sub, clientId));
  }

  createSession(input: NewSession): Promise<Generations> {
    return this.tx(true, async (tx) => {
      const s = input.session;
      if (input.clientSecret !== undefined) await assertClientSecretStillGood(tx, s.clientId, input.clientSecret);
      // The login's precondition: FOR SHARE waits for a disable or a new hash in flight on any
      // instance, then (READ COMMITTED) re-checks the condition on the row as that commit left it.
      if (input.ifUserUnchanged !== undefined && await tx.one('SELECT 1 FROM users WHERE id = $1 AND disabled_at IS NULL AND password_hash = $2 FOR SHARE',
        [s.userId, input.ifUserUnchanged.passwordHash]) === undefined) {
        throw new RevokdError('ERR_CONFLICT', 'the user was disabled or their password replaced since it was checked');
      }
      await tx.rows(`INSERT INTO sessions (id, user_id, client_id, created_at, last_used_at, expires_at, ip, last_ip, user_agent, scope)
        VALUES ($1, $2, $3, $4, $4, $5, $6, $6, $7, $8)`, [s.id, s.userId, s.clientId, s.createdAtMs, s.expiresAtMs, s.ip, s.userAgent, s.scope]);
      await insertSessionIp(tx, s.id, s.ip, s.createdAtMs);
      const gens = await readGenerationsIn(tx, s.userId ?? s.clientId, s.clientId);
      const r = input.refresh;
      if (r !== null) {
        await tx.rows(`INSERT INTO refresh_tokens (id, session_id, token_hash, parent_id, created_at, expires_at, gen, ugen, cgen)
          VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8)`, [r.id, s.id, r.tokenHash, r.createdAtMs, clampRefreshExpiryMs(r.expiresAtMs, s.expiresAtMs), gens.gen, gens.ugen, gens.cgen]);
      }
      await appendAuditRows(tx, [input.audit], s.createdAtMs);
      return gens;
    });
  }

  findSession(id: string): Promise<SessionRecord | undefined> {
    return this.run(async (sql) => mapOne(await sql.one('SELECT * FROM sessions WHERE id = $1', [id]), toSession));
  }

  listLiveSessions(userId: string, nowMs: number): Promise<SessionRecord[]> {
    return this.run(async (sql) => (await sql.rows(`SELECT * FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2
      ORDER BY last_used_at DESC, id`, [userId, nowMs])).map(toSession));
  }

  /** The same test revoke() counts with (revoke.ts countLiveRefreshIn), over the distinct sessions. */
  countLiveRefreshTokens(sessionIds: readonly string[], nowMs: number): Promise<number> {
    return this.run(async (sql) => (await sql.one<{ n: number }>(`SELECT COUNT(*) AS n FROM refresh_tokens
      WHERE session_id = ANY($1::text[]) AND consumed_at IS NULL AND expires_at > $2`, [[...new Set(sessionIds)], nowMs]))!.n);
  }

  findRefreshByHash(tokenHash: string): Promise<RefreshTokenRecord | undefined> {
    return this.run(async (sql) => mapOne(await sql.one('SELECT * FROM refresh_tokens WHERE token_hash = $1', [tokenHash]), toRefresh));
  }

  findRefreshById(id: string): Promise<RefreshTokenRecord | undefined> {
    return this.run(async (sql) => mapOne(await sql.one('SELECT * FROM refresh_tokens WHERE id = $1', [id]), toRefresh));
  }

  consumeRefresh(input: ConsumeRefreshInput): Promise<ConsumeOutcome> {
    return this.tx(true, (tx) => consumeRefreshIn(tx, input));
  }

  revoke(target: RevocationTarget, context: RevocationContext): Promise<RevocationReport> {
    return this.tx(true, (tx) => revokeIn(tx, target, context));
  }

  parseFeedCursor(text: string): FeedCursor | undefined {
    return parseSeqCursor(text);
  }

  /** Seq order is commit order (feed-lock.ts), so the cursor is the last seq read. */
  readFeed(after: FeedCursor, limit: number): Promise<FeedPage> {
    const afterSeq = seqOfCursor(after);
    return this.run(async (sql) => {
      const records = (await sql.rows('SELECT * FROM revocations WHERE seq > $1 ORDER BY seq LIMIT $2', [afterSeq, limit])).map(toFeedRecord);
      return seqFeedPage(after, records);
    });
  }

  /**
   * Compared with the identity's last value (not MAX(seq): the newest records may have been
   * pruned). That value may belong to a transaction still under way or rolled back, so a cursor
   * just past the committed head is not caught here; the stream's join deadline still is.
   */
  cursorIsAhead(cursor: FeedCursor): Promise<boolean> {
    const seq = seqOfCursor(cursor);
    return this.run(async (sql) => {
      const row = await sql.one<{ last: number | null }>(`SELECT pg_sequence_last_value(pg_get_serial_sequence('revocations', 'seq')::regclass) AS last`);
      return seq > Number(row?.last ?? 0);
    });
  }

  listWindowRevocations(nowMs: number): Promise<RevocationRecord[]> {
    return this.run(async (sql) => (await sql.rows(`SELECT * FROM revocations WHERE scope = 'window' AND (expires_at IS NULL OR expires_at >= $1) ORDER BY seq`,
      [nowMs])).map(toRevocation));
  }

  /**
   * Records, generations and cursor from one REPEATABLE READ snapshot. The cursor is the highest seq
   * in that snapshot: a transaction that commits after it took its seqs after every visible one
   * (feed-lock.ts), so a reader continuing from the cursor misses nothing and repeats nothing.
   */
  async loadSnapshot(nowMs: number): Promise<FeedSnapshot> {
    this.assertOpen();
    return runTransaction(this.pool, this.auditChainKey, { feed: false, snapshot: true }, async (tx): Promise<FeedSnapshot> => {
      // IP block changes are not revocations: instances load active blocks from ip_blocks.
      const records = (await tx.rows(`SELECT * FROM revocations WHERE (expires_at IS NULL OR expires_at >= $1) AND scope NOT IN ${BLOCK_CHANGE_SCOPES_SQL} ORDER BY seq`,
        [nowMs])).map(toRevocation);
      const gens = await tx.rows<GenerationRow>('SELECT scope, target, generation FROM generations');
      const { last } = (await tx.one<{ last: number }>('SELECT COALESCE(MAX(seq), 0) AS last FROM revocations'))!;
      // Same snapshot as the records: the head is advanced in the transaction of each record it covers.
      // The cursor is never below the last record the chain covers, pruned or not (migration 006).
      const head = await readFeedHeadAndSeq(tx);
      return seqFeedSnapshot(records, gens, Math.max(Number(last), head.seq), head.chain);
    });
  }

  appendAudit(events: readonly AuditEventInput[], nowMs: number): Promise<void> {
    return this.tx(true, (tx) => appendAuditRows(tx, events, nowMs));
  }

  listAudit(query: AuditQuery): Promise<AuditEntry[]> {
    return this.run(async (sql) => (query.type === undefined
      ? await sql.rows('SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2', [query.afterSeq ?? 0, query.limit])
      : await sql.rows('SELECT * FROM audit_log WHERE seq > $1 AND type = $2 ORDER BY seq LIMIT $3', [query.afterSeq ?? 0, query.type, query.limit])).map(toAudit));
  }

  lastAuditEntry(): Promise<AuditEntry | undefined> {
    return this.run(async (sql) => mapOne(await sql.one('SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1'), toAudit));
  }

  countAuditByType(sinceMs: number | null): Promise<Partial<Record<AuditEventType, number>>> {
    return this.run(async (sql) => {
      const rows = sinceMs === null
        ? await sql.rows<{ type: AuditEventType; n: number }>('SELECT type, COUNT(*) AS n FROM audit_log GROUP BY type')
        : await sql.rows<{ type: AuditEventType; n: number }>('SELECT type, COUNT(*) AS n FROM audit_log WHERE at >= $1 GROUP BY type', [sinceMs]);
      return Object.fromEntries(rows.map((r) => [r.type, r.n]));
    });
  }

  listAuditForUser(userId: string, limit: number): Promise<AuditEntry[]> {
    return this.run(async (sql) => (await sql.rows(`SELECT * FROM audit_log WHERE actor_id = $1 OR target_id = $1 ORDER BY seq DESC LIMIT $2`,
      [userId, limit])).map(toAudit));
  }

  createApiToken(token: NewApiToken, limits: { maxLivePerUser: number | null }, audit: AuditEventInput): Promise<void> {
    return this.tx(true, (tx) => insertApiTokenIn(tx, token, limits.maxLivePerUser, audit));
  }

  findApiTokenById(id: string): Promise<ApiTokenRecord | undefined> {
    return this.run(async (sql) => mapOne(await sql.one('SELECT * FROM api_tokens WHERE id = $1', [id]), toApiToken));
  }

  findApiTokenByHash(tokenHash: string): Promise<ApiTokenRecord | undefined> {
    return this.run(async (sql) => mapOne(await sql.one('SELECT * FROM api_tokens WHERE token_hash = $1', [tokenHash]), toApiToken));
  }

  listApiTokens(userId: string): Promise<ApiTokenRecord[]> {
    return this.run(async (sql) => (await sql.rows('SELECT * FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id', [userId])).map(toApiToken));
  }

  listUnusedApiTokens(unusedSinceMs: number, limit: number): Promise<ApiTokenRecord[]> {
    return this.run(async (sql) => (await sql.rows(`SELECT * FROM api_tokens WHERE is_active AND NOT is_canary AND COALESCE(last_used_at, created_at) < $1
      ORDER BY created_at LIMIT $2`, [unusedSinceMs, limit])).map(toApiToken));
  }

  revokeApiTokens(request: ApiTokenRevocation): Promise<ApiTokenRecord[]> {
    return this.tx(true, (tx) => revokeApiTokensIn(tx, request));
  }

  findRateWindowLastUse(key: string): Promise<number | undefined> {
    return this.run(async (sql) => (await sql.one<{ last_at: number }>('SELECT last_at FROM rate_windows WHERE key = $1', [key]))?.last_at);
  }

  recordApiTokenUse(uses: ReadonlyArray<{ id: string; atMs: number; ip: string }>): Promise<void> {
    if (uses.length === 0) return Promise.resolve();
    return this.tx(false, (tx) => recordApiTokenUseIn(tx, uses));
  }

  claimOutbox(nowMs: number, leaseMs: number, limit: number): Promise<OutboxRecord[]> {
    return this.run((sql) => claimOutboxIn(sql, nowMs, leaseMs, limit));
  }

  markOutboxSent(id: number, nowMs: number): Promise<void> {
    return this.run((sql) => markOutboxSentIn(sql, id, nowMs));
  }

  markOutboxFailed(id: number, error: string, nextAttemptAtMs: number): Promise<void> {
    return this.run((sql) => markOutboxFailedIn(sql, id, error, nextAttemptAtMs));
  }

  countPendingOutbox(): Promise<number> {
    return this.run(async (sql) => (await sql.one<{ n: number }>('SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL'))!.n);
  }

  createIpBlock(block: NewIpBlock, context: RevocationContext, apiTokens: { readonly notify: ApiTokenRevocation['notify'] }): Promise<IpBlockReport> {
    return this.tx(true, (tx) => createIpBlockIn(tx, block, context, apiTokens.notify));
  }

  recordSessionIp(sessionId: string, ip: string, nowMs: number): Promise<void> {
    return this.tx(false, (tx) => recordSessionIpIn(tx, sessionId, ip, nowMs));
  }

  listIpBlocks(nowMs: number | null): Promise<IpBlockRecord[]> {
    return this.run((sql) => listIpBlocksIn(sql, nowMs));
  }

  liftIpBlock(id: string, nowMs: number, by: string | null, audit: AuditEventInput): Promise<IpBlockRecord | undefined> {
    return this.tx(true, (tx) => liftIpBlockIn(tx, id, nowMs, by, audit));
  }

  setUserDecoy(id: string, isDecoy: boolean): Promise<void> {
    return this.run(async (sql) => { await sql.rows('UPDATE users SET is_decoy = $1 WHERE id = $2', [isDecoy, id]); });
  }

  incrementCounter(key: string, windowMs: number, nowMs: number): Promise<number> {
    return this.run((sql) => incrementCounterIn(sql, key, windowMs, nowMs));
  }

  readCounter(key: string, windowMs: number, nowMs: number): Promise<{ count: number; resetAtMs: number }> {
    return this.run((sql) => readCounterIn(sql, key, windowMs, nowMs));
  }

  raiseAlert(alert: Omit<AlertRecord, 'acknowledgedAtMs' | 'acknowledgedBy'>, audit: AuditEventInput): Promise<{ alert: AlertRecord; created: boolean }> {
    return this.tx(true, (tx) => raiseAlertIn(tx, alert, audit));
  }

  listAlerts(query: AlertQuery): Promise<AlertRecord[]> {
    return this.run((sql) => listAlertsIn(sql, query));
  }

  acknowledgeAlert(id: string, by: string, nowMs: number): Promise<AlertRecord | undefined> {
    return this.tx(true, (tx) => acknowledgeAlertIn(tx, id, by, nowMs));
  }

  countAlerts(): Promise<AlertCounts> {
    return this.run((sql) => countAlertsIn(sql));
  }

  prune(nowMs: number): Promise<{ feedRecords: number; refreshTokens: number }> {
    return this.tx(false, async (tx) => {
      // Exactly the entries loadSnapshot no longer loads (core/revocation/entry-lifetime entryMayBePruned).
      const feedRecords = await tx.changes('DELETE FROM revocations WHERE expires_at IS NOT NULL AND expires_at < $1', [nowMs]);
      // Consumed or expired refresh rows of sessions that are over are no longer needed for reuse detection.
      const refreshTokens = await tx.changes('DELETE FROM refresh_tokens WHERE session_id IN (SELECT id FROM sessions WHERE expires_at < $1)', [nowMs]);
      // Sealed successors only serve the grace window; drop them once it has passed (core/revocation/entry-lifetime).
      await tx.rows('UPDATE refresh_tokens SET successor_sealed = NULL WHERE successor_sealed IS NOT NULL AND consumed_at < $1', [sealedSuccessorsDroppableBeforeMs(nowMs)]);
      return { feedRecords, refreshTokens };
    });
  }
}

/**
 * Opens a PostgreSQL store on `url` and applies migrations (the pool is ended if that fails). A
 * database that does not exist yet is created first, when the role may (create-database.ts).
 */
export async function createPostgresStore(url: string, options: PostgresStoreOptions, createIfMissing = true): Promise<PostgresStore> {
  const store = new PostgresStore(url, options);
  try {
    await store.migrate();
  } catch (err) {
    await store.close();
    // Only the first connection tells; the check costs nothing when the database is there.
    if (!createIfMissing || !isMissingDatabase(err)) throw err;
    const name = await createMissingDatabase(url, options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS);
    options.onDatabaseCreated?.(name);
    return createPostgresStore(url, options, false);
  }
  return store;
}

function mapOne<T>(row: Row | undefined, map: (r: Row) => T): T | undefined {
  return row === undefined ? undefined : map(row);
}
