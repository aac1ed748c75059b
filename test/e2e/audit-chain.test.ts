/**
 * The tamper-evident audit log, end to end: real activity on a real server, then the SQLite file
 * tampered with directly (copies of it: one row edited, one deleted, two swapped). `revokd audit
 * verify` names the tampered row and exits 3; the untouched log verifies (exit 0), as does the
 * running server's /audit/verify. `revokd audit export` writes one NDJSON line per entry, from which
 * the chain can be re-verified, with no secret the test handled in it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { type AuditEntry, verifyChain } from '../../src/core/audit/audit-event.js';
import { resolveAuditKeys } from '../../src/app/security/service-secret.js';
import {
  createClientViaAdmin,
  createUserViaAdmin,
  login,
  request,
} from '../support/http-client.js';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  ServerProcess,
  runCli,
  tempDir,
} from '../support/server-process.js';

const USER_PASSWORD = 'audited-password-1';

describe('audit chain: verify and export', () => {
  let server: ServerProcess;
  let dataDir: string;
  let entries: number;
  const secrets: string[] = [ADMIN_PASSWORD, USER_PASSWORD];
  const copies: string[] = [];
  const cli = (dir: string, args: string[]) =>
    runCli(args, { PATH: process.env.PATH, HOME: process.env.HOME, REVOKD_DATA_DIR: dir });

  /** A copy of the stopped server's data directory, optionally tampered with through SQL. */
  function tamperedCopy(tamper?: (db: Database.Database) => void): string {
    const dir = tempDir('audit-copy');
    copies.push(dir);
    fs.cpSync(dataDir, dir, { recursive: true });
    if (tamper !== undefined) {
      const db = new Database(path.join(dir, 'revokd.db'));
      tamper(db);
      db.close();
    }
    return dir;
  }

  before(async () => {
    // Our own data directory, so it outlives the server and can be copied after a graceful stop.
    dataDir = tempDir('audit-data');
    server = await ServerProcess.start({ dataDir });
    const base = server.url;
    const admin = await login(base, ADMIN_EMAIL, ADMIN_PASSWORD);
    const user = await createUserViaAdmin(
      base,
      admin.access_token,
      'audited@example.com',
      USER_PASSWORD,
    );
    const s1 = await login(base, 'audited@example.com', USER_PASSWORD);
    const rotated = await request(`${base}/api/v1/auth/refresh`, {
      method: 'POST',
      json: { refresh_token: s1.refresh_token },
    });
    assert.equal(rotated.status, 200);
    const apiToken = await request(`${base}/api/v1/tokens`, {
      method: 'POST',
      bearer: s1.access_token,
      json: { name: 'ci' },
    });
    assert.equal(apiToken.status, 201);
    assert.equal(
      (
        await request(`${base}/api/v1/tokens/${apiToken.body.id}`, {
          method: 'DELETE',
          bearer: s1.access_token,
        })
      ).status,
      200,
    );
    const client = await createClientViaAdmin(base, admin.access_token, 'siem');
    const block = await request(`${base}/api/v1/security/blocks`, {
      method: 'POST',
      bearer: admin.access_token,
      json: { ip: '192.0.2.9', reason: 'audit test' },
    });
    assert.equal(block.status, 201);
    const s2 = await login(base, 'audited@example.com', USER_PASSWORD);
    const revoked = await request(`${base}/api/v1/security/token/revoke-user/${user.id}`, {
      method: 'POST',
      bearer: admin.access_token,
      json: { reason: 'offboarding' },
    });
    assert.equal(revoked.status, 200);
    secrets.push(
      s1.access_token,
      s1.refresh_token,
      rotated.body.access_token,
      rotated.body.refresh_token,
      apiToken.body.token,
      client.client_secret,
      s2.access_token,
      s2.refresh_token,
      admin.access_token,
    );

    const verify = await request(`${base}/api/v1/security/audit/verify`, {
      bearer: admin.access_token,
    });
    assert.equal(verify.status, 200);
    assert.equal(verify.body.ok, true, verify.text);
    entries = verify.body.entries;
    assert.ok(entries >= 12, `enough activity to tamper with: ${entries}`);
    // Paging through the API sees every entry exactly once.
    const seen: number[] = [];
    for (let after: number | null = 0; after !== null;) {
      const page: {
        status: number;
        body: { entries: Array<{ seq: number }>; next_after_seq: number | null };
      } = await request(`${base}/api/v1/security/audit?after_seq=${after}&limit=5`, {
        bearer: admin.access_token,
      });
      assert.equal(page.status, 200);
      seen.push(...page.body.entries.map((e) => e.seq));
      after = page.body.next_after_seq;
    }
    assert.deepEqual(
      seen,
      Array.from({ length: entries }, (_, i) => i + 1),
    );
    await server.stop(); // graceful: the database is closed and its WAL checkpointed
  });
  after(async () => {
    await server?.stop();
    for (const dir of [dataDir, ...copies])
      if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function expectBrokenAt(dir: string, seq: number): Promise<void> {
    const out = await cli(dir, ['audit', 'verify', '--json']);
    assert.equal(out.code, 3, `exit 3 for a broken chain: ${out.stdout} ${out.stderr}`);
    const result = JSON.parse(out.stdout);
    assert.equal(result.ok, false);
    assert.equal(result.first_bad_seq, seq, out.stdout);
    assert.equal(typeof result.problem, 'string');
  }

  test('the untouched log verifies: exit 0', async () => {
    const out = await cli(tamperedCopy(), ['audit', 'verify', '--json']);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(JSON.parse(out.stdout), { ok: true, entries });
    const human = await cli(dataDir, ['audit', 'verify']);
    assert.equal(human.code, 0);
    assert.match(human.stdout, new RegExp(`intact: ${entries} entries`));
  });

  test('an edited row fails at that row', async () => {
    const dir = tamperedCopy((db) => {
      const changed = db
        .prepare(`UPDATE audit_log SET details = json_set(details, '$.tampered', 1) WHERE seq = 6`)
        .run().changes;
      assert.equal(changed, 1);
    });
    await expectBrokenAt(dir, 6);
    const human = await cli(dir, ['audit', 'verify']);
    assert.equal(human.code, 3);
    assert.match(human.stdout, /BROKEN at entry 6: content does not match its hash/);
  });

  test('an edited actor or time fails at that row too', async () => {
    await expectBrokenAt(
      tamperedCopy((db) => {
        db.prepare(`UPDATE audit_log SET actor_id = 'someone-else' WHERE seq = 4`).run();
      }),
      4,
    );
    await expectBrokenAt(
      tamperedCopy((db) => {
        db.prepare(`UPDATE audit_log SET at = at - 60000 WHERE seq = 9`).run();
      }),
      9,
    );
  });

  test('a deleted row fails at the row after the gap', async () => {
    await expectBrokenAt(
      tamperedCopy((db) => {
        db.prepare('DELETE FROM audit_log WHERE seq = 7').run();
      }),
      8,
    );
    await expectBrokenAt(
      tamperedCopy((db) => {
        db.prepare('DELETE FROM audit_log WHERE seq = 1').run();
      }),
      2,
    );
  });

  test('a server on a tampered log: /audit/summary reports the real head and where the chain broke', async () => {
    const dir = tamperedCopy((db) => {
      db.prepare(
        `UPDATE audit_log SET details = json_set(details, '$.tampered', 1) WHERE seq = 6`,
      ).run();
    });
    const tampered = await ServerProcess.start({ dataDir: dir });
    try {
      const admin = await login(tampered.url, ADMIN_EMAIL, ADMIN_PASSWORD); // itself audited: the head moves past the copy's
      const summary = await request(`${tampered.url}/api/v1/security/audit/summary`, {
        bearer: admin.access_token,
      });
      assert.equal(summary.status, 200, summary.text);
      const tail = await request(
        `${tampered.url}/api/v1/security/audit?after_seq=${entries - 1}&limit=1000`,
        { bearer: admin.access_token },
      );
      const last = tail.body.entries[tail.body.entries.length - 1];
      assert.ok(last.seq > entries, 'the login after the restart was appended');
      const chain = summary.body.chain;
      assert.equal(chain.ok, false);
      assert.equal(chain.first_bad_seq, 6);
      assert.match(chain.problem, /content does not match its hash/);
      assert.equal(
        chain.head_seq,
        last.seq,
        "the head is the log's last entry, not the last one that verified",
      );
      assert.equal(chain.head_hash, last.hash);
      assert.equal(chain.verified_seq, 5, 'verified up to the entry before the break');
      const [fifth] = (
        await request(`${tampered.url}/api/v1/security/audit?after_seq=4&limit=1`, {
          bearer: admin.access_token,
        })
      ).body.entries;
      assert.equal(chain.verified_hash, fifth.hash);
    } finally {
      await tampered.stop();
    }
  });

  test('two rows swapped (reordered) fail at the first of them', async () => {
    const dir = tamperedCopy((db) => {
      const columns = [
        'at',
        'type',
        'actor_type',
        'actor_id',
        'initiator',
        'reason',
        'target_type',
        'target_id',
        'ip',
        'details',
        'prev_hash',
        'hash',
      ];
      const read = db.prepare(`SELECT ${columns.join(', ')} FROM audit_log WHERE seq = ?`);
      const write = db.prepare(
        `UPDATE audit_log SET ${columns.map((c) => `${c} = @${c}`).join(', ')} WHERE seq = @seq`,
      );
      const a = read.get(5) as Record<string, unknown>;
      const b = read.get(8) as Record<string, unknown>;
      db.transaction(() => {
        write.run({ ...b, seq: 5 });
        write.run({ ...a, seq: 8 });
      })();
    });
    await expectBrokenAt(dir, 5);
  });

  test('export writes NDJSON: one line per entry, every field, re-verifiable, no secrets', async () => {
    const outDir = tamperedCopy();
    const file = path.join(outDir, 'audit.ndjson');
    const out = await cli(dataDir, ['audit', 'export', '--out', file, '--json']);
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(JSON.parse(out.stdout), { exported: entries, last_seq: entries, out: file });
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(text.endsWith('\n'));
    const lines = text.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, entries);
    const rows = lines.map((l) => JSON.parse(l));
    for (const key of [
      'seq',
      'at',
      'type',
      'actor_type',
      'actor_id',
      'initiator',
      'reason',
      'target_type',
      'target_id',
      'ip',
      'details',
      'prev_hash',
      'hash',
    ]) {
      assert.ok(
        rows.every((r) => key in r),
        `every line has ${key}`,
      );
    }
    // A SIEM can re-verify the chain from the export alone.
    const asEntries: AuditEntry[] = rows.map((r) => ({
      seq: r.seq,
      atMs: r.at,
      type: r.type,
      actorType: r.actor_type,
      actorId: r.actor_id,
      initiator: r.initiator,
      reason: r.reason,
      targetType: r.target_type,
      targetId: r.target_id,
      ip: r.ip,
      details: r.details,
      prevHash: r.prev_hash,
      hash: r.hash,
    }));
    assert.deepEqual(
      verifyChain(
        asEntries,
        resolveAuditKeys({
          dataDir,
          secret: undefined,
          databaseUrl: `sqlite:${path.join(dataDir, 'revokd.db')}`,
        }).chain,
      ),
      { ok: true, entries },
    );
    for (const secret of secrets)
      assert.ok(
        !text.includes(secret),
        `a secret the test used is not in the export: ${secret.slice(0, 6)}…`,
      );
    assert.ok(
      rows.some((r) => r.type === 'ip.blocked') && rows.some((r) => r.type === 'api_token.revoked'),
    );

    // To stdout, resuming after a seq.
    const tail = await cli(dataDir, ['audit', 'export', '--after', String(entries - 3)]);
    assert.equal(tail.code, 0, tail.stderr);
    assert.deepEqual(
      tail.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).seq),
      [entries - 2, entries - 1, entries],
    );
    assert.match(tail.stderr, /exported 3 entries/);
  });

  test('the containment and audit commands answer --help', async () => {
    for (const args of [
      ['block'],
      ['unblock'],
      ['audit'],
      ['audit', 'verify'],
      ['audit', 'export'],
    ]) {
      const out = await cli(dataDir, [...args, '--help']);
      assert.equal(out.code, 0, `${args.join(' ')} --help: ${out.stderr}`);
      assert.match(out.stdout, /Usage: revokd/);
    }
  });

  test('verify refuses a data directory with no database instead of calling an empty log intact', async () => {
    const empty = tempDir('audit-empty');
    copies.push(empty);
    const out = await cli(path.join(empty, 'nothing-here'), ['audit', 'verify', '--json']);
    assert.equal(out.code, 2);
    assert.equal(JSON.parse(out.stderr).error, 'ERR_NOT_FOUND');
  });
});
