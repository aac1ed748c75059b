/**
 * Metrics without a server: per-instance registries (several in one process), events to counters,
 * stop() unsubscribing, propagation timing, the metrics-token comparison and its configuration.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventBus } from '../../src/core/events.js';
import { ConfigError, loadConfig } from '../../src/core/config.js';
import { metricsTokenMatches } from '../../src/http/http-metrics.js';
import { Metrics, type RecordSource } from '../../src/metrics/metrics.js';
import { type Exposition, parsePrometheusText, sampleValue } from '../support/prometheus-text.js';

async function read(metrics: Metrics): Promise<Exposition> {
  const { contentType, body } = await metrics.render();
  assert.match(contentType, /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(body);
}

test('two instances in one process keep separate counts', async () => {
  const a = new Metrics();
  const b = new Metrics();
  const eventsA = new EventBus();
  a.attach(eventsA, { replicaStalenessMs: () => 250 });
  b.attach(new EventBus(), { replicaStalenessMs: () => 0 });
  eventsA.emit('revoked', { scope: 'session', reason: 'logout', initiator: 'user', count: 1 });
  const labels = { scope: 'session', reason: 'logout', initiator: 'user' };
  assert.equal(sampleValue(await read(a), 'revokd_revocations_total', labels), 1);
  assert.equal(sampleValue(await read(b), 'revokd_revocations_total', labels), undefined);
  assert.equal(sampleValue(await read(a), 'revokd_replica_staleness_seconds'), 0.25);
  a.stop();
  b.stop();
});

test('every event the bus carries moves its counter; stop() unsubscribes', async () => {
  const metrics = new Metrics();
  const events = new EventBus();
  metrics.attach(events, { replicaStalenessMs: () => 0 });
  const emitAll = (): void => {
    events.emit('check', { kind: 'refresh_token', outcome: 'invalid' });
    events.emit('revoked', { scope: 'user', reason: 'compromised', initiator: 'admin', count: 3 });
    events.emit('alert_raised', { severity: 'HIGH', type: 'credential_stuffing' });
    events.emit('revoked_token_used', {
      kind: 'api_token',
      subject: 'u',
      tokenId: 't',
      ip: null,
      audit: {
        type: 'api_token.used_after_revoke',
        actorType: 'anonymous',
        actorId: null,
        targetType: 'api_token',
        targetId: 't',
        ip: null,
        details: {},
      },
    });
    events.emit('login_failed', { email: 'a@example.com', userId: null, ip: '127.0.0.1' });
    events.emit('refresh_reused', { userId: 'u', sessionId: 's', ip: '127.0.0.1' });
    events.emit('token_issued', { subject: 'c', kind: 'client_credentials', ip: null });
    events.emit('deception_hit', {
      kind: 'canary',
      ip: '127.0.0.1',
      detail: 'x',
      via: { kind: 'direct' },
    });
  };
  emitAll();
  const expect = async (n: number): Promise<void> => {
    const e = await read(metrics);
    assert.equal(
      sampleValue(e, 'revokd_token_checks_total', { kind: 'refresh_token', outcome: 'invalid' }),
      n,
    );
    assert.equal(
      sampleValue(e, 'revokd_revocations_total', {
        scope: 'user',
        reason: 'compromised',
        initiator: 'admin',
      }),
      n,
    );
    assert.equal(sampleValue(e, 'revokd_alerts_total', { severity: 'HIGH' }), n);
    assert.equal(sampleValue(e, 'revokd_alerts_total', { severity: 'CRITICAL' }), 0);
    assert.equal(sampleValue(e, 'revokd_revoked_token_replays_total', { kind: 'api_token' }), n);
    assert.equal(sampleValue(e, 'revokd_login_failures_total'), n);
    assert.equal(sampleValue(e, 'revokd_refresh_reuse_total'), n);
    assert.equal(sampleValue(e, 'revokd_tokens_issued_total', { kind: 'client_credentials' }), n);
    assert.equal(sampleValue(e, 'revokd_deception_hits_total', { kind: 'canary' }), n);
  };
  await expect(1);
  metrics.stop();
  emitAll();
  await expect(1);
});

test('attach twice does not count twice', async () => {
  const metrics = new Metrics();
  const events = new EventBus();
  metrics.attach(events, { replicaStalenessMs: () => 0 });
  metrics.attach(events, { replicaStalenessMs: () => 0 });
  events.emit('login_failed', { email: 'a@example.com', userId: null, ip: '127.0.0.1' });
  assert.equal(sampleValue(await read(metrics), 'revokd_login_failures_total'), 1);
  metrics.stop();
});

test('propagation: each record the view applies is observed from its createdAt, until stop()', async () => {
  let listener: ((record: { createdAtMs: number }) => void) | undefined;
  let unsubscribed = 0;
  const source: RecordSource = {
    onRecord(l) {
      listener = l;
      return () => {
        unsubscribed++;
        listener = undefined;
      };
    },
  };
  const metrics = new Metrics();
  metrics.watchReplica(source, () => 10_000);
  metrics.watchReplica(source, () => 10_000); // idempotent
  listener?.({ createdAtMs: 9_970 }); // 30 ms
  listener?.({ createdAtMs: 12_000 }); // from a clock ahead of ours: clamped to 0
  const e = await read(metrics);
  assert.equal(sampleValue(e, 'revokd_revocation_propagation_seconds_count'), 2);
  assert.equal(sampleValue(e, 'revokd_revocation_propagation_seconds_bucket', { le: '0.05' }), 2);
  assert.equal(sampleValue(e, 'revokd_revocation_propagation_seconds_bucket', { le: '0.025' }), 1);
  metrics.stop();
  assert.equal(unsubscribed, 1);
  assert.equal(listener, undefined);
});

test('the exposition includes the process collectors, event-loop delay among them', async () => {
  const e = await read(new Metrics());
  assert.equal(e.families.get('revokd_nodejs_eventloop_lag_seconds')?.type, 'gauge');
  assert.equal(e.families.get('revokd_process_resident_memory_bytes')?.type, 'gauge');
});

test('metricsTokenMatches wants exactly "Bearer <token>"', () => {
  const token = 'metrics-token-0123456789';
  assert.equal(metricsTokenMatches(`Bearer ${token}`, token), true);
  assert.equal(metricsTokenMatches(`bearer ${token}`, token), true);
  for (const header of [
    undefined,
    '',
    token,
    `Bearer ${token}x`,
    `Bearer ${token.slice(1)}`,
    `Basic ${token}`,
    `Bearer  `,
    `Bearer ${token} extra`,
  ]) {
    assert.equal(metricsTokenMatches(header, token), false, String(header));
  }
});

test('REVOKD_METRICS_TOKEN: optional, at least 16 printable characters, never echoed in the error', () => {
  assert.equal(loadConfig({}, '/tmp').metricsToken, undefined);
  assert.equal(
    loadConfig({ REVOKD_METRICS_TOKEN: 'a-long-enough-token-1' }, '/tmp').metricsToken,
    'a-long-enough-token-1',
  );
  for (const bad of ['short-token', 'has a space inside it', 'tab\tinside-the-token-x']) {
    assert.throws(
      () => loadConfig({ REVOKD_METRICS_TOKEN: bad }, '/tmp'),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.ok(err.problems.some((p) => p.startsWith('REVOKD_METRICS_TOKEN')));
        assert.ok(!err.message.includes(bad), 'the value is not echoed');
        return true;
      },
    );
  }
});
