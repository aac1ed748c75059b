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
import { type AuditEntry, ChainVerifier, LEGACY_UNKEYED, chainHash, GENESIS_HASH } from '../../core/audit/audit-event.js';
import { appendAudit } from '../sql/audit.js';
import { type Query, Unit, runSync } from '../sql/procedure.js';
import { toAudit } from '../sql/rows.js';
import { sqliteDialect } from './dialect.js';
import type { SqliteDatabase } from './open-database.js';

const PAGE = 1000;

export type KeyingOutcome = 'already_keyed' | 'keyed' | 'not_allowed' | 'legacy_chain_broken';

function* allEntries(db: SqliteDatabase): Generator<AuditEntry> {
  const page = db.prepare('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?');
  let after = 0;
  for (;;) {
    const rows = (page.all(after, PAGE) as Record<string, unknown>[]).map(toAudit);
    yield* rows;
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1]!.seq;
  }
}

function verifies(db: SqliteDatabase, verifier: ChainVerifier): { ok: boolean; entries: number; head: string } {
  for (const entry of allEntries(db)) if (!verifier.push(entry)) break;
  return { ok: verifier.ok, entries: verifier.head.seq, head: verifier.head.hash };
}

/** `execute` runs the shared audit writer's statements on `db` (SqliteStore's). */
export function keyLegacyChain(db: SqliteDatabase, allowed: boolean, nowMs: number, key: Buffer, execute: (q: Query) => unknown): KeyingOutcome {
  const done = db.prepare('SELECT 1 FROM audit_chain_keying WHERE id = 1').get() !== undefined;
  if (done) return 'already_keyed';
  return db.transaction((): KeyingOutcome => {
    const record = (legacyEntries: number) => db.prepare('INSERT INTO audit_chain_keying (id, keyed_at, legacy_entries) VALUES (1, ?, ?)').run(nowMs, legacyEntries);
    if (verifies(db, new ChainVerifier(key)).ok) {
      record(0);
      return 'already_keyed';
    }
    if (!allowed) return 'not_allowed';
    const legacy = verifies(db, new ChainVerifier(LEGACY_UNKEYED));
    if (!legacy.ok) return 'legacy_chain_broken';
    const update = db.prepare('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?');
    let prevHash = GENESIS_HASH;
    // Paged: each page is read before its rows are rewritten, and the hash depends only on content.
    for (const entry of allEntries(db)) {
      const hash = chainHash(prevHash, entry, key);
      update.run(prevHash, hash, entry.seq);
      prevHash = hash;
    }
    runSync(appendAudit(new Unit(sqliteDialect, key, true), [{
      type: 'audit.chain_keyed', actorType: 'system', actorId: null, targetType: null, targetId: null, ip: null,
      details: { legacy_entries: legacy.entries, legacy_head_hash: legacy.head },
    }], nowMs), execute);
    record(legacy.entries);
    return 'keyed';
  }).immediate();
}
