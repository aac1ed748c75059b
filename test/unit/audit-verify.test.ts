/**
 * The streaming audit verifier: the chain state carries across pages, so tampering at a page
 * boundary is found exactly where it is, and verifyChain (one pass over an array) agrees with it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { auditEntries, verifyAuditLog } from '../../src/app/security/audit-verify.js';
import {
  type AuditEntry,
  GENESIS_HASH,
  LEGACY_UNKEYED,
  chainHash,
  verifyChain,
} from '../../src/core/audit/audit-event.js';
import type { AuditQuery } from '../../src/stores/types.js';
import { TEST_AUDIT_KEY, TEST_AUDIT_KEYS } from '../support/audit-key.js';
import { deriveAuditKeys } from '../../src/core/audit/audit-keys.js';

function chain(n: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const body = {
      seq,
      atMs: 1_700_000_000_000 + seq,
      type: 'user.logged_in' as const,
      actorType: 'user' as const,
      actorId: `u${seq % 3}`,
      initiator: null,
      reason: null,
      targetType: 'session',
      targetId: `s${seq}`,
      ip: '192.0.2.1',
      details: { n: seq },
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
    get calls() {
      return calls;
    },
    async listAudit(q: AuditQuery): Promise<AuditEntry[]> {
      calls++;
      return rows
        .filter((r) => r.seq > (q.afterSeq ?? 0) && (q.type === undefined || r.type === q.type))
        .sort((a, b) => a.seq - b.seq)
        .slice(0, q.limit);
    },
  };
}

describe('streaming audit verification', () => {
  test('an intact chain verifies page by page, reading every entry once', async () => {
    const rows = chain(25);
    const store = storeOver(rows);
    const progress: number[] = [];
    const v = await verifyAuditLog(store, TEST_AUDIT_KEY, {
      pageSize: 4,
      onProgress: (n) => progress.push(n),
    });
    assert.deepEqual(v.result, { ok: true, entries: 25 });
    assert.deepEqual(v.head, { seq: 25, hash: rows[24]!.hash });
    assert.equal(store.calls, 7, 'ceil(25 / 4) pages, the last one short');
    assert.equal(progress.at(-1), 25);
    const seqs: number[] = [];
    for await (const e of auditEntries(store, { pageSize: 4, afterSeq: 20 })) seqs.push(e.seq);
    assert.deepEqual(seqs, [21, 22, 23, 24, 25]);
  });

  test('an empty log is intact', async () => {
    assert.deepEqual((await verifyAuditLog(storeOver([]), TEST_AUDIT_KEY)).result, {
      ok: true,
      entries: 0,
    });
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
          assert.equal(
            d.ok ? 0 : d.firstBadSeq,
            at + 1,
            `delete at ${at}: reported at the row after the gap`,
          );
          assert.deepEqual(d, verifyChain(deleted, TEST_AUDIT_KEY));
        }

        const rows = chain(25);
        const other = at === 25 ? 24 : at + 1;
        const [a, b] = [rows[at - 1]!, rows[other - 1]!];
        rows[at - 1] = { ...b, seq: a.seq };
        rows[other - 1] = { ...a, seq: b.seq };
        const s = (await verifyAuditLog(storeOver(rows), TEST_AUDIT_KEY, { pageSize })).result;
        assert.equal(
          s.ok ? 0 : s.firstBadSeq,
          Math.min(at, other),
          `swap of ${at} and ${other}: reported at the first`,
        );
      }
    });
  }

  test('a verifier stops at the first bad entry and counts up to it', () => {
    const rows = chain(10).map((r) => (r.seq === 3 ? { ...r, ip: '198.51.100.1' } : r));
    assert.deepEqual(verifyChain(rows, TEST_AUDIT_KEY), {
      ok: false,
      entries: 3,
      firstBadSeq: 3,
      problem: 'content does not match its hash (edited)',
    });
  });

  test('the chain is keyed: the same entries under another key, or plain SHA-256, do not verify', () => {
    const rows = chain(5);
    assert.deepEqual(verifyChain(rows, TEST_AUDIT_KEY), { ok: true, entries: 5 });
    assert.equal(
      verifyChain(
        rows,
        deriveAuditKeys(Buffer.from('another secret of at least thirty-two bytes')).chain,
      ).ok,
      false,
    );
    assert.equal(verifyChain(rows, LEGACY_UNKEYED).ok, false);
    // One secret, one key per purpose.
    assert.notDeepEqual(TEST_AUDIT_KEYS.chain, TEST_AUDIT_KEYS.checkpoint);
  });

  test('forward from a verified head: only later entries are read; a changed head or a later edit is reported', async () => {
    const rows = chain(30);
    const store = storeOver(rows);
    const head = { seq: 20, hash: rows[19]!.hash };
    const v = await verifyAuditLog(store, TEST_AUDIT_KEY, { from: head, pageSize: 100 });
    assert.deepEqual(v.result, { ok: true, entries: 30 });
    assert.equal(store.calls, 2, 'the head, then one page after it');
    const later = rows.map((r) => (r.seq === 25 ? { ...r, ip: '198.51.100.9' } : r));
    const edited = (await verifyAuditLog(storeOver(later), TEST_AUDIT_KEY, { from: head })).result;
    assert.equal(edited.ok ? 0 : edited.firstBadSeq, 25);
    const atHead = rows.map((r) => (r.seq === 20 ? { ...r, hash: rows[18]!.hash } : r));
    const changed = (await verifyAuditLog(storeOver(atHead), TEST_AUDIT_KEY, { from: head }))
      .result;
    assert.equal(changed.ok ? 0 : changed.firstBadSeq, 20);
  });

  test('an expected head (a checkpoint): missing after a truncation, or another hash at its seq, names seq and hash', async () => {
    const rows = chain(30);
    const expectHead = { seq: 25, hash: rows[24]!.hash };
    assert.deepEqual(
      (await verifyAuditLog(storeOver(rows), TEST_AUDIT_KEY, { expectHead })).result,
      { ok: true, entries: 30 },
    );
    const cut = (await verifyAuditLog(storeOver(rows.slice(0, 22)), TEST_AUDIT_KEY, { expectHead }))
      .result;
    assert.equal(cut.ok, false);
    assert.ok(
      !cut.ok &&
        cut.problem.includes('seq 25') &&
        cut.problem.includes(expectHead.hash) &&
        /ends at seq 22/.test(cut.problem),
      JSON.stringify(cut),
    );
    const other = (
      await verifyAuditLog(storeOver(rows), TEST_AUDIT_KEY, {
        expectHead: { seq: 25, hash: rows[23]!.hash },
      })
    ).result;
    assert.ok(
      !other.ok && other.firstBadSeq === 25 && other.problem.includes(rows[24]!.hash),
      JSON.stringify(other),
    );
  });
});
