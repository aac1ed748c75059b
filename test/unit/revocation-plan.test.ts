/** Core revocation plan: what each scope reaches, writes and audits, decided once for every backend. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  generationEntry,
  keyEntry,
  planRevocation,
  revocationAudit,
  revocationChanged,
  sessionEntry,
} from '../../src/core/revocation/revocation-plan.js';
import { SCOPE_NAMES, SCOPE_RULES } from '../../src/core/revocation/scope-rules.js';

const CTX = {
  initiator: 'admin',
  reason: 'compromised',
  note: 'ticket 7',
  actor: { type: 'admin', id: 'adm-1' },
  ip: '203.0.113.9',
} as const;

test('a token revocation writes one entry living until the token expires, and is a change only when none exists yet', () => {
  const plan = planRevocation({
    scope: 'token',
    issuer: 'https://id.example',
    jti: 'jti-0123456789abcdef',
    expiresAtMs: 5_000,
  });
  assert.deepEqual(plan.entry, {
    scope: 'token',
    target: 'jti-0123456789abcdef',
    issuer: 'https://id.example',
    expiresAtMs: 5_000,
  });
  assert.equal(plan.generation, null);
  assert.deepEqual(plan.sessions, { kind: 'none' });
  assert.equal(plan.changed, 'unless_entry_exists');
  assert.equal(
    revocationChanged(plan.changed, { entryExisted: true, sessionsMarked: 0, keyMarked: false }),
    false,
  );
  assert.equal(
    revocationChanged(plan.changed, { entryExisted: false, sessionsMarked: 0, keyMarked: false }),
    true,
  );
  assert.notEqual(
    plan.auditTargetId,
    'jti-0123456789abcdef',
    'the audit names a truncated jti, not the whole id',
  );
});

test('a token revocation by bare jti keeps a null issuer (it covers the jti whatever the issuer URL)', () => {
  assert.equal(
    planRevocation({ scope: 'token', issuer: null, jti: 'j', expiresAtMs: 1 }).entry?.issuer,
    null,
  );
});

test('a session revocation reaches that one session, writes its entry per marked session, and an already revoked session is no change', () => {
  const plan = planRevocation({ scope: 'session', sessionId: 's-1' });
  assert.deepEqual(plan.sessions, { kind: 'one', sessionId: 's-1' });
  assert.equal(plan.entry, null);
  assert.equal(plan.entryPerSession, true);
  assert.equal(
    revocationChanged(plan.changed, { entryExisted: false, sessionsMarked: 0, keyMarked: false }),
    false,
  );
  assert.equal(
    revocationChanged(plan.changed, { entryExisted: false, sessionsMarked: 1, keyMarked: false }),
    true,
  );
});

test('a session entry outlives the session by accessCover (the last access token minted in it)', () => {
  assert.deepEqual(sessionEntry('s-1', 10_000, 905_000), {
    scope: 'session',
    target: 's-1',
    expiresAtMs: 915_000,
  });
});

test('user, client and global revocations bump a generation, mark the sessions they reach without per-session entries, and always change', () => {
  const cases = [
    [
      planRevocation({ scope: 'user', userId: 'u-1' }),
      { scope: 'user', target: 'u-1' },
      { kind: 'of_user', userId: 'u-1' },
      'u-1',
    ],
    [
      planRevocation({ scope: 'client', clientId: 'c-1' }),
      { scope: 'client', target: 'c-1' },
      { kind: 'of_client', clientId: 'c-1' },
      'c-1',
    ],
    [planRevocation({ scope: 'global' }), { scope: 'global', target: '*' }, { kind: 'all' }, '*'],
  ] as const;
  for (const [plan, generation, sessions, auditTargetId] of cases) {
    assert.deepEqual(plan.generation, generation);
    assert.deepEqual(plan.sessions, sessions);
    assert.equal(
      plan.entryPerSession,
      false,
      'the generation entry already covers every token of those sessions',
    );
    assert.equal(plan.entry, null);
    assert.equal(plan.auditTargetId, auditTargetId);
    assert.equal(
      revocationChanged(plan.changed, { entryExisted: false, sessionsMarked: 0, keyMarked: false }),
      true,
    );
  }
});

test('a generation entry carries the new generation and never expires', () => {
  assert.deepEqual(generationEntry({ scope: 'user', target: 'u-1' }, 3), {
    scope: 'user',
    target: 'u-1',
    generation: 3,
    expiresAtMs: null,
  });
});

test('a key revocation marks the key, its entry never expires, and a key already revoked is no change', () => {
  const plan = planRevocation({ scope: 'key', kid: 'k-1' });
  assert.equal(plan.key, 'k-1');
  assert.deepEqual(keyEntry('k-1'), { scope: 'key', target: 'k-1', expiresAtMs: null });
  assert.equal(
    revocationChanged(plan.changed, { entryExisted: false, sessionsMarked: 0, keyMarked: false }),
    false,
  );
  assert.equal(
    revocationChanged(plan.changed, { entryExisted: false, sessionsMarked: 0, keyMarked: true }),
    true,
  );
});

test('an IP revocation reaches sessions in the range with an entry each, is audited under the canonical range, and changes even with no session', () => {
  const plan = planRevocation({ scope: 'ip', cidr: '::ffff:203.0.113.7' });
  assert.deepEqual(plan.sessions, { kind: 'in_range', cidr: '::ffff:203.0.113.7' });
  assert.equal(plan.entryPerSession, true);
  assert.equal(plan.auditTargetId, '203.0.113.7/32');
  assert.equal(
    planRevocation({ scope: 'ip', cidr: '2001:0DB8:0000::/32' }).auditTargetId,
    '2001:db8::/32',
  );
  assert.equal(
    revocationChanged(plan.changed, { entryExisted: false, sessionsMarked: 0, keyMarked: false }),
    true,
  );
  assert.throws(() => planRevocation({ scope: 'ip', cidr: 'not-an-ip' }), TypeError);
});

test('a window revocation writes one entry with its bounds and the lifetime app/revoke set (none when not given)', () => {
  assert.deepEqual(
    planRevocation({ scope: 'window', fromSec: 10, toSec: 20, expiresAtMs: 99_000 }).entry,
    { scope: 'window', target: '*', windowFrom: 10, windowTo: 20, expiresAtMs: 99_000 },
  );
  assert.equal(
    planRevocation({ scope: 'window', fromSec: 10, toSec: 20 }).entry?.expiresAtMs,
    null,
  );
  assert.equal(planRevocation({ scope: 'window', fromSec: 10, toSec: 20 }).auditTargetId, '10-20');
});

test('each scope has its own audit type, and the audit entry carries the context and the counts', () => {
  assert.equal(
    new Set(SCOPE_NAMES.map((scope) => SCOPE_RULES[scope].auditType)).size,
    SCOPE_NAMES.length,
  );
  const plan = planRevocation({ scope: 'user', userId: 'u-1' });
  assert.deepEqual(revocationAudit(plan, CTX, { sessions: 2, refreshTokens: 3, generation: 4 }), {
    type: 'user.tokens_revoked',
    actorType: 'admin',
    actorId: 'adm-1',
    initiator: 'admin',
    reason: 'compromised',
    targetType: 'user',
    targetId: 'u-1',
    ip: '203.0.113.9',
    details: { sessions: 2, refreshTokens: 3, generation: 4, note: 'ticket 7' },
  });
  const bare = revocationAudit(
    planRevocation({ scope: 'global' }),
    { initiator: 'system', reason: 'policy', actor: { type: 'system', id: null } },
    { sessions: 0, refreshTokens: 0, generation: 1 },
  );
  assert.equal(bare.ip, null);
  assert.equal(bare.details.note, null);
});
