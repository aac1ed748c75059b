/**
 * Introspection from memory (issue 21): the API-token records and client records an introspection
 * reads, kept in process and current by the same commit-ordered feed that carries revocations, so
 * a repeated introspection makes no store round trip.
 *
 * Why the feed position decides, not the moment of the read: every fact cached here changes only
 * in a commit that also appends a feed record naming it —
 *   - an API token's revocation: its `api_token` record (same commit as `is_active = false`);
 *   - its owner's disable: the user-scope record of the disable's own commit
 *     (`disableUserAndRevoke`), which also revokes the owner's API tokens;
 *   - a client's disable or secret rotation without grace: the client-scope record of the same
 *     commit (`cutOffClient`). A rotation with a grace period revokes nothing until the grace
 *     ends, so a client entry is also trusted for at most {@link CLIENT_ENTRY_MAX_AGE_MS} (the
 *     shortest grace, 1 s: an entry read before such a rotation cannot outlive the replaced
 *     secret's grace).
 * Each such record, applied by the replica (local commit or feed), drops the entries it names. A
 * read that raced a record (started before, answered after) is not remembered (`mark`/epoch), and
 * a new snapshot (the replica's state replaced whole) makes every entry a miss. Expiry is checked
 * by the caller against the clock; re-enabling a user or client adds nothing (only enabled owners
 * and clients are cached, and what a disable revoked stays revoked in the store and the replica).
 *
 * Bounds: only positive answers are cached (an unknown hash, a canary, a revoked token, a disabled
 * owner or client are always read from the store), first in first out, at most
 * {@link API_TOKEN_ENTRIES} tokens and {@link CLIENT_ENTRIES} clients. Entries are trusted only
 * while the replica is current (not stale): past that the caller reads the store, as before.
 */
import type { RevocationRecord } from '../core/revocation/types.js';
import type { RevocationState } from '../core/revocation/revocation-state.js';
import type { RevocationReplica } from '../replica/revocation-replica.js';
import type { ApiTokenRecord, ClientRecord } from '../stores/types.js';

/** ~10 000 API tokens of a few hundred bytes each: a few MiB at most. */
export const API_TOKEN_ENTRIES = 10_000;
export const CLIENT_ENTRIES = 1_000;
/** The shortest secret grace a rotation can give (client-lifecycle.ts: whole seconds, ≥ 1). */
export const CLIENT_ENTRY_MAX_AGE_MS = 1_000;

/** Where the view stood when a store read began: remember() refuses what a record overtook. */
export interface ViewMark {
  readonly epoch: number;
  readonly state: RevocationState;
}

interface ClientEntry {
  readonly client: ClientRecord;
  readonly readAtMs: number;
}

export class IntrospectionView {
  /** API tokens by hash (the key the presented token is looked up by), with an index by owner. */
  private readonly tokens = new Map<string, ApiTokenRecord>();
  private readonly hashesByOwner = new Map<string, Set<string>>();
  private readonly clients = new Map<string, ClientEntry>();
  /** Counts the records that drop entries: a read spanning one must not be remembered. */
  private epoch = 0;
  /** The replica's state the entries were read against; another one (a snapshot) empties the view. */
  private state: RevocationState;

  constructor(
    private readonly replica: RevocationReplica,
    private readonly now: () => number,
  ) {
    this.state = replica.state;
    replica.onRecord((record) => this.applied(record));
  }

  mark(): ViewMark {
    return { epoch: this.epoch, state: this.replica.state };
  }

  /** The cached API token with this hash, when the view may answer for it. */
  apiToken(tokenHash: string): ApiTokenRecord | undefined {
    return this.trusted() ? this.tokens.get(tokenHash) : undefined;
  }

  /** Caches a token found active with an enabled owner (the caller checked both). */
  rememberApiToken(mark: ViewMark, token: ApiTokenRecord): void {
    if (!this.unchangedSince(mark) || token.isCanary || !token.isActive) return;
    const evicted = remember(this.tokens, token.tokenHash, token, API_TOKEN_ENTRIES);
    if (evicted !== undefined) this.unindex(evicted);
    let hashes = this.hashesByOwner.get(token.userId);
    if (hashes === undefined) this.hashesByOwner.set(token.userId, (hashes = new Set()));
    hashes.add(token.tokenHash);
  }

  /**
   * Drops revoked tokens at once, in the process that revoked them: an API-token revocation's
   * records reach this replica through the feed (the store does not return them), and this
   * instance must not answer active in between.
   */
  forgetApiTokens(tokens: ReadonlyArray<Pick<ApiTokenRecord, 'tokenHash'>>): void {
    this.epoch += 1;
    for (const { tokenHash } of tokens) {
      const token = this.tokens.get(tokenHash);
      if (token !== undefined) this.unindex(token);
    }
  }

  /** The cached client, when the view may answer for it. */
  client(id: string): ClientRecord | undefined {
    if (!this.trusted()) return undefined;
    const entry = this.clients.get(id);
    if (entry === undefined) return undefined;
    if (this.now() - entry.readAtMs >= CLIENT_ENTRY_MAX_AGE_MS) {
      this.clients.delete(id);
      return undefined;
    }
    return entry.client;
  }

  /** Caches an enabled client as read from the store at `readAtMs`. */
  rememberClient(mark: ViewMark, client: ClientRecord, readAtMs: number): void {
    if (!this.unchangedSince(mark) || client.disabledAtMs !== null) return;
    remember(this.clients, client.id, { client, readAtMs }, CLIENT_ENTRIES);
  }

  /** Entries held now (metrics, tests). */
  get size(): { readonly apiTokens: number; readonly clients: number } {
    return { apiTokens: this.tokens.size, clients: this.clients.size };
  }

  private trusted(): boolean {
    if (this.replica.state !== this.state) this.reset();
    return !this.replica.isStale();
  }

  private unchangedSince(mark: ViewMark): boolean {
    return mark.epoch === this.epoch && mark.state === this.replica.state && this.trusted();
  }

  private unindex(token: ApiTokenRecord): void {
    this.tokens.delete(token.tokenHash);
    const hashes = this.hashesByOwner.get(token.userId);
    hashes?.delete(token.tokenHash);
    if (hashes?.size === 0) this.hashesByOwner.delete(token.userId);
  }

  private reset(): void {
    this.tokens.clear();
    this.hashesByOwner.clear();
    this.clients.clear();
    this.state = this.replica.state;
    this.epoch += 1;
  }

  private applied(record: RevocationRecord): void {
    switch (record.scope) {
      case 'api_token':
        // The entry stays: every hit asks the replica's state whether its id is revoked. The
        // epoch still moves, so a read that started before this record is not remembered.
        this.epoch += 1;
        return;
      case 'user':
        this.epoch += 1;
        for (const hash of [...(this.hashesByOwner.get(record.target) ?? [])]) {
          const token = this.tokens.get(hash);
          if (token !== undefined) this.unindex(token);
        }
        return;
      case 'client':
        this.epoch += 1;
        this.clients.delete(record.target);
        return;
      default:
        return; // covers access and refresh tokens only
    }
  }
}

/** First in, first out: the oldest entry leaves when the map is full; returns it. */
function remember<V>(map: Map<string, V>, key: string, value: V, capacity: number): V | undefined {
  map.delete(key);
  let evicted: V | undefined;
  if (map.size >= capacity) {
    const oldest = map.entries().next();
    if (oldest.done !== true) {
      map.delete(oldest.value[0]);
      evicted = oldest.value[1];
    }
  }
  map.set(key, value);
  return evicted;
}
