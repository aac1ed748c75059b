/**
 * The keyed audit chain against an attacker who can write the database but does not hold the
 * service secret: real servers, the real SQLite file edited through SQL, the real CLI.
 *
 * - an entry edited and the rest re-chained with plain SHA-256 (what fooled the unkeyed chain)
 *   fails `revokd audit verify` and `/audit/verify`;
 * - the newest rows deleted (invisible to the chain alone) fail `audit verify --checkpoint` with a
 *   checkpoint saved from the API, naming the missing head; with the rows intact it exits 0;
 * - a checkpoint whose signature does not verify is refused; bad query values answer 400;
 * - the secret is generated 0600 and the CLI finds the same key;
 * - a data directory from before the chain was keyed (plain SHA-256 rows) verifies after the
 *   upgrade, which records `audit.chain_keyed`; a legacy chain that did not verify is never re-keyed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { GENESIS_HASH, LEGACY_UNKEYED, chainHash } from '../../src/core/audit/audit-event.js';
import { toAudit } from '../../src/stores/sql/rows.js';
import { createUserViaAdmin, login, request } from '../support/http-client.js';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  ServerProcess,
  runCli,
  tempDir,
} from '../support/server-process.js';

const EXIT_CHAIN_BROKEN = 3;

/** Recomputes every hash from `fromSeq` on with plain SHA-256, as an attacker without the key would. */
function rechainWithSha256(db: Database.Database, fromSeq = 1): void {
  const rows = (
    db.prepare('SELECT * FROM audit_log WHERE seq >= ? ORDER BY seq').all(fromSeq) as Record<
      string,
      unknown
    >[]
  ).map(toAudit);
  let prev =
    fromSeq === 1
      ? GENESIS_HASH
      : (db
          .prepare('SELECT hash FROM audit_log WHERE seq = ?')
          .pluck()
          .get(fromSeq - 1) as string);
  const update = db.prepare('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?');
  db.transaction(() => {
    for (const row of rows) {
      const hash = chainHash(prev, row, LEGACY_UNKEYED);
      update.run(prev, hash, row.seq);
      prev = hash;
    }
  })();
}

describe('keyed audit chain and checkpoints', () => {
  let dataDir: string;
  let entries: number;
  let checkpoint: { seq: number; hash: string; signature: string; signed_at: string };
  let checkpointFile: string;
  const dirs: string[] = [];
  const servers: ServerProcess[] = [];
  const cli = (dir: string, args: string[]) =>
    runCli(args, { PATH: process.env.PATH, HOME: process.env.HOME, REVOKD_DATA_DIR: dir });

  function copyOf(tamper?: (db: Database.Database) => void): string {
    const dir = tempDir('keyed-copy');
    dirs.push(dir);
    fs.cpSync(dataDir, dir, { recursive: true });
    if (tamper !== undefined) {
      const db = new Database(path.join(dir, 'revokd.db'));
      try {
        tamper(db);
      } finally {
        db.close();
      }
    }
    return dir;
  }

  async function adminOf(server: ServerProcess): Promise<string> {
    return (await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
  }

  before(async () => {
    dataDir = tempDir('keyed-data');
    dirs.push(dataDir);
    const server = await ServerProcess.start({ dataDir });
    servers.push(server);
    const admin = await adminOf(server);
    for (let i = 0; i < 3; i++)
      await createUserViaAdmin(server.url, admin, `keyed${i}@example.com`, 'keyed-password-1');
    const cp = await request(`${server.url}/api/v1/security/audit/checkpoint`, { bearer: admin });
    assert.equal(cp.status, 200, cp.text);
    checkpoint = cp.body;
    assert.deepEqual(Object.keys(checkpoint).sort(), ['hash', 'seq', 'signature', 'signed_at']);
    checkpointFile = path.join(tempDir('keyed-checkpoint'), 'checkpoint.json');
    dirs.push(path.dirname(checkpointFile));
    fs.writeFileSync(checkpointFile, cp.text);
    // Entries after the checkpoint, so deleting "the newest rows" can leave the chain looking whole.
    for (let i = 3; i < 6; i++)
      await createUserViaAdmin(server.url, admin, `keyed${i}@example.com`, 'keyed-password-1');
    const verify = await request(`${server.url}/api/v1/security/audit/verify`, { bearer: admin });
    assert.equal(verify.body.ok, true, verify.text);
    entries = verify.body.entries;
    assert.ok(
      entries > checkpoint.seq + 2,
      `entries after the checkpoint: ${entries} > ${checkpoint.seq}`,
    );
    // The start-up checkpoint in the service log carries the same shape.
    assert.match(
      server.output,
      /"auditCheckpoint":\{"seq":\d+,"hash":"[0-9a-f]{64}","signature":"[0-9a-f]{64}","signed_at":"[^"]+"\}/,
    );
    await server.stop();
  });
  after(async () => {
    for (const s of servers) await s.stop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the generated secret is 0600, never in the database, and the CLI finds the same key', async () => {
    const secretFile = path.join(dataDir, 'audit-secret');
    assert.equal(fs.statSync(secretFile).mode & 0o777, 0o600);
    const secret = fs.readFileSync(secretFile, 'utf8').trim();
    assert.ok(secret.length >= 32);
    for (const f of fs.readdirSync(dataDir).filter((n) => n.startsWith('revokd.db'))) {
      assert.ok(
        !fs.readFileSync(path.join(dataDir, f)).includes(Buffer.from(secret)),
        `${f} does not hold the secret`,
      );
    }
    const out = await cli(dataDir, ['audit', 'verify', '--json']);
    assert.equal(out.code, 0, out.stdout + out.stderr);
    assert.deepEqual(JSON.parse(out.stdout), { ok: true, entries });
    assert.ok(!out.stdout.includes(secret) && !out.stderr.includes(secret));
  });

  test('an entry edited and the chain re-hashed with plain SHA-256 fails the CLI verification', async () => {
    const dir = copyOf((db) => {
      db.prepare(`UPDATE audit_log SET actor_id = 'someone-else' WHERE seq = 4`).run();
      rechainWithSha256(db);
    });
    const out = await cli(dir, ['audit', 'verify', '--json']);
    assert.equal(out.code, EXIT_CHAIN_BROKEN, out.stdout + out.stderr);
    assert.equal(
      JSON.parse(out.stdout).first_bad_seq,
      1,
      'no entry of an unkeyed chain passes the keyed check',
    );
  });

  test('with the rows intact, verify --checkpoint exits 0', async () => {
    const out = await cli(copyOf(), ['audit', 'verify', '--checkpoint', checkpointFile]);
    assert.equal(out.code, 0, out.stdout + out.stderr);
    assert.match(
      out.stdout,
      new RegExp(`intact: ${entries} entries.*contains checkpoint head seq ${checkpoint.seq}`),
    );
  });

  test('the newest rows deleted: the chain alone still verifies, verify --checkpoint exits non-zero and names the missing head', async () => {
    const dir = copyOf((db) => {
      db.prepare('DELETE FROM audit_log WHERE seq >= ?').run(checkpoint.seq - 1);
    });
    const plain = await cli(dir, ['audit', 'verify', '--json']);
    assert.equal(plain.code, 0, 'a truncated chain is a valid chain: only a checkpoint can tell');
    const out = await cli(dir, ['audit', 'verify', '--checkpoint', checkpointFile]);
    assert.equal(out.code, EXIT_CHAIN_BROKEN, out.stdout + out.stderr);
    assert.ok(
      out.stdout.includes(`seq ${checkpoint.seq}`) && out.stdout.includes(checkpoint.hash),
      out.stdout,
    );
    assert.match(out.stdout, /entries removed/);
    const json = JSON.parse(
      (await cli(dir, ['audit', 'verify', '--json', '--checkpoint', checkpointFile])).stdout,
    );
    assert.equal(json.ok, false);
    assert.ok(json.problem.includes(checkpoint.hash));
  });

  test('a checkpoint whose signature does not verify, or that is not a checkpoint, is refused with a clear message', async () => {
    const forgedFile = path.join(path.dirname(checkpointFile), 'forged.json');
    const forged = { ...checkpoint, seq: checkpoint.seq - 1 };
    fs.writeFileSync(forgedFile, JSON.stringify(forged));
    const out = await cli(dataDir, ['audit', 'verify', '--checkpoint', forgedFile]);
    assert.equal(out.code, 2, out.stdout + out.stderr);
    assert.match(out.stderr, /checkpoint signature does not verify/);
    fs.writeFileSync(forgedFile, '{"seq": "one"}');
    const notOne = await cli(dataDir, ['audit', 'verify', '--checkpoint', forgedFile, '--json']);
    assert.equal(notOne.code, 2);
    assert.match(JSON.parse(notOne.stderr).message, /checkpoint seq must be a whole number/);
    const missing = await cli(dataDir, [
      'audit',
      'verify',
      '--checkpoint',
      path.join(dataDir, 'nope.json'),
    ]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read the checkpoint file/);
  });

  test('the API: verify?seq=&hash= fails after rows are replaced behind the checkpoint, bad values are 400, and a re-chained edit fails /audit/verify', async () => {
    const dir = copyOf();
    const server = await ServerProcess.start({ dataDir: dir });
    servers.push(server);
    const admin = await adminOf(server);
    const verify = (query: string) =>
      request(`${server.url}/api/v1/security/audit/verify${query}`, { bearer: admin });
    const withHead = `?seq=${checkpoint.seq}&hash=${checkpoint.hash}`;
    assert.equal((await verify(withHead)).body.ok, true);

    for (const bad of [
      '?seq=abc&hash=' + checkpoint.hash,
      `?seq=${checkpoint.seq}&hash=xyz`,
      `?seq=${checkpoint.seq}`,
      `?hash=${checkpoint.hash}`,
      '?seq=0&hash=' + checkpoint.hash,
      `?seq=1&seq=2&hash=${checkpoint.hash}`,
    ]) {
      const res = await verify(bad);
      assert.equal(res.status, 400, `${bad}: ${res.text}`);
      assert.equal(res.body.code, 'ERR_VALIDATION');
      assert.doesNotMatch(
        res.body.error_description,
        /[A-Z]{2,}_[A-Z]{2,}/,
        'no internal identifier in the message',
      );
    }

    // Truncated while running: the server appends after the cut, so the chain stays whole but the
    // entry at the checkpoint's seq now has another hash.
    const db = new Database(path.join(dir, 'revokd.db'));
    try {
      db.prepare('DELETE FROM audit_log WHERE seq >= ?').run(checkpoint.seq - 1);
    } finally {
      db.close();
    }
    for (let i = 0; i < 3; i++)
      await createUserViaAdmin(server.url, admin, `after-cut${i}@example.com`, 'keyed-password-1');
    assert.equal((await verify('')).body.ok, true);
    const cut = await verify(withHead);
    assert.equal(cut.status, 200);
    assert.equal(cut.body.ok, false);
    assert.ok(
      cut.body.problem.includes(`seq ${checkpoint.seq}`) &&
        cut.body.problem.includes(checkpoint.hash),
      cut.body.problem,
    );

    const db2 = new Database(path.join(dir, 'revokd.db'));
    try {
      db2.prepare(`UPDATE audit_log SET ip = '203.0.113.7' WHERE seq = 3`).run();
      rechainWithSha256(db2, 3);
    } finally {
      db2.close();
    }
    const edited = await verify('');
    assert.equal(edited.body.ok, false);
    assert.equal(edited.body.first_bad_seq, 3);
    // No checkpoint is signed over a chain that does not verify.
    assert.equal(
      (await request(`${server.url}/api/v1/security/audit/checkpoint`, { bearer: admin })).status,
      409,
    );
  });

  /** A data directory as the version before keyed chains left it: SHA-256 rows, no secret, no keying record. */
  function legacyCopy(tamper?: (db: Database.Database) => void): string {
    const dir = copyOf((db) => {
      rechainWithSha256(db);
      db.exec('DROP TABLE audit_chain_keying; DELETE FROM schema_migrations WHERE version = 6;');
      tamper?.(db);
    });
    fs.rmSync(path.join(dir, 'audit-secret'));
    fs.rmSync(path.join(dir, 'revokd.db.audit-keyed'));
    return dir;
  }

  test('a data directory chained with plain SHA-256 (the old format) verifies after the upgrade, which records audit.chain_keyed', async () => {
    const dir = legacyCopy();
    const out = await cli(dir, ['audit', 'verify', '--json']);
    assert.equal(out.code, 0, out.stdout + out.stderr);
    assert.deepEqual(JSON.parse(out.stdout), { ok: true, entries: entries + 1 });
    const last = JSON.parse(
      (await cli(dir, ['audit', 'export', '--after', String(entries)])).stdout.trim(),
    );
    assert.equal(last.type, 'audit.chain_keyed');
    assert.equal(last.details.legacy_entries, entries);
    assert.equal(fs.statSync(path.join(dir, 'audit-secret')).mode & 0o777, 0o600);
    // Upgraded once: rewriting it as a legacy chain again does not get it re-keyed.
    const db = new Database(path.join(dir, 'revokd.db'));
    try {
      db.prepare(`UPDATE audit_log SET actor_id = 'someone-else' WHERE seq = 2`).run();
      rechainWithSha256(db);
      db.exec('DELETE FROM audit_chain_keying');
    } finally {
      db.close();
    }
    const again = await cli(dir, ['audit', 'verify', '--json']);
    assert.equal(again.code, EXIT_CHAIN_BROKEN, again.stdout);
  });

  test('a legacy chain that does not verify is not re-keyed, and stays reported', async () => {
    const dir = legacyCopy((db) => {
      db.prepare(`UPDATE audit_log SET ip = '203.0.113.9' WHERE seq = 5`).run();
    });
    const first = await cli(dir, ['audit', 'verify', '--json']);
    assert.equal(first.code, EXIT_CHAIN_BROKEN, first.stdout);
    // Even once "repaired" as a legacy chain, it is not keyed later: the break stays on record.
    const db = new Database(path.join(dir, 'revokd.db'));
    try {
      rechainWithSha256(db);
    } finally {
      db.close();
    }
    const second = await cli(dir, ['audit', 'verify', '--json']);
    assert.equal(second.code, EXIT_CHAIN_BROKEN, second.stdout);
  });
});
