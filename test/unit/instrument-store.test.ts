/**
 * instrumentStore: every promise-returning store call is timed (method, ok/fail) and nothing else
 * changes — same results, the very same error objects, `this` and private fields intact,
 * non-function properties passed through.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { instrumentStore } from '../../src/metrics/instrument-store.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { createSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { RevokdStore } from '../../src/stores/types.js';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';

class StoreFailure extends Error {
  readonly detail = 'kept';
}

/** A stand-in store: a class with a private field, methods calling each other through `this`. */
class FakeStore {
  readonly backend = 'sqlite' as const;
  readonly db = { name: 'fake-db' };
  readonly failure = new StoreFailure('boom');
  calls: string[] = [];
  #secret = 41;

  async ping(): Promise<void> {
    this.calls.push('ping');
  }
  async findUserById(id: string): Promise<{ id: string; secret: number } | undefined> {
    this.calls.push('findUserById');
    return id === 'none' ? undefined : { id, secret: this.#secret + 1 };
  }
  async countUsersWithRole(): Promise<number> {
    // An internal call through `this` works and is not counted a second time.
    await this.ping();
    return this.#secret;
  }
  async revoke(): Promise<never> {
    throw this.failure;
  }
  migrate(): Promise<void> {
    throw this.failure; // a synchronous throw from a promise-returning method
  }
  describe(): string {
    return `fake ${this.#secret}`;
  }
}

async function count(metrics: Metrics, method: string, ok: boolean): Promise<number> {
  const exposition = parsePrometheusText((await metrics.render()).body);
  return (
    sampleValue(exposition, 'revokd_store_call_duration_seconds_count', {
      method,
      ok: String(ok),
    }) ?? 0
  );
}

function wrapFake(): { fake: FakeStore; store: FakeStore; metrics: Metrics } {
  const metrics = new Metrics();
  const fake = new FakeStore();
  const store = instrumentStore(fake as unknown as RevokdStore, metrics) as unknown as FakeStore;
  return { fake, store, metrics };
}

test('results pass through unchanged and each call is observed once, with ok="true"', async () => {
  const { fake, store, metrics } = wrapFake();
  assert.deepEqual(await store.findUserById('u1'), { id: 'u1', secret: 42 });
  assert.equal(await store.findUserById('none'), undefined);
  assert.equal(await store.countUsersWithRole(), 41);
  await store.ping();
  assert.equal(await count(metrics, 'findUserById', true), 2);
  assert.equal(await count(metrics, 'countUsersWithRole', true), 1);
  assert.equal(
    await count(metrics, 'ping', true),
    1,
    'the internal this.ping() inside countUsersWithRole is not counted',
  );
  assert.deepEqual(fake.calls, ['findUserById', 'findUserById', 'ping', 'ping']);
  const sum = sampleValue(
    parsePrometheusText((await metrics.render()).body),
    'revokd_store_call_duration_seconds_sum',
    { method: 'findUserById', ok: 'true' },
  );
  assert.ok(sum !== undefined && sum >= 0 && sum < 5, `seconds observed: ${sum}`);
});

test('a rejection propagates as the very same error object, observed with ok="false"', async () => {
  const { fake, store, metrics } = wrapFake();
  await assert.rejects(store.revoke(), (err: unknown) => {
    assert.equal(err, fake.failure, 'the same object, not a copy or a wrapper');
    assert.ok(err instanceof StoreFailure);
    assert.equal(err.detail, 'kept');
    return true;
  });
  assert.equal(await count(metrics, 'revoke', false), 1);
  assert.equal(await count(metrics, 'revoke', true), 0);
});

test('a synchronous throw is rethrown synchronously, unchanged, and observed as a failure', async () => {
  const { fake, store, metrics } = wrapFake();
  assert.throws(
    () => store.migrate(),
    (err: unknown) => err === fake.failure,
  );
  assert.equal(await count(metrics, 'migrate', false), 1);
});

test('non-function properties, plain-value methods, identity and prototype are preserved', async () => {
  const { fake, store, metrics } = wrapFake();
  assert.equal(store.backend, 'sqlite');
  assert.equal(store.db, fake.db, 'the same db object');
  assert.equal(store.describe(), 'fake 41', 'private fields reachable through the wrapper');
  // eslint-disable-next-line @typescript-eslint/unbound-method -- compared, not called
  assert.equal(store.ping, store.ping, 'a method reads as the same function each time');
  assert.ok(store instanceof FakeStore);
  assert.ok('findUserById' in store);
  // A method detached and called on the store object itself still works.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- detaching is what is tested
  const { findUserById } = store;
  assert.deepEqual(await findUserById.call(fake, 'x'), { id: 'x', secret: 42 });
  // Plain values are not store I/O: not timed.
  assert.equal(await count(metrics, 'describe', true), 0);
});

test('the real SQLite store works through the wrapper (private state, backend, close)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'revokd-instrument-'));
  const metrics = new Metrics();
  const store = instrumentStore(
    await createSqliteStore(path.join(dir, 'revokd.db'), { auditChainKey: TEST_AUDIT_KEY }),
    metrics,
  );
  try {
    assert.equal(store.backend, 'sqlite');
    await store.ping();
    assert.equal(await store.findUserByEmail('nobody@example.com'), undefined);
    assert.equal(await store.countUsersWithRole('admin'), 0);
    assert.equal(await count(metrics, 'ping', true), 1);
    assert.equal(await count(metrics, 'findUserByEmail', true), 1);
    assert.equal(await count(metrics, 'countUsersWithRole', true), 1);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(await count(metrics, 'close', true), 1);
});
