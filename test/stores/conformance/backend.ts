/**
 * What a backend hands the conformance suites, and how each suite gets its store from it.
 */
import { after, before } from 'node:test';
import type { RevokdStore } from '../../../src/stores/types.js';
import { storeFixtures } from './fixtures.js';

export interface StoreBackend {
  /** Shown in the suite names ("store conformance: sqlite"). */
  readonly name: string;
  /** A migrated store, ready for writes. Called once per suite (records, revocation log, …). */
  open(): Promise<RevokdStore>;
  /** Releases what `open` took (a file handle, a pool). */
  close(store: RevokdStore): Promise<void>;
  /**
   * Empties the store between suites, for a backend whose `open` reaches a shared database (a
   * networked one) rather than a fresh file. Called after `open`, before the suite's first case.
   * Afterwards the store must behave as one just migrated: no users, clients, keys, sessions,
   * refresh or API tokens, feed records, audit entries (the chain starts anew), counters, rate
   * windows, outbox messages, IP blocks or alerts, every generation back at zero, and the feed
   * chain back at genesis. Sequence
   * numbers need not restart: no case assumes a seq value, only their order.
   * Omit it when `open` already gives an empty store (SQLite opens a new file each time).
   */
  reset?(store: RevokdStore): Promise<void>;
  /**
   * A second store on the database `store` uses, opened as another revokd instance would (its own
   * connection or pool). The concurrency suite writes through both at once. Closed with `close`.
   */
  openPeer?(store: RevokdStore): Promise<RevokdStore>;
}

/**
 * Registers the suite's before/after hooks on the enclosing describe: its own store, emptied by
 * the reset hook when the backend has one, handed to `onOpen` before the first case, closed at the
 * end. Returns the record-making fixtures bound to that store.
 */
export function useStore(
  backend: StoreBackend,
  onOpen: (store: RevokdStore) => void,
): ReturnType<typeof storeFixtures> {
  let store: RevokdStore | undefined;
  before(async () => {
    store = await backend.open();
    await backend.reset?.(store);
    onOpen(store);
  });
  after(async () => {
    if (store !== undefined) await backend.close(store);
  });
  return storeFixtures(() => {
    if (store === undefined) throw new Error(`the ${backend.name} store is not open yet`);
    return store;
  });
}
