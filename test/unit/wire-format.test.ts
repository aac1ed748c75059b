/** The push stream's wire format (core/revocation/wire-format.ts): every scope round-trips, junk is refused. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  fromWire,
  snapshotPartFromWire,
  toWire,
  UnknownScopeError,
  WireFormatError,
} from '../../src/core/revocation/wire-format.js';
import { REASON_CODES, type RevocationRecord } from '../../src/core/revocation/types.js';

const base: RevocationRecord = {
  seq: 7,
  scope: 'token',
  target: 'jti-000000001',
  issuer: 'https://issuer.test',
  generation: null,
  windowFrom: null,
  windowTo: null,
  expiresAtMs: 1_800_000_000_000,
  initiator: 'admin',
  reason: 'compromised',
  note: null,
  createdAtMs: 1_799_999_999_000,
};
const records: RevocationRecord[] = [
  base,
  { ...base, scope: 'session', target: 'sid-1', issuer: null },
  { ...base, scope: 'user', target: 'user-1', issuer: null, generation: 3, expiresAtMs: null },
  { ...base, scope: 'client', target: 'client-1', issuer: null, generation: 2, expiresAtMs: null },
  { ...base, scope: 'key', target: 'kid-1', issuer: null, expiresAtMs: null },
  { ...base, scope: 'window', target: '*', issuer: null, windowFrom: 100, windowTo: 200 },
  { ...base, scope: 'global', target: '*', issuer: null, generation: 9, expiresAtMs: null },
  { ...base, scope: 'api_token', target: 'tok-1', issuer: null, expiresAtMs: null },
];

test('every scope names its target as the claims do, and reads back as the same record', () => {
  const names = records.map((r) =>
    Object.keys(toWire(r)).filter(
      (k) =>
        !['seq', 'initiator', 'reason', 'created_at', 'scope', 'expires_at', 'generation'].includes(
          k,
        ),
    ),
  );
  assert.deepEqual(names, [
    ['jti', 'iss'],
    ['sid'],
    ['sub'],
    ['client_id'],
    ['kid'],
    ['iat_from', 'iat_to'],
    [],
    ['api_token_id'],
  ]);
  for (const record of records)
    assert.deepEqual(fromWire(JSON.parse(JSON.stringify(toWire(record)))), record, record.scope);
});

test('an operator note is not sent to resource servers', () => {
  assert.equal('note' in toWire({ ...base, note: 'ticket 1234: laptop stolen' }), false);
});

test('junk is refused with a WireFormatError, never half-read', () => {
  const good = toWire(base) as unknown as Record<string, unknown>;
  for (const bad of [
    null,
    [],
    'x',
    { ...good, scope: 5 },
    { ...good, scope: 'a b' },
    { ...good, jti: 5 },
    { ...good, seq: -1 },
    { ...good, reason: 'Whim!' },
    { ...good, expires_at: 1.5 },
    { ...toWire(records[5]!), iat_to: 50 },
    { ...good, jti: 'a b' },
  ]) {
    assert.throws(() => fromWire(bad), WireFormatError, JSON.stringify(bad));
  }
});

test('protocol 2: a newer reason is accepted as sent; a newer scope is an UnknownScopeError naming it, not a format error', () => {
  const good = toWire(base) as unknown as Record<string, unknown>;
  assert.equal(fromWire({ ...good, reason: 'quantum_leak' }).reason, 'quantum_leak');
  const err = (() => {
    try {
      fromWire({ ...good, scope: 'device' });
    } catch (e) {
      return e;
    }
  })();
  assert.ok(err instanceof UnknownScopeError && !(err instanceof WireFormatError), String(err));
  assert.match((err as Error).message, /scope "device".*stream protocol 2/);
});

test('a snapshot part carries generations in part 0 and validated revocations', () => {
  const part = snapshotPartFromWire({
    part: 0,
    final: true,
    generations: { global: 2, users: [['u', 1]], clients: [] },
    revocations: records.map(toWire),
  });
  assert.deepEqual(part.generations, { global: 2, users: [['u', 1]], clients: [] });
  assert.deepEqual(part.records, records);
  assert.throws(
    () => snapshotPartFromWire({ part: 0, final: 'yes', revocations: [] }),
    WireFormatError,
  );
  assert.throws(
    () =>
      snapshotPartFromWire({
        part: 0,
        final: true,
        generations: { global: 0, users: [['u']], clients: [] },
        revocations: [],
      }),
    WireFormatError,
  );
});

/** A snapshot of `records` with no generations, at cursor 9. */
const snapshotOf = (held: readonly RevocationRecord[]) => ({
  records: held,
  globalGeneration: 0,
  userGenerations: [],
  clientGenerations: [],
  cursor: '9',
  chain: '0'.repeat(64),
});

test("part 0 announces the protocol, the service's clock tolerance and access TTL; older parts without them still decode", async () => {
  const { snapshotFrames } = await import('../../src/app/revocation-stream/snapshot-parts.js');
  const snapshot = snapshotOf(records);
  const frames = [
    ...snapshotFrames(snapshot, {
      atMs: 1,
      sign: () => undefined,
      limits: { clockToleranceSeconds: 5, accessTtlSeconds: 900 },
    }),
  ];
  const data = JSON.parse(/^data: (.*)$/m.exec(frames[0]!)![1]!) as Record<string, unknown>;
  assert.equal(data.protocol, 2);
  assert.equal(data.clock_tolerance_seconds, 5);
  assert.equal(data.access_ttl_seconds, 900);
  assert.deepEqual(snapshotPartFromWire(data).limits, {
    clockToleranceSeconds: 5,
    accessTtlSeconds: 900,
  });
  // What a service from before the announcement sent: the same fields without the new ones.
  const { clock_tolerance_seconds: _t, access_ttl_seconds: _a, protocol: _p, ...older } = data;
  assert.deepEqual(
    { ...snapshotPartFromWire(data), limits: undefined, protocol: undefined },
    snapshotPartFromWire(older),
  );
  assert.equal(snapshotPartFromWire(older).limits, undefined);
  assert.throws(
    () => snapshotPartFromWire({ ...data, access_ttl_seconds: undefined }),
    WireFormatError,
  );
  assert.throws(
    () => snapshotPartFromWire({ ...data, clock_tolerance_seconds: -1 }),
    WireFormatError,
  );
});

test('part 0 may announce token_entries, a sizing hint read when part 0 is made; without it, none', async () => {
  const { snapshotFrames } = await import('../../src/app/revocation-stream/snapshot-parts.js');
  const snapshot = snapshotOf(records);
  let count = 41;
  const part0 = (tokenEntries?: () => number) =>
    JSON.parse(
      /^data: (.*)$/m.exec(
        [...snapshotFrames(snapshot, { atMs: 1, sign: () => undefined, tokenEntries })][0]!,
      )![1]!,
    ) as Record<string, unknown>;
  count = 42;
  const announced = part0(() => count);
  assert.equal(announced.token_entries, 42, 'the count when part 0 is made');
  assert.equal(snapshotPartFromWire(announced).tokenEntries, 42);
  const silent = part0();
  assert.equal('token_entries' in silent, false);
  assert.equal(snapshotPartFromWire(silent).tokenEntries, undefined);
  for (const bad of [-1, 1.5, '42', null])
    assert.throws(
      () => snapshotPartFromWire({ ...announced, token_entries: bad }),
      WireFormatError,
    );
});

test('every reason code goes on the wire as one that @revokd/verifier 0.1.x accepts (it refuses any other)', () => {
  // Copied from the published verifier, not imported: a new reason must not widen this list.
  const published = [
    'logout',
    'logout_all',
    'password_change',
    'password_reset',
    'admin',
    'compromised',
    'refresh_reuse',
    'ip_block',
    'key_revoked',
    'user_disabled',
    'client_disabled',
    'user_request',
    'policy',
    'unused',
    'expired_policy',
  ];
  for (const reason of REASON_CODES) {
    const sent = toWire({ ...records[7]!, reason }).reason;
    assert.ok(published.includes(sent), `${reason} is sent as ${sent}`);
    if (published.includes(reason))
      assert.equal(sent, reason, 'a reason old verifiers know is sent as itself');
  }
  assert.equal(toWire({ ...records[7]!, reason: 'revoke_all_api_tokens' }).reason, 'logout_all');
});
