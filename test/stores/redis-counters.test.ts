/**
 * The counters on Redis and in memory: the same window cases as the stores (conformance), keys
 * under the configured prefix with an expiry, the memory bound, and the degrading counters against
 * a redis-server of this file's own — hung (SIGSTOP) and crashed (SIGKILL): calls keep answering
 * from memory without waiting, the state is reported (status, metrics, one log line each way), and
 * the counters are back on Redis, shared again, when it answers.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { type OpenedCounters, openCounters } from '../../src/app/counters/open-counters.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { MemoryCounters } from '../../src/stores/memory/memory-counters.js';
import { openRedisClient } from '../../src/stores/redis/redis-client.js';
import { RedisCounters } from '../../src/stores/redis/redis-counters.js';
import type { CountersPort } from '../../src/stores/ports/counters.js';
import { describeCounterWindows } from './conformance/counters.js';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.js';
import {
  RedisServer,
  SHARED_REDIS_URL,
  deletePrefix,
  redisReachable,
  testClient,
  testPrefix,
} from '../support/redis-server.js';
import { until } from '../support/until.js';

const PREFIX = testPrefix('redis-counters');
const HOUR_MS = 3_600_000;
const NOW = 1_800_000_000_000;
const sharedReachable = await redisReachable(SHARED_REDIS_URL);
const needsRedis = sharedReachable
  ? false
  : `Redis is not reachable at ${SHARED_REDIS_URL} (set REVOKD_TEST_REDIS_URL)`;

after(() => deletePrefix(SHARED_REDIS_URL, PREFIX));

/** Opened Redis counters with the client they own (closing the counters disconnects it). */
const clients = new WeakMap<CountersPort, ReturnType<typeof openRedisClient>>();
async function openRedisCounters(prefix = PREFIX): Promise<RedisCounters> {
  const client = openRedisClient(SHARED_REDIS_URL);
  client.on('error', () => {});
  await until('redis connected', () => (client.status === 'ready' ? true : undefined), 5_000);
  const counters = new RedisCounters(client, prefix);
  clients.set(counters, client);
  return counters;
}
const closeRedisCounters = async (counters: CountersPort): Promise<void> => {
  clients.get(counters)?.disconnect();
};

if (sharedReachable) describeCounterWindows('redis', () => openRedisCounters(), closeRedisCounters);
describeCounterWindows('memory', async () => new MemoryCounters());

describe('redis counters: keys', { skip: needsRedis }, () => {
  test('every key lives under the prefix, as a hash that expires once its window is over', async () => {
    const prefix = testPrefix('redis-counters-keys');
    const counters = await openRedisCounters(prefix);
    const other = await openRedisCounters(testPrefix('redis-counters-other'));
    const redis = testClient(SHARED_REDIS_URL);
    try {
      await counters.incrementCounter('login_fail:ip:203.0.113.9', 60_000, Date.now());
      await counters.incrementCounter('login_fail:ip:203.0.113.9', 60_000, Date.now());
      await redis.connect();
      const keys = await redis.keys(`${prefix}*`);
      assert.deepEqual(keys, [`${prefix}counter:login_fail:ip:203.0.113.9`]);
      const ttl = await redis.pttl(keys[0] as string);
      assert.ok(ttl > 0 && ttl <= 65_000, `expires within the window plus slack, got ${ttl} ms`);
      assert.equal(
        (await other.readCounter('login_fail:ip:203.0.113.9', 60_000, Date.now())).count,
        0,
        'another prefix shares nothing',
      );
      // Two clients on one prefix (two instances) share the count.
      const peer = await openRedisCounters(prefix);
      assert.equal(await peer.incrementCounter('login_fail:ip:203.0.113.9', 60_000, Date.now()), 3);
      await closeRedisCounters(peer);
    } finally {
      redis.disconnect();
      await closeRedisCounters(counters);
      await closeRedisCounters(other);
      await deletePrefix(SHARED_REDIS_URL, prefix);
    }
  });
});

test('memory counters: bounded; past the bound the least recently counted key goes first', async () => {
  const counters = new MemoryCounters(3);
  for (const key of ['a', 'b', 'c']) await counters.incrementCounter(key, HOUR_MS, NOW);
  await counters.incrementCounter('a', HOUR_MS, NOW + 1);
  await counters.incrementCounter('d', HOUR_MS, NOW + 2);
  assert.equal(counters.size, 3);
  assert.equal(
    (await counters.readCounter('b', HOUR_MS, NOW + 3)).count,
    0,
    'b, counted longest ago, was dropped',
  );
  assert.equal(
    (await counters.readCounter('a', HOUR_MS, NOW + 3)).count,
    2,
    'a was counted again, so kept',
  );
  for (let i = 0; i < 1000; i++) await counters.incrementCounter(`flood:${i}`, HOUR_MS, NOW);
  assert.equal(counters.size, 3, 'a flood of keys costs no more memory');
});

/** A logger whose lines the test reads. */
function capturingLogger(): {
  log: pino.Logger;
  lines: Array<{ level: number; msg: string; reason?: string }>;
} {
  const lines: Array<{ level: number; msg: string; reason?: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

describe('degrading counters against a redis-server of our own', () => {
  let redis: RedisServer;
  let opened: OpenedCounters;
  let metrics: Metrics;
  let captured: ReturnType<typeof capturingLogger>;
  const prefix = testPrefix('degrading');

  const metric = async (name: string): Promise<number | undefined> =>
    sampleValue(parsePrometheusText((await metrics.render()).body), name);
  /** The call's answer and how long it took (the contract bound is 1 s per request). */
  async function timed<T>(call: () => Promise<T>): Promise<{ value: T; ms: number }> {
    const started = performance.now();
    const value = await call();
    return { value, ms: performance.now() - started };
  }

  before(async () => {
    redis = await RedisServer.start();
    metrics = new Metrics();
    captured = capturingLogger();
    opened = await openCounters(
      { redisUrl: redis.url, redisPrefix: prefix },
      new MemoryCounters(),
      captured.log,
      metrics,
    );
  });
  after(async () => {
    await opened?.close();
    await redis?.stop();
  });

  test('healthy: counts in Redis (a second instance sees them), not degraded — not even at start', async () => {
    assert.deepEqual(
      captured.lines.map((l) => l.msg),
      [],
      'opening the counters logged nothing',
    );
    const key = 'shared-key';
    assert.equal(await opened.counters.incrementCounter(key, HOUR_MS, Date.now()), 1);
    const peerMetrics = new Metrics();
    const peer = await openCounters(
      { redisUrl: redis.url, redisPrefix: prefix },
      new MemoryCounters(),
      pino({ level: 'silent' }),
      peerMetrics,
    );
    try {
      await until(
        'peer on redis',
        async () =>
          (await peer.counters.readCounter(key, HOUR_MS, Date.now())).count === 1
            ? true
            : undefined,
        5_000,
      );
      assert.equal(
        await peer.counters.incrementCounter(key, HOUR_MS, Date.now()),
        2,
        'the peer counts on from the shared count',
      );
    } finally {
      await peer.close();
    }
    assert.deepEqual(opened.counters.status(), { backend: 'redis', degraded: false });
    assert.equal(await metric('revokd_counters_degraded'), 0);
  });

  test('hung Redis (SIGSTOP): one call pays one command timeout, the rest answer from memory at once; back on Redis after SIGCONT', async () => {
    const key = 'hung-key';
    assert.equal(await opened.counters.incrementCounter(key, HOUR_MS, Date.now()), 1);
    const fallbacks0 = (await metric('revokd_counters_fallback_total')) ?? 0;
    const linesBefore = captured.lines.length;
    redis.pause();
    try {
      const first = await timed(() => opened.counters.incrementCounter(key, HOUR_MS, Date.now()));
      assert.ok(
        first.ms < 1000,
        `the call that found Redis hung answered within the 1 s bound (${Math.round(first.ms)} ms)`,
      );
      assert.equal(first.value, 1, 'counted in memory (which had not seen the key)');
      const status = opened.counters.status();
      assert.equal(status.backend, 'redis');
      assert.equal(status.degraded, true);
      assert.match(status.reason ?? '', /^redis: /);
      for (let i = 0; i < 20; i++) {
        const call = await timed(() => opened.counters.readCounter(key, HOUR_MS, Date.now()));
        assert.ok(
          call.ms < 1000,
          `no waiting while the circuit is open (${Math.round(call.ms)} ms)`,
        );
      }
      assert.equal(
        (await opened.counters.readCounter(key, HOUR_MS, Date.now())).count,
        1,
        'reads come from memory too',
      );
      assert.equal(await metric('revokd_counters_degraded'), 1);
      assert.ok(
        ((await metric('revokd_counters_fallback_total')) ?? 0) >= fallbacks0 + 22,
        'every fallback operation is counted',
      );
    } finally {
      redis.resume();
    }
    await until(
      'back on redis',
      () => (opened.counters.status().degraded ? undefined : true),
      10_000,
    );
    assert.equal(await metric('revokd_counters_degraded'), 0);
    // The Redis count is what counts again (the increment that timed out may or may not have landed).
    assert.ok((await opened.counters.readCounter(key, HOUR_MS, Date.now())).count >= 1);
    const warnings = captured.lines
      .slice(linesBefore)
      .filter((l) => l.level === 40 && /Redis \(counters\) is unreachable or slow/.test(l.msg));
    const recoveries = captured.lines
      .slice(linesBefore)
      .filter((l) => /Redis \(counters\) answers again/.test(l.msg));
    assert.equal(warnings.length, 1, 'one line when degradation starts, not one per call');
    assert.equal(recoveries.length, 1, 'one line when it ends');
  });

  test('crashed Redis (SIGKILL) and restarted empty on the same port: degraded without waiting, then shared again without a restart', async () => {
    await redis.kill();
    await until('degraded', () => (opened.counters.status().degraded ? true : undefined), 5_000);
    for (let i = 0; i < 5; i++) {
      const call = await timed(() =>
        opened.counters.incrementCounter('crash-key', HOUR_MS, Date.now()),
      );
      assert.ok(call.ms < 1000, `answered while Redis is gone (${Math.round(call.ms)} ms)`);
      assert.equal(call.value, i + 1, 'counted in memory');
    }
    await redis.spawn();
    await until(
      'back on redis',
      () => (opened.counters.status().degraded ? undefined : true),
      10_000,
    );
    assert.equal(
      await opened.counters.incrementCounter('crash-key', HOUR_MS, Date.now()),
      1,
      'counting in the (new, empty) Redis again',
    );
    const client = testClient(redis.url);
    try {
      await client.connect();
      assert.equal(
        await client.hget(`${prefix}counter:crash-key`, 'c'),
        '1',
        'the count is in Redis',
      );
    } finally {
      client.disconnect();
    }
    assert.equal(await metric('revokd_counters_degraded'), 0);
  });
});
