/**
 * A snapshot's part 0 may announce `token_entries` (docs/stream-protocol.md, "snapshot"): the
 * consumer sizes its jti table from it once — but the count is unproven until the final part, so a
 * forged one must not make the verifier allocate more than PRESIZED_TOKEN_ENTRIES_MAX's worth.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  PRESIZED_TOKEN_ENTRIES_MAX,
  StreamConsumer,
} from '../../packages/verifier/src/stream-consumer.js';
import type { SnapshotHead } from '../../src/core/revocation/snapshot-stream.js';
import type { ReplicaSink, SnapshotBuilder } from '../../src/replica/revocation-replica.js';

/** A consumer connected with protocol 2, and what each snapshot it builds began with. */
function connectedConsumer(): { consumer: StreamConsumer; begun: SnapshotHead[] } {
  const { sink, begun } = recordingSink();
  const consumer = new StreamConsumer({
    sink,
    issuer: 'https://issuer',
    resolveKey: () => undefined,
  });
  consumer.connected(2);
  return { consumer, begun };
}

/** A sink that records what each snapshot began with (nothing else is looked at here). */
function recordingSink(): { sink: ReplicaSink; begun: SnapshotHead[] } {
  const begun: SnapshotHead[] = [];
  const builder: SnapshotBuilder = {
    begin: (head) => begun.push(head),
    tokens: () => undefined,
    entries: () => undefined,
    records: () => undefined,
    install: () => '',
  };
  const sink: ReplicaSink = {
    loadSnapshot: () => undefined,
    snapshotBuilder: () => builder,
    applyCommitted: () => undefined,
    markCurrent: () => undefined,
    markStale: () => undefined,
    halt: () => undefined,
  };
  return { sink, begun };
}

const part0 = (extra: Record<string, unknown>) => ({
  event: 'snapshot',
  id: undefined,
  data: JSON.stringify({
    part: 0,
    final: false,
    protocol: 2,
    generations: { global: 0, users: [], clients: [] },
    ...extra,
    revocations: [],
  }),
});

test('the announced count sizes the table, up to the bound; no count, no presizing', async () => {
  for (const [announced, expected] of [
    [undefined, 0],
    [1_000_000, 1_000_000],
    [PRESIZED_TOKEN_ENTRIES_MAX, PRESIZED_TOKEN_ENTRIES_MAX],
    [Number.MAX_SAFE_INTEGER, PRESIZED_TOKEN_ENTRIES_MAX],
  ] as const) {
    const { consumer, begun } = connectedConsumer();
    await consumer.receive(part0(announced === undefined ? {} : { token_entries: announced }));
    assert.equal(begun.length, 1);
    assert.equal(begun[0]!.tokenEntries, expected, `announced ${announced}`);
  }
});

test('a malformed count is a protocol error, and nothing is begun', async () => {
  const { consumer, begun } = connectedConsumer();
  await assert.rejects(consumer.receive(part0({ token_entries: -5 })), /token_entries/);
  assert.equal(begun.length, 0);
});
