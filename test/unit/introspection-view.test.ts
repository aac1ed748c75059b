/**
 * The introspection view's own rules (app/introspection-view.ts), on a real replica fed by an
 * in-memory feed: entries are bounded, only positive answers enter, a record dropping an entry
 * also refuses a read that started before it, a stale replica or a new snapshot makes every entry
 * a miss, and a client entry is trusted for at most the shortest secret grace.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RevocationRecord } from '../../src/core/revocation/types.js';
import { RevocationReplica } from '../../src/replica/revocation-replica.js';
import { PollDriver } from '../../src/replica/drivers/poll-driver.js';
import { MemoryFeed } from '../support/memory-feed.js';
import { GENESIS_CHAIN } from '../../src/core/revocation/feed-chain.js';
import {
  API_TOKEN_ENTRIES,
  CLIENT_ENTRY_MAX_AGE_MS,
  IntrospectionView,
} from '../../src/app/introspection-view.js';
import type { ApiTokenRecord, ClientRecord } from '../../src/stores/types.js';
import { revocationRecord } from '../support/revocation-record.js';

const record = (scope: RevocationRecord['scope'], target: string, seq: number) =>
  revocationRecord({
    seq,
    scope,
    target,
    generation: scope === 'user' || scope === 'client' ? seq : null,
  });

const token = (n: number, over: Partial<ApiTokenRecord> = {}): ApiTokenRecord => ({
  id: `id-${n}`,
  userId: `user-${n % 7}`,
  name: 't',
  tokenHash: `hash-${n}`,
  tokenPrefix: 'rvk_abcd',
  scopes: [],
  createdAtMs: 0,
  expiresAtMs: null,
  lastUsedAtMs: null,
  lastUsedIp: null,
  isActive: true,
  revokedAtMs: null,
  revokedBy: null,
  revokedByType: null,
  revokeReason: null,
  isCanary: false,
  ...over,
});
const client = (id: string, over: Partial<ClientRecord> = {}): ClientRecord => ({
  id,
  name: id,
  secretHash: 'h',
  grants: [],
  scopes: [],
  createdAtMs: 0,
  disabledAtMs: null,
  ...over,
});

async function setUp() {
  const feed = new MemoryFeed();
  const clock = { now: 1_000_000 };
  const now = () => clock.now;
  const driver = new PollDriver({ source: feed, pollMs: 60_000, now });
  const replica = new RevocationReplica({
    driver,
    maxStalenessMs: 1000,
    pruneIntervalMs: 60_000,
    failMode: 'closed',
    now,
  });
  const view = new IntrospectionView(replica, now);
  await replica.start();
  const sync = () => driver.sync();
  const commit = async (r: RevocationRecord) => {
    feed.records.push(r);
    await sync();
  };
  return { feed, clock, replica, view, sync, commit };
}

test('only active, non-canary tokens enter, and at most API_TOKEN_ENTRIES of them (oldest out)', async () => {
  const { view } = await setUp();
  view.rememberApiToken(view.mark(), token(1, { isCanary: true }));
  view.rememberApiToken(view.mark(), token(2, { isActive: false }));
  assert.equal(view.size.apiTokens, 0, 'a canary or a revoked token is never cached');
  for (let n = 0; n < API_TOKEN_ENTRIES + 50; n++) view.rememberApiToken(view.mark(), token(n));
  assert.equal(view.size.apiTokens, API_TOKEN_ENTRIES);
  assert.equal(view.apiToken('hash-0'), undefined, 'the oldest left');
  assert.equal(view.apiToken(`hash-${API_TOKEN_ENTRIES + 49}`)?.id, `id-${API_TOKEN_ENTRIES + 49}`);
});

test("a user record drops that owner's tokens, and a read that started before it is not remembered", async () => {
  const { view, commit } = await setUp();
  view.rememberApiToken(view.mark(), token(1)); // user-1
  view.rememberApiToken(view.mark(), token(2)); // user-2
  const before = view.mark();
  await commit(record('user', 'user-1', 1));
  assert.equal(view.apiToken('hash-1'), undefined, "the disabled owner's token is a miss");
  assert.equal(view.apiToken('hash-2')?.id, 'id-2', "another owner's token stays");
  view.rememberApiToken(before, token(8)); // user-1, read before the record
  assert.equal(view.apiToken('hash-8'), undefined, 'a read the record overtook is not cached');
  const afterRead = view.mark();
  await commit(record('api_token', 'id-99', 2));
  view.rememberApiToken(afterRead, token(15));
  assert.equal(view.apiToken('hash-15'), undefined, 'an api_token record refuses it too');
});

test('forgetApiTokens drops at once (the revoking instance); a client record drops its client', async () => {
  const { view, commit } = await setUp();
  view.rememberApiToken(view.mark(), token(3));
  view.forgetApiTokens([{ tokenHash: 'hash-3' }]);
  assert.equal(view.apiToken('hash-3'), undefined);
  view.rememberClient(view.mark(), client('c1'), 1_000_000);
  view.rememberClient(view.mark(), client('c2', { disabledAtMs: 5 }), 1_000_000);
  assert.equal(view.client('c2'), undefined, 'a disabled client is never cached');
  assert.equal(view.client('c1')?.id, 'c1');
  await commit(record('client', 'c1', 1));
  assert.equal(view.client('c1'), undefined);
});

test('a client entry is trusted for less than the shortest grace; a stale replica trusts nothing', async () => {
  const { view, clock, feed, sync } = await setUp();
  view.rememberClient(view.mark(), client('c1'), clock.now);
  view.rememberApiToken(view.mark(), token(4));
  clock.now += CLIENT_ENTRY_MAX_AGE_MS - 1;
  await sync();
  assert.equal(view.client('c1')?.id, 'c1');
  clock.now += 1;
  assert.equal(view.client('c1'), undefined, 'read a grace ago: read again');
  feed.failing = true;
  clock.now += 5_000;
  await sync().catch(() => undefined);
  assert.equal(view.apiToken('hash-4'), undefined, 'past the staleness bound the store decides');
});

test('a new snapshot (the state replaced whole) empties the view', async () => {
  const { view, replica } = await setUp();
  view.rememberApiToken(view.mark(), token(5));
  const mark = view.mark();
  const builder = (
    replica as unknown as {
      sink: { snapshotBuilder(): { begin(h: unknown): void; install(): void } };
    }
  ).sink.snapshotBuilder();
  builder.begin({
    globalGeneration: 0,
    userGenerations: [],
    clientGenerations: [],
    cursor: '0',
    chain: GENESIS_CHAIN,
    tokenEntries: 0,
  });
  builder.install();
  assert.equal(view.apiToken('hash-5'), undefined);
  view.rememberApiToken(mark, token(6));
  assert.equal(view.apiToken('hash-6'), undefined, 'a read against the old state is not cached');
});
