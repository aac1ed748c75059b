/**
 * The replay audit coalescer over a real SQLite store: one entry per token per window plus one
 * carrying the count, written when the window ends; and its map stays bounded however many
 * revoked tokens an attacker holds (the oldest window is closed early, its count written).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import type { AuditEventInput } from '../../src/core/audit/audit-event.js';
import { REPLAY_WINDOW_MS, ReplayAuditLog } from '../../src/app/security/replay-audit.js';
import { createSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';
import { tempDir } from '../support/server-process.js';

const T0 = 1_800_000_000_000;
const replay = (token: string, ip = '192.0.2.1'): AuditEventInput => ({
  type: 'token.revoked_token_used',
  actorType: 'anonymous',
  actorId: null,
  targetType: 'token',
  targetId: token,
  ip,
  details: { sub: 'u' },
});

async function open() {
  const store = await createSqliteStore(path.join(tempDir('replay-audit'), 'revokd.db'), {
    auditChainKey: TEST_AUDIT_KEY,
  });
  const rows = async () =>
    (await store.listAudit({ afterSeq: 0, limit: 10_000 })).filter(
      (e) => e.type === 'token.revoked_token_used',
    );
  return { store, rows };
}

test('replays within a window: the first written at once, the rest as one counted entry when the window ends', async () => {
  const { store, rows } = await open();
  const log = new ReplayAuditLog(store, pino({ level: 'silent' }));
  try {
    assert.equal(log.record('t1', replay('t1'), T0), true);
    for (let i = 1; i <= 50; i++)
      assert.equal(log.record('t1', replay('t1', '192.0.2.2'), T0 + i), false);
    await log.stop();
    const written = await rows();
    assert.deepEqual(
      written.map((e) => e.details.replays),
      [1, 50],
    );
    assert.equal(written[1]!.ip, '192.0.2.2', 'the counted entry reports the latest replay');

    // A replay after the window closes the old one and opens the next.
    const next = new ReplayAuditLog(store, pino({ level: 'silent' }));
    next.record('t2', replay('t2'), T0);
    next.record('t2', replay('t2'), T0 + 1);
    assert.equal(next.record('t2', replay('t2'), T0 + REPLAY_WINDOW_MS), true);
    await next.stop();
    assert.deepEqual(
      (await rows()).filter((e) => e.targetId === 't2').map((e) => e.details.replays),
      [1, 1, 1],
    );
  } finally {
    await store.close();
  }
});

test('the map is bounded: many revoked tokens never track more than the limit, and no count is lost', async () => {
  const { store, rows } = await open();
  const log = new ReplayAuditLog(store, pino({ level: 'silent' }), 3);
  try {
    for (let i = 0; i < 20; i++) {
      log.record(`t${i}`, replay(`t${i}`), T0 + i);
      log.record(`t${i}`, replay(`t${i}`), T0 + i);
      assert.ok(log.tracked <= 3, `tracked ${log.tracked}`);
    }
    await log.stop();
    const written = await rows();
    assert.equal(
      written.reduce((n, e) => n + (e.details.replays as number), 0),
      40,
    );
    assert.equal(
      written.length,
      40,
      'two entries per token: the first, and the count written when its window was closed early',
    );
  } finally {
    await store.close();
  }
});
