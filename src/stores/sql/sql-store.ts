/**
 * The store contract (RevokdStore) over SQL, written once: every method is one unit of work —
 * statements outside a transaction, a write transaction, or a consistent snapshot — running a
 * procedure of this folder. Most methods are one entry of the tables below, by the unit they run
 * in; their signatures are the ports' (../ports/), not written again: an entry is the port method
 * with the unit first, and SqlStore gets it as a method. A backend (sqlite/sqlite-store.ts,
 * postgres/postgres-store.ts) says how a unit of work runs on its driver (`unit`), and adds what
 * only it has (opening, migrating, closing, PostgreSQL's LISTEN connection).
 */
import type { AuditEventInput } from '../../core/audit/audit-event.js';
import { RevokdError } from '../../core/errors.js';
import { sealedSuccessorsDroppableBeforeMs } from '../../core/revocation/entry-lifetime.js';
import type { SchemaState } from '../ports/lifecycle.js';
import {
  type PagedSnapshotHead,
  type WireSnapshotPage,
  type SnapshotReceiver,
} from '../../core/revocation/snapshot-stream.js';
import { parseSeqCursor, seqFeedPage, seqOfCursor } from '../seq-cursor.js';
import type {
  ConsumeOutcome,
  ConsumeRefreshInput,
  FeedCursor,
  FeedPage,
  FeedSnapshot,
  RevocationContext,
  RevocationReport,
  RevocationTarget,
  RevokdStore,
  UserHoldingsReport,
  UserHoldingsRevocation,
} from '../types.js';
import * as apiTokens from './api-tokens.js';
import { appendAudit, auditedChange, listAudit } from './audit.js';
import * as containment from './containment.js';
import type { Dialect } from './dialect.js';
import { readGenerations } from './generations.js';
import {
  LIVE_ENTRY,
  PRUNABLE_ENTRY,
  PRUNABLE_REFRESH_SESSION,
  entryCutoff,
  liveCutoff,
  liveSession,
  refreshPruneCutoff,
} from './live.js';
import { type Proc, type Unit, all, count, get, many, one, run } from './procedure.js';
import { revoke } from './revoke.js';
import { RevokeBatcher, revokeEach } from './revoke-batch.js';
import {
  toApiToken,
  toApiTokenWithOwner,
  toAudit,
  toClient,
  toFeedRecord,
  toOutbox,
  toRefresh,
  toRevocation,
  toSession,
  toSigningKey,
  toUser,
} from './rows.js';
import { recordSessionIp } from './session-ips.js';
import { consumeRefresh, countLiveRefreshTokens, createSession } from './sessions.js';
import { schemaVersion } from './schema-migrations.js';
import { setUserPassword } from './set-user-password.js';
import { loadSnapshot, snapshotHead, snapshotWirePage, streamSnapshot } from './snapshot-stream.js';

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

/** The procedure behind store method K: the port method's arguments after the unit, its result. */
type ProcedureOf<K extends keyof RevokdStore> = RevokdStore[K] extends (
  ...args: infer A
) => Promise<infer R>
  ? (u: Unit, ...args: A) => Proc<R>
  : never;
type Procedures = { readonly [K in keyof RevokdStore]?: ProcedureOf<K> };

const ACTIVE_WITH_ROLE = 'SELECT COUNT(*) AS n FROM users WHERE role = ? AND disabled_at IS NULL';

/** Methods whose statements run on their own: reads, and single statements atomic by themselves. */
const AUTOCOMMIT = {
  *ping() {
    yield* all('SELECT 1');
  },

  // Users, clients, signing keys.
  findUserById: (_, id) => one('SELECT * FROM users WHERE id = ?', [id], toUser),
  // Case-insensitive, through the unique index on the email (COLLATE NOCASE / lower(email)).
  findUserByEmail: (u, email) =>
    one(`SELECT * FROM users WHERE ${u.d.emailMatches}`, [email], toUser),
  listUsers(u, query) {
    const search =
      query.search === undefined ? '%' : `%${query.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return many(
      `SELECT * FROM users WHERE email ${u.d.ilike} ? ESCAPE '\\' ORDER BY created_at, id LIMIT ? OFFSET ?`,
      [search, query.limit, query.offset],
      toUser,
    );
  },
  countUsersWithRole: (_, role) => count('SELECT COUNT(*) AS n FROM users WHERE role = ?', [role]),
  countActiveUsersWithRole: (_, role) => count(ACTIVE_WITH_ROLE, [role]),
  *setUserDecoy(_, id, isDecoy) {
    yield* run('UPDATE users SET is_decoy = ? WHERE id = ?', [isDecoy ? 1 : 0, id]);
  },
  findClient: (_, id) => one('SELECT * FROM clients WHERE id = ?', [id], toClient),
  listClients: () => many('SELECT * FROM clients ORDER BY created_at, id', [], toClient),
  listEndedSecretGraces: (_, nowMs) =>
    many(
      'SELECT * FROM clients WHERE previous_secret_expires_at <= ? ORDER BY id',
      [nowMs],
      toClient,
    ),
  *endSecretGrace(_, id, expiresAtMs) {
    const sql = `UPDATE clients SET previous_secret_hash = NULL, previous_secret_expires_at = NULL
      WHERE id = ? AND previous_secret_expires_at = ?`;
    return (yield* run(sql, [id, expiresAtMs])) > 0;
  },
  listSigningKeys: () =>
    many('SELECT * FROM signing_keys ORDER BY created_at, kid', [], toSigningKey),
  *storeSealedPrivateKey(_, kid, sealed) {
    const sql = `UPDATE signing_keys SET private_key_sealed = ?
      WHERE kid = ? AND alg <> 'HS256' AND private_key_sealed IS NULL`;
    return (yield* run(sql, [sealed, kid])) > 0;
  },

  // Sessions and refresh tokens.
  readGenerations: (_, sub, clientId) => readGenerations(sub, clientId),
  findSession: (_, id) => one('SELECT * FROM sessions WHERE id = ?', [id], toSession),
  listLiveSessions: (_, userId, nowMs) =>
    many(
      `SELECT * FROM sessions WHERE user_id = ? AND ${liveSession()} ORDER BY last_used_at DESC, id`,
      [userId, liveCutoff(nowMs)],
      toSession,
    ),
  countLiveRefreshTokens,
  findRefreshByHash: (_, hash) =>
    one('SELECT * FROM refresh_tokens WHERE token_hash = ?', [hash], toRefresh),
  findRefreshById: (_, id) => one('SELECT * FROM refresh_tokens WHERE id = ?', [id], toRefresh),

  // The revocation log.
  /**
   * Compared with the highest seq ever handed out (not MAX(seq): the newest records may have been
   * pruned). On PostgreSQL that value may belong to a transaction still under way or rolled back,
   * so a cursor just past the committed head is not caught here; the stream's join deadline still is.
   */
  *cursorIsAhead(u, cursor) {
    return (
      seqOfCursor(cursor) > Number((yield* get<{ last: number | null }>(u.d.lastSeqSql))?.last ?? 0)
    );
  },
  listWindowRevocations: (_, nowMs) =>
    many(
      `SELECT * FROM revocations WHERE scope = 'window' AND ${LIVE_ENTRY} ORDER BY seq`,
      [entryCutoff(nowMs)],
      toRevocation,
    ),

  // The audit log.
  listAudit,
  lastAuditEntry: () => one('SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1', [], toAudit),
  *countAuditByType(_, sinceMs) {
    const rows = yield* all<{ type: string; n: number }>(
      `SELECT type, COUNT(*) AS n FROM audit_log${sinceMs === null ? '' : ' WHERE at >= ?'} GROUP BY type`,
      sinceMs === null ? [] : [sinceMs],
    );
    return Object.fromEntries(rows.map((r) => [r.type, r.n]));
  },
  listAuditForUser: (_, userId, limit) =>
    many(
      'SELECT * FROM audit_log WHERE actor_id = ? OR target_id = ? ORDER BY seq DESC LIMIT ?',
      [userId, userId, limit],
      toAudit,
    ),

  // API tokens and rate windows.
  findApiTokenById: (_, id) => one('SELECT * FROM api_tokens WHERE id = ?', [id], toApiToken),
  findApiTokenByHash: (_, hash) =>
    one('SELECT * FROM api_tokens WHERE token_hash = ?', [hash], toApiToken),
  findApiTokenWithOwner: (_, hash) =>
    one(
      `SELECT t.*, u.id AS owner_id, u.disabled_at AS owner_disabled_at
      FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?`,
      [hash],
      toApiTokenWithOwner,
    ),
  listApiTokens: (_, userId) =>
    many(
      'SELECT * FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC, id',
      [userId],
      toApiToken,
    ),
  listUnusedApiTokens: (u, unusedSinceMs, limit) =>
    many(
      `SELECT * FROM api_tokens WHERE ${u.d.isTrue('is_active')} AND ${u.d.isFalse('is_canary')}
        AND COALESCE(last_used_at, created_at) < ? ORDER BY created_at LIMIT ?`,
      [unusedSinceMs, limit],
      toApiToken,
    ),
  findRateWindowLastUse: (_, key) => apiTokens.rateWindowLastUse(key),

  // The outbox: leased claims, so two workers (on any instances) never send the same message at once.
  /**
   * One statement. On PostgreSQL, FOR UPDATE SKIP LOCKED lets concurrent claimers take disjoint rows
   * instead of queueing on each other; the lease keeps a claimed row out of later claims until it ends.
   */
  *claimOutbox(u, nowMs, leaseMs, limit) {
    const rows = yield* all(
      `UPDATE outbox SET lease_until = ?, attempts = attempts + 1
      WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= ?
                   AND (lease_until IS NULL OR lease_until <= ?)
                   ORDER BY id LIMIT ?${u.d.forUpdateSkipLocked})
      RETURNING *`,
      [nowMs + leaseMs, nowMs, nowMs, limit],
    );
    return rows.map(toOutbox).sort((a, b) => a.id - b.id);
  },
  *markOutboxSent(_, id, nowMs) {
    const sql = 'UPDATE outbox SET sent_at = ?, lease_until = NULL, last_error = NULL WHERE id = ?';
    yield* run(sql, [nowMs, id]);
  },
  *markOutboxFailed(_, id, error, nextAttemptAtMs) {
    const sql = `UPDATE outbox SET last_error = ?, next_attempt_at = ?, lease_until = NULL
      WHERE id = ? AND sent_at IS NULL`;
    yield* run(sql, [error.slice(0, 500), nextAttemptAtMs, id]);
  },
  countPendingOutbox: () => count('SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL'),

  // Containment.
  listIpBlocks: (_, nowMs) => containment.listIpBlocks(nowMs),
  findIpBlock: (_, id) => containment.findIpBlock(id),
  incrementCounter: (_, key, windowMs, nowMs) => containment.incrementCounter(key, windowMs, nowMs),
  readCounter: (_, key, windowMs, nowMs) => containment.readCounter(key, windowMs, nowMs),
  listAlerts: (_, query) => containment.listAlerts(query),
  countAlerts: () => containment.countAlerts(),
} satisfies Procedures;

/** Methods that write in one transaction appending no feed record and no audit entry. */
const WRITE = {
  recordSessionIp,
  *prune(_, nowMs) {
    // Exactly the entries loadSnapshot no longer loads (core/revocation/entry-lifetime entryMayBePruned).
    const feedRecords = yield* run(`DELETE FROM revocations WHERE ${PRUNABLE_ENTRY}`, [
      entryCutoff(nowMs),
    ]);
    // Consumed or expired refresh rows of sessions that are over are no longer needed for reuse detection.
    const refreshTokens = yield* run(
      `DELETE FROM refresh_tokens WHERE session_id IN (SELECT id FROM sessions WHERE ${PRUNABLE_REFRESH_SESSION})`,
      [refreshPruneCutoff(nowMs)],
    );
    // Sealed successors only serve the grace window; drop them once it has passed (core/revocation/entry-lifetime).
    yield* run(
      'UPDATE refresh_tokens SET successor_sealed = NULL WHERE successor_sealed IS NOT NULL AND consumed_at < ?',
      [sealedSuccessorsDroppableBeforeMs(nowMs)],
    );
    return { feedRecords, refreshTokens };
  },
} satisfies Procedures;

/** Sets or clears `disabled_at` (users, clients), with the audit entry when it changed. */
function setDisabled(
  u: Unit,
  table: 'users' | 'clients',
  id: string,
  disabled: boolean,
  nowMs: number,
  audit: AuditEventInput,
): Proc<boolean> {
  return disabled
    ? auditedChange(
        u,
        `UPDATE ${table} SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL`,
        [nowMs, id],
        audit,
        nowMs,
      )
    : auditedChange(
        u,
        `UPDATE ${table} SET disabled_at = NULL WHERE id = ? AND disabled_at IS NOT NULL`,
        [id],
        audit,
        nowMs,
      );
}

/**
 * The last-admin rule across instances: the active admins' rows are locked (FOR UPDATE, where
 * rows lock) before counting the others, so of two admins disabling each other at once the second
 * sees the first's commit and is refused.
 */
function* mustBeUser(id: string): Proc<void> {
  if ((yield* get('SELECT 1 FROM users WHERE id = ?', [id])) === undefined)
    throw new RevokdError('ERR_NOT_FOUND', 'no such user');
}

/** The user-scope revocation and every live API token of the user, in the unit `u`. */
function* revokeUserHoldings(
  u: Unit,
  id: string,
  revocation: UserHoldingsRevocation,
): Proc<UserHoldingsReport> {
  const report = yield* revoke(u, { scope: 'user', userId: id }, revocation.context);
  const revokedTokens = yield* apiTokens.revokeApiTokens(u, {
    selection: { kind: 'all_of_user', userId: id },
    context: revocation.context,
    revokedBy: revocation.revokedBy,
    notify: revocation.notify,
  });
  return { revocation: report, apiTokens: revokedTokens };
}

function* disableUser(u: Unit, id: string, nowMs: number, audit: AuditEventInput): Proc<boolean> {
  const target = yield* get<{ role: string }>(
    `SELECT role FROM users WHERE id = ? AND disabled_at IS NULL${u.d.forUpdate}`,
    [id],
  );
  if (target === undefined) return false;
  if (target.role === 'admin') {
    const admins = yield* all<{ id: string }>(
      `SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL ORDER BY id${u.d.forUpdate}`,
    );
    if (!admins.some((a) => a.id !== id))
      throw new RevokdError(
        'ERR_CONFLICT',
        'cannot disable the last active admin; make another user an admin first',
      );
  }
  return yield* setDisabled(u, 'users', id, true, nowMs, audit);
}

function replaceClientSecret(
  u: Unit,
  id: string,
  secretHash: string,
  nowMs: number,
  audit: AuditEventInput,
  previousExpiresAtMs: number | null = null,
): Proc<boolean> {
  const sql = `UPDATE clients SET previous_secret_hash =
      CASE WHEN CAST(? AS BIGINT) IS NULL THEN NULL ELSE secret_hash END,
    previous_secret_expires_at = ?, secret_hash = ? WHERE id = ? AND secret_hash IS NOT NULL`;
  const params = [previousExpiresAtMs, previousExpiresAtMs, secretHash, id];
  return auditedChange(u, sql, params, audit, nowMs);
}

/** Methods that append audit entries or feed records: under the feed lock ('audited'). */
const AUDITED = {
  *createUser(u, user, audit, options = {}) {
    // Inside the audited unit (the feed lock on PostgreSQL, IMMEDIATE on SQLite): serial with
    // another instance's first-admin insert, so the second one sees it here.
    if (options.onlyIfNoActiveAdmin === true && (yield* count(ACTIVE_WITH_ROLE, ['admin'])) > 0) {
      throw new RevokdError('ERR_CONFLICT', 'an active admin exists');
    }
    const sql = `INSERT INTO users (id, email, role, password_hash, created_at, disabled_at,
      must_change_password) VALUES (?, ?, ?, ?, ?, ?, ?)`;
    const mustChange = user.mustChangePassword === true ? 1 : 0;
    const row = [
      user.id,
      user.email,
      user.role,
      user.passwordHash,
      user.createdAtMs,
      user.disabledAtMs,
    ];
    yield* auditedChange(u, sql, [...row, mustChange], audit, user.createdAtMs);
  },
  disableUser,
  *disableUserAndRevoke(u, id, nowMs, audit, revocation) {
    yield* mustBeUser(id);
    const disabled = yield* disableUser(u, id, nowMs, audit);
    return { disabled, ...(yield* revokeUserHoldings(u, id, revocation)) };
  },
  *revokeUserHoldings(u, id, revocation) {
    yield* mustBeUser(id);
    return yield* revokeUserHoldings(u, id, revocation);
  },
  enableUser: (u, id, nowMs, audit) => setDisabled(u, 'users', id, false, nowMs, audit),
  setUserPassword,
  *createClient(u, c, audit) {
    const sql = `INSERT INTO clients (id, name, secret_hash, grants, scopes, created_at, disabled_at)
      VALUES (?, ?, ?, ?, ?, ?, ?)`;
    const row = [c.id, c.name, c.secretHash, JSON.stringify(c.grants), JSON.stringify(c.scopes)];
    yield* auditedChange(u, sql, [...row, c.createdAtMs, c.disabledAtMs], audit, c.createdAtMs);
  },
  setClientDisabled: (u, id, disabled, nowMs, audit) =>
    setDisabled(u, 'clients', id, disabled, nowMs, audit),
  replaceClientSecret,
  *cutOffClient(u, id, remedy, nowMs, audit, context) {
    const changed =
      remedy.kind === 'disable'
        ? yield* setDisabled(u, 'clients', id, true, nowMs, audit)
        : yield* replaceClientSecret(u, id, remedy.secretHash, nowMs, audit);
    if (remedy.kind === 'rotate' && !changed)
      throw new RevokdError('ERR_NOT_FOUND', 'no such client');
    const revocation = yield* revoke(u, { scope: 'client', clientId: id }, context);
    return { changed, revocation };
  },
  *insertSigningKey(u, key, retireActive, audit) {
    if (retireActive) {
      const retire = `UPDATE signing_keys SET status = 'retired', retired_at = ? WHERE status = 'active'`;
      yield* run(retire, [key.createdAtMs]);
    }
    const sql = `INSERT INTO signing_keys (kid, alg, public_jwk, status, created_at, retired_at,
      revoked_at, private_key_sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;
    const jwk = JSON.stringify(key.publicJwk);
    const row = [
      key.kid,
      key.alg,
      jwk,
      key.status,
      key.createdAtMs,
      key.retiredAtMs,
      key.revokedAtMs,
    ];
    yield* auditedChange(u, sql, [...row, key.privateKeySealed], audit, key.createdAtMs);
  },
  createSession,
  appendAudit,
  createApiToken: apiTokens.createApiToken,
  revokeApiTokens: apiTokens.revokeApiTokens,
  createIpBlock: containment.createIpBlock,
  liftIpBlock: containment.liftIpBlock,
  raiseAlert: containment.raiseAlert,
  acknowledgeAlert: containment.acknowledgeAlert,
} satisfies Procedures;

type Installed = keyof typeof AUTOCOMMIT | keyof typeof WRITE | keyof typeof AUDITED;
type AnyProcedure = (u: Unit, ...args: unknown[]) => Proc<unknown>;

// The tables' methods (below, in the static block): their types are the ports'.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface SqlStore extends Pick<RevokdStore, Installed> {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export abstract class SqlStore {
  protected abstract readonly dialect: Dialect;
  protected readonly auditChainKey: Buffer;
  protected readonly storeTimeoutMs: number;

  static {
    const tables = [
      ['autocommit', AUTOCOMMIT],
      ['write', WRITE],
      ['audited', AUDITED],
    ] as const;
    for (const [mode, procedures] of tables) {
      for (const [name, procedure] of Object.entries(procedures) as [string, AnyProcedure][]) {
        const method = function (this: SqlStore, ...args: unknown[]) {
          return this.unit(mode, (u) => procedure(u, ...args));
        };
        Object.defineProperty(method, 'name', { value: name });
        Object.defineProperty(this.prototype, name, {
          value: method,
          writable: true,
          configurable: true,
        });
      }
    }
  }

  constructor(options: SqlStoreOptions) {
    if (options.auditChainKey.length < 32)
      throw new Error('the audit chain key must be at least 32 bytes');
    this.auditChainKey = options.auditChainKey;
    this.storeTimeoutMs = options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS;
  }

  protected abstract unit<T>(mode: UnitMode, work: (u: Unit) => Proc<T>): Promise<T>;

  /** The schema as this store object left it (StoreLifecycle.schema). */
  schema: SchemaState = { version: 0, applied: [] };

  /** Group commit of concurrent revocations (revoke-batch.ts): one transaction, one commit. */
  private readonly revocations = new RevokeBatcher((members) =>
    this.unit('audited', (u) => revokeEach(u, members)),
  );

  /** After a migration run that applied `ran`: the database's version now, and what this object applied. */
  protected async schemaAfter(ran: readonly number[]): Promise<void> {
    const version = await this.unit('autocommit', schemaVersion);
    this.schema = { version, applied: [...this.schema.applied, ...ran] };
  }

  // The hot paths and the feed: written out, so each call allocates only its unit's closure.

  consumeRefresh(input: ConsumeRefreshInput): Promise<ConsumeOutcome> {
    return this.unit('audited', (u) => consumeRefresh(u, input));
  }

  /** Committed with the revocations arriving meanwhile (revoke-batch.ts); answered after it. */
  revoke(target: RevocationTarget, context: RevocationContext): Promise<RevocationReport> {
    return this.revocations.revoke(target, context);
  }

  parseFeedCursor(text: string): FeedCursor | undefined {
    return parseSeqCursor(text);
  }

  /** Seqs are handed out in commit order (SQLite: one writer; PostgreSQL: postgres/feed-lock.ts), so the cursor is the last seq read. */
  readFeed(after: FeedCursor, limit: number): Promise<FeedPage> {
    const afterSeq = seqOfCursor(after);
    return this.unit('autocommit', function* () {
      return seqFeedPage(
        after,
        (yield* all('SELECT * FROM revocations WHERE seq > ? ORDER BY seq LIMIT ?', [
          afterSeq,
          limit,
        ])).map(toFeedRecord),
      );
    });
  }

  /**
   * Records, generations, cursor and feed chain from one snapshot. The cursor is the highest seq
   * handed out as of that snapshot: a later commit took its seqs after every visible one (SQLite's
   * one writer; postgres/feed-lock.ts), so a reader continuing from it misses nothing and repeats
   * nothing. The chain is the head at that cursor: it is advanced in the transaction of each
   * record it covers.
   */
  loadSnapshot(nowMs: number): Promise<FeedSnapshot> {
    const headSql = this.dialect.snapshotHeadSql;
    return this.unit('snapshot', () => loadSnapshot(headSql, nowMs));
  }

  /** loadSnapshot as a replica keeps it: the head, then its entries in pages (sql/snapshot-stream.ts). */
  streamSnapshot(nowMs: number, receiver: SnapshotReceiver): Promise<void> {
    const headSql = this.dialect.snapshotHeadSql;
    return this.unit('snapshot', () => streamSnapshot(headSql, nowMs, receiver));
  }

  readSnapshotHead(nowMs: number): Promise<PagedSnapshotHead> {
    const headSql = this.dialect.snapshotHeadSql;
    return this.unit('snapshot', () => snapshotHead(headSql, nowMs));
  }

  /** Its own read: every record at or before the head's cursor is committed and never changes. */
  readSnapshotPage(head: PagedSnapshotHead, after: FeedCursor): Promise<WireSnapshotPage> {
    return this.unit('autocommit', (u) => snapshotWirePage(u.d, head, after));
  }

  recordApiTokenUse(uses: ReadonlyArray<{ id: string; atMs: number; ip: string }>): Promise<void> {
    if (uses.length === 0) return Promise.resolve();
    return this.unit('write', () => apiTokens.recordApiTokenUse(uses));
  }
}
