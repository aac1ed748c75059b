/**
 * The streaming audit verifier: the chain state carries across pages, so tampering at a page
 * boundary is found exactly where it is, and verifyChain (one pass over an array) agrees with it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { auditEntries, verifyAuditLog } from '../../src/app/security/audit-verify.js';
import { type AuditEntry, GENESIS_HASH, chainHash, verifyChain } from '../../src/core/audit/audit-event.js';
import type { AuditQuery } from '../../src/stores/types.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';

function chain(n: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const body = {
      seq, atMs: 1_700_000_000_000 + seq, type: 'user.logged_in' as const, actorType: 'user' as const, actorId: `u${seq % 3}`,
      initiator: null, reason: null, targetType: 'session', targetId: `s${seq}`, ip: '192.0.2.1', details: { n: seq },
    };
    const hash = chainHash(prevHash, body, TEST_AUDIT_KEY);
    out.push({ ...body, prevHash, hash });
    prevHash = hash;
  }
  return out;
}

/** A store over an array, answering listAudit as SQL would (seq > afterSeq, in order, limited). */
function storeOver(rows: AuditEntry[]) {
  let calls = 0;
  return {
    get calls() { return calls; },
    async listAudit(q: AuditQuery): Promise<AuditEntry[]> {
      calls++;
      return rows.filter((r) => r.seq > (q.afterSeq ?? 0) && (q.type === undefined || r.type === q.type))
        .sort((a, b) => a.seq - b.seq).slice(0, q.limit);
    },
  };
}

describe('streaming audit verification', () => {
  test('an intact chain verifies page by page, reading every entry once', async () => {
    const rows = chain(25);
    const store = storeOver(rows);
    const progress: number[] = [];
    const v = await verifyAuditLog(store, TEST_AUDIT_KEY, { pageSize: 4, onProgress: (n) => progress.push(n) });
    assert.deepEqual(v.result, { ok: true, entries: 25 });
    assert.deepEqual(v.head, { seq: 25, hash: rows[24]!.hash });
    assert.equal(store.calls, 7, 'ceil(25 / 4) pages, the last one short');
    assert.equal(progress.at(-1), 25);
    const seqs: number[] = [];
    for await (const e of auditEntries(store, { pageSize: 4, afterSeq: 20 })) seqs.push(e.seq);
    assert.deepEqual(seqs, [21, 22, 23, 24, 25]);
  });

  test('an empty log is intact', async () => {
    assert.deepEqual((await verifyAuditLog(storeOver([]), TEST_AUDIT_KEY)).result, { ok: true, entries: 0 });
  });

  for (const pageSize of [1, 4, 5, 1000]) {
    test(`tampering is reported at the tampered row whatever the page size (${pageSize})`, async () => {
      // Rows 4/5 straddle a boundary with pageSize 4; row 5 starts a page with pageSize 4 and ends one with 5.
      for (const at of [1, 4, 5, 6, 25]) {
        const edited = chain(25).map((r) => (r.seq === at ? { ...r, details: { n: -1 } } : r));
        const e = (await verifyAuditLog(storeOver(edited), TEST_AUDIT_KEY, { pageSize })).result;
        assert.deepEqual(e, verifyChain(edited, TEST_AUDIT_KEY));
        assert.equal(e.ok ? 0 : e.firstBadSeq, at, `edit at ${at}`);

        if (at < 25) {
          const deleted = chain(25).filter((r) => r.seq !== at);
          const d = (await verifyAuditLog(storeOver(deleted), TEST_AUDIT_KEY, { pageSize })).result;
          assert.equal(d.ok ? 0 : d.firstBadSeq, at + 1, `delete at ${at}: reported at the row after the gap`);
          assert.deepEqual(d, verifyChain(deleted, TEST_AUDIT_KEY));
        }

        const rows = chain(25);
        const other = at === 25 ? 24 : at + 1;
        const [a, b] = [rows[at - 1]!, rows[other - 1]!];
        rows[at - 1] = { ...b, seq: a.seq };
        rows[other - 1] = { ...a, seq: b.seq };
        const s = (await verifyAuditLog(storeOver(rows), TEST_AUDIT_KEY, { pageSize })).result;
        assert.equal(s.ok ? 0 : s.firstBadSeq, Math.min(at, other), `swap of ${at} and ${other}: reported at the first`);
      }
    });
  }

  test('a verifier stops at the first bad entry and counts up to it', () => {
    const rows = chain(10).map((r) => (r.seq === 3 ? { ...r, ip: '198.51.100.1' } : r));
    assert.deepEqual(verifyChain(rows, TEST_AUDIT_KEY), { ok: false, entries: 3, firstBadSeq: 3, problem: 'content does not match its hash (edited)' });
  });
});
