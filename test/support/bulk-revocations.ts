/**
 * Writes many live token revocations straight into a revokd database, in the store's own schema,
 * the way the store itself would have left them: seqs after every seq handed out, the feed head's
 * chain advanced over each record exactly as feed-chain.ts defines it (so a stream proof over the
 * head still matches the feed), and on PostgreSQL the identity sequence and feed_head.seq moved
 * past them. For start-at-scale tests and the bench: a million rows in seconds, not through the API.
 * The server may be running but must not write revocations meanwhile (the feed lock is not taken).
 */
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { chainAfter } from '../../src/core/revocation/feed-chain.js';
import type { RevocationRecord } from '../../src/core/revocation/types.js';

/** Rows per INSERT batch (and jtis drawn per randomBytes call). */
const BATCH = 10_000;
const ISSUER = 'http://bulk.invalid';

export interface BulkOptions {
  readonly count: number;
  /** When the entries stop mattering (ms); default: one hour from now. */
  readonly expiresAtMs?: number;
  /**
   * Advance feed_head's chain over the rows (default true). The bench turns it off at 10 M rows
   * (hashing them costs minutes on a shared machine): its servers are never asked to prove a
   * stream over them, but such a database's head no longer matches its feed.
   */
  readonly chain?: boolean;
}

/** One batch of token revocations after `lastSeq`, as the store reads them back (rows.ts toRevocation). */
function batchOf(
  lastSeq: number,
  size: number,
  expiresAtMs: number,
  createdAtMs: number,
): RevocationRecord[] {
  const bytes = randomBytes(16 * size);
  const records: RevocationRecord[] = [];
  for (let i = 0; i < size; i++) {
    records.push({
      seq: lastSeq + 1 + i,
      scope: 'token',
      target: bytes.subarray(i * 16, i * 16 + 16).toString('base64url'),
      issuer: ISSUER,
      generation: null,
      windowFrom: null,
      windowTo: null,
      expiresAtMs,
      initiator: 'admin',
      reason: 'admin',
      note: null,
      createdAtMs,
    });
  }
  return records;
}

/** Appends `count` token revocations to the SQLite database at `file`. Returns the last seq. */
export function bulkRevokeSqlite(file: string, options: BulkOptions): number {
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 10000');
    const insert =
      db.prepare(`INSERT INTO revocations (seq, scope, target, issuer, expires_at, initiator, reason, created_at)
      VALUES (?, 'token', ?, ?, ?, 'admin', 'admin', ?)`);
    return db
      .transaction(() => {
        const last = db
          .prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'revocations'`)
          .get() as { seq: number } | undefined;
        let seq = last?.seq ?? 0;
        let chain = (
          db.prepare('SELECT chain FROM feed_head WHERE id = 1').get() as { chain: string }
        ).chain;
        const now = Date.now();
        const expires = options.expiresAtMs ?? now + 3_600_000;
        for (let done = 0; done < options.count; done += BATCH) {
          for (const r of batchOf(seq, Math.min(BATCH, options.count - done), expires, now)) {
            insert.run(r.seq, r.target, r.issuer, r.expiresAtMs, r.createdAtMs);
            if (options.chain !== false) chain = chainAfter(chain, r);
            seq = r.seq;
          }
        }
        db.prepare('UPDATE feed_head SET chain = ? WHERE id = 1').run(chain);
        return seq;
      })
      .immediate();
  } finally {
    db.close();
  }
}

/** Appends `count` token revocations to the PostgreSQL database at `url`. Returns the last seq. */
export async function bulkRevokePostgres(url: string, options: BulkOptions): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    const head = await client.query<{ last: string; chain: string }>(`SELECT GREATEST(
        (SELECT COALESCE(MAX(seq), 0) FROM revocations), seq,
        COALESCE(pg_sequence_last_value(pg_get_serial_sequence('revocations', 'seq')::regclass), 0)) AS last, chain
      FROM feed_head WHERE id = 1 FOR UPDATE`);
    let seq = Number(head.rows[0]!.last);
    let chain = head.rows[0]!.chain;
    const now = Date.now();
    const expires = options.expiresAtMs ?? now + 3_600_000;
    for (let done = 0; done < options.count; done += BATCH) {
      const records = batchOf(seq, Math.min(BATCH, options.count - done), expires, now);
      await client.query(
        `INSERT INTO revocations (seq, scope, target, issuer, expires_at, initiator, reason, created_at)
        OVERRIDING SYSTEM VALUE SELECT s, 'token', t, $3, $4, 'admin', 'admin', $5 FROM unnest($1::bigint[], $2::text[]) AS u(s, t)`,
        [records.map((r) => r.seq), records.map((r) => r.target), ISSUER, expires, now],
      );
      if (options.chain !== false) for (const r of records) chain = chainAfter(chain, r);
      seq = records[records.length - 1]!.seq;
    }
    await client.query(`SELECT setval(pg_get_serial_sequence('revocations', 'seq'), $1)`, [seq]);
    await client.query('UPDATE feed_head SET chain = $1, seq = GREATEST(seq, $2) WHERE id = 1', [
      chain,
      seq,
    ]);
    await client.query('COMMIT');
    return seq;
  } finally {
    await client.end();
  }
}
