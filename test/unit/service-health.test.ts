/**
 * The one health probe behind /readyz, revocation-status and /metrics (app/service-health.ts),
 * over a real SQLite store and a real replica on a test clock: which state each fault gives and
 * which reasons it names.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/core/config.js';
import { probeServiceHealth } from '../../src/app/service-health.js';
import { RevocationReplica } from '../../src/replica/revocation-replica.js';
import { PollDriver } from '../../src/replica/drivers/poll-driver.js';
import { createSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';
import { tempDir } from '../support/server-process.js';

async function setup(failMode: 'closed' | 'open') {
  const dir = tempDir('health');
  const config = loadConfig({ REVOKD_DATA_DIR: dir, REVOKD_FAIL_MODE: failMode });
  const store = await createSqliteStore(path.join(dir, 'revokd.db'), {
    auditChainKey: TEST_AUDIT_KEY,
  });
  const clock = { now: 1_000_000 };
  const replica = new RevocationReplica({
    driver: new PollDriver({ source: store, pollMs: 60_000, now: () => clock.now }),
    maxStalenessMs: 1_000,
    failOpenMaxMs: 10_000,
    pruneIntervalMs: 60_000,
    failMode,
    now: () => clock.now,
  });
  await replica.start();
  return { config, store, replica, clock };
}

test('all reachable and current: ready, no reasons', async () => {
  const { config, store, replica } = await setup('closed');
  const health = await probeServiceHealth({ config, stores: { lifecycle: store }, replica });
  assert.equal(health.state, 'ready');
  assert.deepEqual(health.reasons, []);
  await replica.stop();
  await store.close();
});

test('store unreachable while the view is current: degraded (checks still decided), then unavailable once stale (closed)', async () => {
  const { config, store, replica, clock } = await setup('closed');
  await store.close();
  const first = await probeServiceHealth({ config, stores: { lifecycle: store }, replica });
  assert.equal(first.state, 'degraded');
  assert.deepEqual(
    first.reasons.map((r) => r.reason),
    ['store_unreachable'],
  );
  assert.equal(first.store, 'unreachable');
  clock.now += 1_001;
  const later = await probeServiceHealth({ config, stores: { lifecycle: store }, replica });
  assert.equal(later.state, 'unavailable');
  assert.deepEqual(
    later.reasons.map((r) => r.reason),
    ['store_unreachable', 'replica_stale'],
  );
  await replica.stop();
});

test('fail open: a stale view is degraded (tokens accepted, metered) until the fail-open bound, then unavailable', async () => {
  const { config, store, replica, clock } = await setup('open');
  await store.close();
  clock.now += 1_001;
  const open = await probeServiceHealth({ config, stores: { lifecycle: store }, replica });
  assert.equal(open.state, 'degraded');
  assert.match(
    open.reasons.find((r) => r.reason === 'replica_stale')?.detail ?? '',
    /accepted without a current check/,
  );
  clock.now += 10_000;
  assert.equal(
    (await probeServiceHealth({ config, stores: { lifecycle: store }, replica })).state,
    'unavailable',
  );
  await replica.stop();
});

test('counters that fell back to per-instance ones make an instance degraded, not unavailable', async () => {
  const { config, store, replica } = await setup('closed');
  const counters = {
    status: () => ({ backend: 'redis', degraded: true, reason: 'connection refused' }),
  };
  const health = await probeServiceHealth({
    config,
    stores: { lifecycle: store },
    replica,
    counters,
  });
  assert.equal(health.state, 'degraded');
  assert.match(health.reasons[0]?.detail ?? '', /redis.*connection refused.*per instance/);
  await replica.stop();
  await store.close();
});
