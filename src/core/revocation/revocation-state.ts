/**
 * The in-memory revocation state: pure data and decisions, no I/O. The replica fills it from the
 * store's change feed; the check is a handful of map lookups, so it runs on every request.
 *
 * Counters, not clocks, for the "everything before now" scopes (global, user, client): a token
 * carries the generations current when it was issued, and a revocation bumps the generation. This
 * is correct within the same second (a login after revoke-all reads the bumped counter) and needs
 * no clock agreement between instances. The single scopes (token, session, key) are sets whose
 * entries leave once no token they cover can still be alive.
 */
import { JtiTable } from './jti-table.js';
import type {
  CheckOutcome,
  EntryScope,
  RevocationRecord,
  RevocationScope,
  TokenStamp,
} from './types.js';
import { unhandled } from '../exhaustive.js';

const NOT_REVOKED: CheckOutcome = Object.freeze({ revoked: false });
/** One frozen outcome per scope: check() allocates nothing, revoked or not (issue 21). */
const revokedBy = (scope: Exclude<RevocationScope, 'api_token'>): CheckOutcome =>
  Object.freeze({ revoked: true, scope });
const REVOKED = {
  key: revokedBy('key'),
  token: revokedBy('token'),
  session: revokedBy('session'),
  global: revokedBy('global'),
  client: revokedBy('client'),
  user: revokedBy('user'),
  window: revokedBy('window'),
} as const;

export interface RevocationStateSize {
  readonly tokens: number;
  readonly sessions: number;
  readonly users: number;
  readonly clients: number;
  readonly keys: number;
  readonly windows: number;
  readonly apiTokens: number;
}

export class RevocationState {
  private globalGeneration = 0;
  private readonly userGenerations = new Map<string, number>();
  private readonly clientGenerations = new Map<string, number>();
  /**
   * jti → expiry. A feed is one issuer's (one revokd, one `iss`), and jtis are 128-bit random,
   * so the verified jti alone identifies the token; the record keeps the issuer for consumers that
   * merge feeds. Never the token string: signatures are malleable. A compact table (20 bytes a
   * slot, expiries rounded up to the second) because this is the set that reaches millions.
   */
  private readonly revokedTokens: JtiTable;
  /** sid → expiry (ms). */
  private readonly revokedSessions = new Map<string, number>();
  private readonly revokedKeys = new Set<string>();
  /** API token id → expiry (ms). Their system of record is the store; this feeds push consumers. */
  private readonly revokedApiTokens = new Map<string, number>();
  private windows: Array<{ from: number; to: number; expiresAtMs: number | null }> = [];

  /** `expectedTokens`: the token entries about to be applied (a snapshot's count), to size the table once. */
  constructor(expectedTokens = 0) {
    this.revokedTokens = new JtiTable(expectedTokens);
  }

  /** Applies one feed record. Idempotent and order-tolerant: counters only move up. */
  apply(record: RevocationRecord): void {
    switch (record.scope) {
      case 'user':
        raise(this.userGenerations, record.target, record.generation ?? 0);
        break;
      case 'client':
        raise(this.clientGenerations, record.target, record.generation ?? 0);
        break;
      case 'global':
        this.globalGeneration = Math.max(this.globalGeneration, record.generation ?? 0);
        break;
      default:
        this.applyEntry(
          record.scope,
          record.target,
          record.windowFrom,
          record.windowTo,
          record.expiresAtMs,
        );
    }
  }

  /**
   * Applies an entry scope's record from the fields it keeps — a feed record's, or a snapshot
   * entry's columns as the store read them (snapshot-stream.ts SnapshotEntry), with no record built.
   */
  applyEntry(
    scope: EntryScope,
    target: string,
    windowFrom: number | null,
    windowTo: number | null,
    expiresAtMs: number | null,
  ): void {
    switch (scope) {
      case 'token':
        this.revokedTokens.set(target, expiresAtMs ?? Number.MAX_SAFE_INTEGER);
        break;
      case 'session':
        this.revokedSessions.set(target, expiresAtMs ?? Number.MAX_SAFE_INTEGER);
        break;
      case 'key':
        this.revokedKeys.add(target);
        break;
      case 'api_token':
        this.revokedApiTokens.set(target, expiresAtMs ?? Number.MAX_SAFE_INTEGER);
        break;
      case 'window':
        if (windowFrom !== null && windowTo !== null) {
          this.windows.push({ from: windowFrom, to: windowTo, expiresAtMs });
        }
        break;
      default:
        unhandled(scope, 'revocation scope');
    }
  }

  /** Loads counters that the store keeps outside the feed (a snapshot at start). */
  setGenerations(
    global: number,
    users: Iterable<readonly [string, number]>,
    clients: Iterable<readonly [string, number]>,
  ): void {
    this.globalGeneration = Math.max(this.globalGeneration, global);
    for (const [id, gen] of users) raise(this.userGenerations, id, gen);
    for (const [id, gen] of clients) raise(this.clientGenerations, id, gen);
  }

  /**
   * Is the token covered by any revocation? A token is valid only if it passes every scope
   * (SPEC §3 "composition"): each scope is an independent reason to reject, so no scope can mask
   * another. Entries that have outlived their tokens still answer correctly until pruned.
   */
  check(stamp: TokenStamp): CheckOutcome {
    if (stamp.kid !== undefined && this.revokedKeys.has(stamp.kid)) return REVOKED.key;
    if (this.revokedTokens.has(stamp.jti)) return REVOKED.token;
    if (this.revokedSessions.has(stamp.sid)) return REVOKED.session;
    if (stamp.gen < this.globalGeneration) return REVOKED.global;
    const clientGen = this.clientGenerations.get(stamp.clientId);
    if (clientGen !== undefined && stamp.cgen < clientGen) return REVOKED.client;
    const userGen = this.userGenerations.get(stamp.sub);
    if (userGen !== undefined && stamp.ugen < userGen) return REVOKED.user;
    for (let i = 0; i < this.windows.length; i++) {
      const w = this.windows[i]!;
      if (stamp.iat >= w.from && stamp.iat < w.to) return REVOKED.window;
    }
    return NOT_REVOKED;
  }

  isApiTokenRevoked(id: string): boolean {
    return this.revokedApiTokens.has(id);
  }

  isKeyRevoked(kid: string): boolean {
    return this.revokedKeys.has(kid);
  }

  generations(sub: string, clientId: string): { gen: number; ugen: number; cgen: number } {
    return {
      gen: this.globalGeneration,
      ugen: this.userGenerations.get(sub) ?? 0,
      cgen: this.clientGenerations.get(clientId) ?? 0,
    };
  }

  /** Drops entries that can no longer cover a live token. Returns how many were dropped. */
  prune(nowMs: number): number {
    let dropped = this.revokedTokens.prune(nowMs);
    for (const map of [this.revokedSessions, this.revokedApiTokens]) {
      for (const [key, expiresAt] of map) {
        if (expiresAt < nowMs) {
          map.delete(key);
          dropped++;
        }
      }
    }
    const before = this.windows.length;
    this.windows = this.windows.filter((w) => w.expiresAtMs === null || w.expiresAtMs >= nowMs);
    return dropped + before - this.windows.length;
  }

  size(): RevocationStateSize {
    return {
      tokens: this.revokedTokens.size,
      sessions: this.revokedSessions.size,
      users: this.userGenerations.size,
      clients: this.clientGenerations.size,
      keys: this.revokedKeys.size,
      windows: this.windows.length,
      apiTokens: this.revokedApiTokens.size,
    };
  }
}

function raise(map: Map<string, number>, key: string, value: number): void {
  const current = map.get(key);
  if (current === undefined || value > current) map.set(key, value);
}
