/**
 * The security console's audit log pages through the real HTTP stack in-process (real SQLite file):
 * newest first, 50 a page, "Older" leads to the next 50 with nothing skipped or repeated, the type
 * and user filters page the same way, and a row tampered with after the last verified point turns
 * "Chain verified" into "Chain broken at entry #n" (the pages verify forward only; the full
 * /audit/verify catches an edit before that point).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { type OpenedContext, openAppContext } from '../../src/app/open-app-context.js';
import { createUser } from '../../src/app/users.js';
import { loadConfig } from '../../src/core/config.js';
import { buildApp } from '../../src/http/app.js';
import { tempDir } from '../support/server-process.js';
import { signInByForm } from '../support/web-form-client.js';

const ADMIN = 'root@example.com';
const PASSWORD = 'admin-password-1';

/** The sequence numbers of the rows on an audit page, in page order. */
function seqs(body: string): number[] {
  return [...body.matchAll(/<td data-label="#" class="mono">(\d+)<\/td>/g)].map((m) =>
    Number(m[1]),
  );
}

function olderLink(body: string): string | undefined {
  const match = /href="([^"]+)" rel="next"/.exec(body);
  return match === null ? undefined : match[1]!.replaceAll('&amp;', '&');
}

describe('web UI: audit log pages', () => {
  let ctx: OpenedContext;
  let app: FastifyInstance;
  let cookie: string;
  let dataDir: string;

  before(async () => {
    dataDir = tempDir('web-audit');
    ctx = await openAppContext(
      loadConfig({ REVOKD_DATA_DIR: dataDir, REVOKD_LOG_LEVEL: 'silent' }),
      { log: pino({ level: 'silent' }) },
    );
    await createUser(
      ctx,
      { email: ADMIN, password: PASSWORD, role: 'admin' },
      { type: 'cli', id: null },
    );
    for (let i = 0; i < 70; i++)
      await createUser(
        ctx,
        { email: `user${i}@example.com`, password: PASSWORD },
        { type: 'cli', id: null },
      );
    app = await buildApp(ctx);
    ({ cookie } = await signInByForm(app, ADMIN, PASSWORD));
  });
  after(async () => {
    await app?.close();
    await ctx?.close();
  });

  const get = async (url: string) => {
    const res = await app.inject({ method: 'GET', url, headers: { cookie } });
    assert.equal(res.statusCode, 200, `${url}: ${res.statusCode}`);
    return res.body;
  };

  /** Follows "Older" from `url` to the end; returns every seq seen, in order. */
  const walk = async (url: string): Promise<number[]> => {
    const seen: number[] = [];
    for (let next: string | undefined = url; next !== undefined;) {
      const body = await get(next);
      const page = seqs(body);
      assert.ok(page.length <= 50);
      seen.push(...page);
      next = olderLink(body);
    }
    return seen;
  };

  test('newest first, 50 a page, every entry exactly once', async () => {
    const total = (await ctx.stores.audit.listAudit({ afterSeq: 0, limit: 10_000 })).length;
    assert.ok(total > 50, `only ${total} entries: one page`);
    const first = await get('/admin/audit');
    assert.match(first, /Chain verified/);
    assert.equal(seqs(first).length, 50);
    const all = await walk('/admin/audit');
    assert.deepEqual(
      all,
      Array.from({ length: total }, (_, i) => total - i),
    );
  });

  test('filtered by type and by user, the pages hold only matches, all of them', async () => {
    const created = (await ctx.stores.audit.listAudit({ afterSeq: 0, limit: 10_000 }))
      .filter((e) => e.type === 'user.created')
      .map((e) => e.seq);
    assert.equal(created.length, 71);
    assert.deepEqual(await walk('/admin/audit?type=user.created'), created.reverse());

    const user = await ctx.stores.records.findUserByEmail('user7@example.com');
    const own = await walk(`/admin/audit?user=${encodeURIComponent('user7@example.com')}`);
    const expected = (await ctx.stores.audit.listAudit({ afterSeq: 0, limit: 10_000 }))
      .filter((e) => e.targetId === user!.id || e.actorId === user!.id)
      .map((e) => e.seq)
      .reverse();
    assert.deepEqual(own, expected);
    assert.match(
      await get('/admin/audit?user=nobody%40example.com'),
      /No user with that email or id\./,
    );
  });

  test('verified incrementally: an edit after the last verified point shows on the pages; one before it is caught by the full /audit/verify', async () => {
    const edit = (sql: string, ...params: unknown[]) => {
      const db = new Database(path.join(dataDir, 'revokd.db'));
      try {
        assert.equal(db.prepare(sql).run(...params).changes, 1);
      } finally {
        db.close();
      }
    };
    assert.match(await get('/admin/audit'), /Chain verified/);
    const verifiedHead = (await ctx.stores.audit.listAudit({ afterSeq: 0, limit: 10_000 })).length;
    for (let i = 0; i < 5; i++)
      await createUser(
        ctx,
        { email: `later${i}@example.com`, password: PASSWORD },
        { type: 'cli', id: null },
      );
    const edited = verifiedHead + 2;
    const [original] = await ctx.stores.audit.listAudit({ afterSeq: edited - 1, limit: 1 });
    edit("UPDATE audit_log SET ip = '203.0.113.66' WHERE seq = ?", edited);
    const body = await get('/admin/audit');
    assert.doesNotMatch(body, /Chain verified/);
    assert.match(body, new RegExp(`Chain broken at entry #${edited}\\b`));

    // Restored: the pages verify forward again, up to the new head.
    edit('UPDATE audit_log SET ip = ? WHERE seq = ?', original!.ip, edited);
    assert.match(await get('/admin/audit'), /Chain verified/);

    // An edit before the verified head is not re-read by the pages (that is what makes them cheap);
    // the explicit verification reads the whole chain and names it.
    edit("UPDATE audit_log SET ip = '203.0.113.66' WHERE seq = 30");
    assert.match(await get('/admin/audit'), /Chain verified/);
    const loginRes = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: ADMIN, password: PASSWORD },
    });
    assert.equal(loginRes.statusCode, 200, loginRes.body);
    const verify = await app.inject({
      method: 'GET',
      url: '/api/v1/security/audit/verify',
      headers: { authorization: `Bearer ${loginRes.json().access_token}` },
    });
    assert.equal(verify.statusCode, 200);
    assert.deepEqual(
      { ok: verify.json().ok, first_bad_seq: verify.json().first_bad_seq },
      { ok: false, first_bad_seq: 30 },
    );
  });
});
