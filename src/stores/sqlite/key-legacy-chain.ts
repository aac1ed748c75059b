/**
 * Upgrading a data directory whose audit log was chained with plain SHA-256 (before the chain was
 * keyed). Runs when the store opens, once:
 *
 * - the log already verifies under the key (or is empty): only the fact is recorded;
 * - it verifies as a legacy SHA-256 chain: every row is re-chained under the key in one
 *   transaction, and an `audit.chain_keyed` entry (keyed like the rest) records how many legacy
 *   entries there were and the legacy head hash, so the old hashes stay on record;
 * - it verifies neither way: nothing is rewritten — re-keying would launder the break — and every
 *   verification keeps reporting it.
 *
 * `allowed` is decided outside the database (a marker file in the data directory, see
 * app/open-app-context.ts): a DB-only attacker could otherwise delete the marker row, rewrite the
 * log as a "legacy" SHA-256 chain and have the next start key their forgery.
 */
import {
  type AuditEntry,
  ChainVerifier,
  LEGACY_UNKEYED,
  chainHash,
  GENESIS_HASH,
} from '../../core/audit/audit-event.js';
import { appendAudit, listAudit } from '../sql/audit.js';
import { type Proc, type Unit, get, run } from '../sql/procedure.js';

const PAGE = 1000;
/** The entries after seq `after`: paged, so a long log is never read at once. */
const page = (u: Unit, after: number): Proc<AuditEntry[]> =>
  listAudit(u, { afterSeq: after, limit: PAGE });

export type KeyingOutcome = 'already_keyed' | 'keyed' | 'not_allowed' | 'legacy_chain_broken';

/** Whether keying was done (or found needless) before: then there is nothing to do. */
export function* keyingRecorded(): Proc<boolean> {
  return (yield* get('SELECT 1 FROM audit_chain_keying WHERE id = 1')) !== undefined;
}

function* verifies(
  u: Unit,
  verifier: ChainVerifier,
): Proc<{ ok: boolean; entries: number; head: string }> {
  for (let entries = yield* page(u, 0); ; entries = yield* page(u, entries.at(-1)!.seq)) {
    if (!entries.every((entry) => verifier.push(entry)) || entries.length < PAGE) break;
  }
  return { ok: verifier.ok, entries: verifier.head.seq, head: verifier.head.hash };
}

/**
 * In one write transaction (a 'write' unit of SqliteStore), once keyingRecorded() said it is not
 * done. Asked again here, under the write lock: instances opening one fresh file together all saw
 * "not recorded", and each one after the first must find the record the first one wrote.
 */
export function* keyLegacyChain(u: Unit, allowed: boolean, nowMs: number): Proc<KeyingOutcome> {
  if (yield* keyingRecorded()) return 'already_keyed';
  const record = (legacyEntries: number) =>
    run('INSERT INTO audit_chain_keying (id, keyed_at, legacy_entries) VALUES (1, ?, ?)', [
      nowMs,
      legacyEntries,
    ]);
  if ((yield* verifies(u, new ChainVerifier(u.auditChainKey))).ok) {
    yield* record(0);
    return 'already_keyed';
  }
  if (!allowed) return 'not_allowed';
  const legacy = yield* verifies(u, new ChainVerifier(LEGACY_UNKEYED));
  if (!legacy.ok) return 'legacy_chain_broken';
  let prevHash = GENESIS_HASH;
  // Paged: each page is read before its rows are rewritten, and the hash depends only on content.
  for (let entries = yield* page(u, 0); ; entries = yield* page(u, entries.at(-1)!.seq)) {
    for (const entry of entries) {
      const hash = chainHash(prevHash, entry, u.auditChainKey);
      yield* run('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?', [
        prevHash,
        hash,
        entry.seq,
      ]);
      prevHash = hash;
    }
    if (entries.length < PAGE) break;
  }
  yield* appendAudit(
    u,
    [
      {
        type: 'audit.chain_keyed',
        actorType: 'system',
        actorId: null,
        targetType: null,
        targetId: null,
        ip: null,
        details: { legacy_entries: legacy.entries, legacy_head_hash: legacy.head },
      },
    ],
    nowMs,
  );
  yield* record(legacy.entries);
  return 'keyed';
}
