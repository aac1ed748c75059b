/** API tokens end to end over HTTP against a real server process (SPEC §5.3). */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import {
  createClientViaAdmin,
  createUserViaAdmin,
  introspect,
  login,
  request,
} from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess, runCli } from '../support/server-process.js';
import { openSse } from '../support/sse-client.js';
import { STREAM_PATH, createStreamClient } from '../support/stream-setup.js';

/** The reason codes @revokd/verifier 0.1.x accepts on the stream (it drops the connection on any other). */
const PUBLISHED_VERIFIER_REASONS = [
  'logout',
  'logout_all',
  'password_change',
  'password_reset',
  'admin',
  'compromised',
  'refresh_reuse',
  'ip_block',
  'key_revoked',
  'user_disabled',
  'client_disabled',
  'user_request',
  'policy',
  'unused',
  'expired_policy',
];

describe('API tokens over HTTP', () => {
  let server: ServerProcess;
  let admin: { access_token: string };
  const password = 'user-password-1';

  before(async () => {
    server = await ServerProcess.start({
      env: { REVOKD_API_TOKEN_USAGE_FLUSH_MS: '50', REVOKD_API_TOKEN_MAX_PER_USER: '5' },
    });
    admin = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  });
  after(async () => {
    await server?.stop();
  });

  async function userSession(tag: string) {
    const email = `${tag}-${Date.now()}@example.com`;
    const user = await createUserViaAdmin(server.url, admin.access_token, email, password);
    return { ...(await login(server.url, email, password)), email, id: user.id };
  }
  const create = (bearer: string, json: unknown) =>
    request(`${server.url}/api/v1/tokens`, { method: 'POST', bearer, json });

  test('create two, use one, revoke (200), use again (401), revoke again (409), revoke-all (1), again (429); restart: still 429, still revoked', async () => {
    const me = await userSession('lifecycle');
    const a = await create(me.access_token, {
      name: 'deploy bot',
      scopes: ['read', 'write'],
      expires_in_days: 30,
    });
    const b = await create(me.access_token, { name: 'laptop' });
    assert.equal(a.status, 201, a.text);
    assert.match(a.body.token, /^rvk_[0-9A-Za-z]{36}$/);
    assert.equal(a.body.token_prefix, a.body.token.slice(0, 8));
    assert.deepEqual(a.body.scopes, ['read', 'write']);
    assert.ok(a.body.expires_at);
    assert.equal(b.body.expires_at, null);

    const used = await request(`${server.url}/api/v1/auth/me`, { bearer: a.body.token });
    assert.equal(used.status, 200);
    assert.equal(used.body.email, me.email);
    assert.deepEqual(used.body.api_token.scopes, ['read', 'write']);

    const list = await request(`${server.url}/api/v1/tokens`, { bearer: me.access_token });
    assert.equal(list.body.length, 2);
    assert.ok(
      !list.text.includes(a.body.token) && !list.text.includes(b.body.token),
      'secrets are shown once',
    );

    const revoked = await request(`${server.url}/api/v1/tokens/${a.body.id}`, {
      method: 'DELETE',
      bearer: me.access_token,
    });
    assert.equal(revoked.status, 200);
    assert.deepEqual(Object.keys(revoked.body).sort(), ['message', 'revoked_at', 'token_id']);
    assert.equal(revoked.body.message, 'Token revoked successfully');
    const reuse = await request(`${server.url}/api/v1/auth/me`, { bearer: a.body.token });
    assert.equal(reuse.status, 401);
    assert.ok(reuse.headers.get('www-authenticate'));
    assert.equal(
      (
        await request(`${server.url}/api/v1/tokens/${a.body.id}`, {
          method: 'DELETE',
          bearer: me.access_token,
        })
      ).status,
      409,
    );

    const all = await request(`${server.url}/api/v1/tokens/revoke-all`, {
      method: 'POST',
      bearer: me.access_token,
    });
    assert.equal(all.status, 200);
    assert.deepEqual(all.body, { message: 'Revoked 1 tokens', revoked_count: 1 });
    const again = await request(`${server.url}/api/v1/tokens/revoke-all`, {
      method: 'POST',
      bearer: me.access_token,
    });
    assert.equal(again.status, 429);
    const retryAfter = Number(again.headers.get('retry-after'));
    assert.ok(retryAfter > 3000 && retryAfter <= 3600, String(retryAfter));

    await server.restart();
    const afterRestart = await request(`${server.url}/api/v1/tokens/revoke-all`, {
      method: 'POST',
      bearer: me.access_token,
    });
    assert.equal(afterRestart.status, 429, 'the once-an-hour limit survives a crash');
    assert.ok(Number(afterRestart.headers.get('retry-after')) > 0);
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: a.body.token })).status,
      401,
    );
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: b.body.token })).status,
      401,
    );
    const final = await request(`${server.url}/api/v1/tokens`, { bearer: me.access_token });
    assert.ok(
      final.body.every(
        (t: { is_active: boolean; revoked_at: string | null }) =>
          !t.is_active && t.revoked_at !== null,
      ),
    );
    assert.ok(
      final.body.every(
        (t: { revoked_by: unknown }) =>
          JSON.stringify(t.revoked_by) === JSON.stringify({ type: 'user', id: me.id }),
      ),
      'revoked by their owner',
    );
  });

  test('revoke-all is recorded with its own reason (not logout_all); the stream still sends a reason published verifiers accept', async () => {
    const me = await userSession('revoke-all-reason');
    const a = await create(me.access_token, { name: 'ci' });
    const b = await create(me.access_token, { name: 'backup' });
    const all = await request(`${server.url}/api/v1/tokens/revoke-all`, {
      method: 'POST',
      bearer: me.access_token,
    });
    assert.equal(all.status, 200, all.text);

    const listed = await request<Array<{ id: string; revoke_reason: string | null }>>(
      `${server.url}/api/v1/tokens`,
      { bearer: me.access_token },
    );
    assert.deepEqual(
      listed.body.map((t) => t.revoke_reason),
      ['revoke_all_api_tokens', 'revoke_all_api_tokens'],
    );
    const audit = await request(
      `${server.url}/api/v1/security/audit?type=api_token.revoked&limit=1000`,
      { bearer: admin.access_token },
    );
    assert.equal(audit.status, 200, audit.text);
    const entries = audit.body.entries.filter((e: { target_id: string }) =>
      [a.body.id, b.body.id].includes(e.target_id),
    );
    assert.equal(entries.length, 2);
    for (const entry of entries)
      assert.deepEqual([entry.initiator, entry.reason], ['user', 'revoke_all_api_tokens']);

    // A verifier installed before this reason existed must not choke on it (it refuses unknown reasons).
    const reader = await createStreamClient((args) => server.cli(args), 'reason-reader');
    const stream = await openSse(`${server.url}${STREAM_PATH}`, { authorization: reader.basic });
    const parts = await stream.snapshot();
    stream.close();
    const sent = parts
      .flatMap(
        (p) =>
          p.data.revocations as Array<{ scope: string; api_token_id?: string; reason: string }>,
      )
      .filter((r) => r.scope === 'api_token' && [a.body.id, b.body.id].includes(r.api_token_id));
    assert.equal(sent.length, 2, 'both revocations are on the stream');
    for (const r of sent)
      assert.ok(PUBLISHED_VERIFIER_REASONS.includes(r.reason), `stream reason ${r.reason}`);
  });

  test('another user gets 404 for GET and DELETE, byte-identical to a random id; bad ids are 400', async () => {
    const owner = await userSession('owner');
    const other = await userSession('other');
    const t = await create(owner.access_token, { name: 'mine' });
    const random = '3f2b8c1e-9d4a-4c6b-8e2f-1a2b3c4d5e6f';
    for (const method of ['GET', 'DELETE']) {
      const theirs = await request(`${server.url}/api/v1/tokens/${t.body.id}`, {
        method,
        bearer: other.access_token,
      });
      const unknown = await request(`${server.url}/api/v1/tokens/${random}`, {
        method,
        bearer: other.access_token,
      });
      assert.equal(theirs.status, 404);
      assert.equal(theirs.text, unknown.text, `${method}: body`);
      const headers = (h: Headers) => [...h.entries()].filter(([k]) => k !== 'date').sort();
      assert.deepEqual(headers(theirs.headers), headers(unknown.headers), `${method}: headers`);
      assert.equal(
        (
          await request(`${server.url}/api/v1/tokens/not-a-uuid`, {
            method,
            bearer: other.access_token,
          })
        ).status,
        400,
      );
    }
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: t.body.token })).status,
      200,
      "the owner's token is untouched",
    );
    const mine = await request(`${server.url}/api/v1/tokens/${t.body.id}`, {
      bearer: owner.access_token,
    });
    assert.equal(mine.status, 200);
    assert.equal(mine.body.name, 'mine');
  });

  test('introspection reports API tokens; last use is recorded (batched); the live-token cap holds', async () => {
    const me = await userSession('introspect');
    const client = await createClientViaAdmin(server.url, admin.access_token, 'rs');
    const t = await create(me.access_token, { name: 'svc', scopes: ['read'] });
    const active = await introspect(server.url, client, t.body.token);
    assert.equal(active.body.active, true);
    assert.equal(active.body.token_type, 'api_token');
    assert.equal(active.body.sub, me.id);
    assert.equal(active.body.scope, 'read');
    await request(`${server.url}/api/v1/auth/me`, { bearer: t.body.token, headers: {} });
    let lastUsed = null;
    for (let i = 0; i < 50 && lastUsed === null; i++) {
      lastUsed = (
        await request(`${server.url}/api/v1/tokens/${t.body.id}`, { bearer: me.access_token })
      ).body.last_used_at;
      if (lastUsed === null) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(lastUsed, 'last_used_at is written by the batch');
    for (let i = 0; i < 4; i++)
      assert.equal((await create(me.access_token, { name: `n${i}` })).status, 201);
    const capped = await create(me.access_token, { name: 'one too many' });
    assert.equal(capped.status, 409);
    assert.match(capped.body.error_description, /limit is 5/);
    await request(`${server.url}/api/v1/tokens/${t.body.id}`, {
      method: 'DELETE',
      bearer: me.access_token,
    });
    assert.equal((await introspect(server.url, client, t.body.token)).text, '{"active":false}');
    assert.equal((await create(me.access_token, { name: 'room again' })).status, 201);
  });

  test('bad input is 400 and creates nothing', async () => {
    const me = await userSession('bad');
    for (const body of [
      {},
      { name: '' },
      { name: null },
      { name: 'x'.repeat(101) },
      { name: 'a\u0000b' },
      { name: 'ok', scopes: 'not a list of tokens "' },
      { name: 'ok', expires_in_days: 0 },
      { name: 'ok', expires_in_days: 1.5 },
      { name: 'ok', expires_in_days: '30' },
      { name: 'ok', expires_in_days: 99999 },
    ]) {
      const res = await create(me.access_token, body);
      assert.equal(res.status, 400, `${JSON.stringify(body)} → ${res.status} ${res.text}`);
    }
    assert.deepEqual(
      (await request(`${server.url}/api/v1/tokens`, { bearer: me.access_token })).body,
      [],
    );
  });

  test('revoke-all on the auth API includes API tokens only when asked', async () => {
    const me = await userSession('include');
    const t = await create(me.access_token, { name: 'kept' });
    const plain = await request(`${server.url}/api/v1/auth/revoke-all`, {
      method: 'POST',
      bearer: me.access_token,
      json: {},
    });
    assert.equal(plain.body.revoked.api_tokens, 0);
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: t.body.token })).status,
      200,
    );
    const again = await login(server.url, me.email, password);
    const withTokens = await request(`${server.url}/api/v1/auth/revoke-all`, {
      method: 'POST',
      bearer: again.access_token,
      json: { include_api_tokens: true },
    });
    assert.equal(withTokens.body.revoked.api_tokens, 1);
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: t.body.token })).status,
      401,
    );
  });

  test("admin lists and revokes any user's token with a reason; the CLI revokes by id; /oauth/revoke refuses API tokens", async () => {
    const me = await userSession('admin-revoke');
    const a = await create(me.access_token, { name: 'a' });
    const b = await create(me.access_token, { name: 'b' });
    const c = await create(me.access_token, { name: 'c' });
    const listed = await request(`${server.url}/api/v1/admin/users/${me.id}/api-tokens`, {
      bearer: admin.access_token,
    });
    assert.equal(listed.body.length, 3);
    const noReason = await request(`${server.url}/api/v1/admin/api-tokens/${a.body.id}/revoke`, {
      method: 'POST',
      bearer: admin.access_token,
      json: {},
    });
    assert.equal(noReason.status, 400);
    const byAdmin = await request(`${server.url}/api/v1/admin/api-tokens/${a.body.id}/revoke`, {
      method: 'POST',
      bearer: admin.access_token,
      json: { reason: 'leaked in a public repo' },
    });
    assert.equal(byAdmin.status, 200, byAdmin.text);
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: a.body.token })).status,
      401,
    );
    const nonAdmin = await request(`${server.url}/api/v1/admin/api-tokens/${b.body.id}/revoke`, {
      method: 'POST',
      bearer: me.access_token,
      json: { reason: 'x' },
    });
    assert.equal(nonAdmin.status, 403);

    const cli = await runCli(
      [
        'revoke',
        'api-token',
        b.body.id,
        '--reason',
        'compromised',
        '--note',
        'seen on pastebin',
        '--json',
      ],
      { PATH: process.env.PATH, HOME: process.env.HOME, REVOKD_DATA_DIR: server.dataDir },
    );
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(JSON.parse(cli.stdout).token_id, b.body.id);
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: b.body.token })).status,
      401,
    );

    const client = await createClientViaAdmin(server.url, admin.access_token, 'rfc7009');
    const viaOauth = await request(`${server.url}/oauth/revoke`, {
      method: 'POST',
      form: {
        token: c.body.token,
        client_id: client.client_id,
        client_secret: client.client_secret,
      },
    });
    assert.equal(viaOauth.status, 400);
    assert.equal(viaOauth.body.error, 'unsupported_token_type');
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: c.body.token })).status,
      200,
    );

    const mine = (await request(`${server.url}/api/v1/tokens`, { bearer: me.access_token })).body;
    const reasons = mine
      .map((t: { name: string; revoke_reason: string | null }) => [t.name, t.revoke_reason])
      .sort();
    assert.deepEqual(reasons, [
      ['a', 'admin'],
      ['b', 'compromised'],
      ['c', null],
    ]);
    // Who revoked each: the admin (by id), the CLI (no id), nobody yet — in the owner's list, the admin's view and GET by id.
    const adminId = (await request(`${server.url}/api/v1/auth/me`, { bearer: admin.access_token }))
      .body.id;
    const expected = { a: { type: 'admin', id: adminId }, b: { type: 'cli', id: null }, c: null };
    const byName = (list: Array<{ name: 'a' | 'b' | 'c'; revoked_by: unknown }>) =>
      Object.fromEntries(list.map((t) => [t.name, t.revoked_by]));
    assert.deepEqual(byName(mine), expected);
    assert.deepEqual(
      byName(
        (
          await request(`${server.url}/api/v1/admin/users/${me.id}/api-tokens`, {
            bearer: admin.access_token,
          })
        ).body,
      ),
      expected,
    );
    assert.deepEqual(
      (await request(`${server.url}/api/v1/tokens/${a.body.id}`, { bearer: me.access_token })).body
        .revoked_by,
      expected.a,
    );
  });

  test('revocation is permanent: no SQL update path reactivates, rewrites or deletes a revoked token', async () => {
    const me = await userSession('permanent');
    const t = await create(me.access_token, { name: 'gone' });
    await request(`${server.url}/api/v1/tokens/${t.body.id}`, {
      method: 'DELETE',
      bearer: me.access_token,
    });
    const db = new Database(path.join(server.dataDir, 'revokd.db'));
    // A plain connection, without the pragmas revokd sets: the triggers must hold on their own.
    try {
      const attempts = [
        'UPDATE api_tokens SET is_active = 1 WHERE id = ?',
        'UPDATE api_tokens SET is_active = 1, revoked_at = NULL WHERE id = ?',
        'UPDATE api_tokens SET revoked_at = NULL WHERE id = ?',
        'UPDATE api_tokens SET revoked_by = NULL WHERE id = ?',
        "UPDATE api_tokens SET revoked_by_type = 'system' WHERE id = ?",
        "UPDATE api_tokens SET revoke_reason = 'mistake' WHERE id = ?",
        "UPDATE api_tokens SET token_hash = 'x' WHERE id = ?",
        'DELETE FROM api_tokens WHERE id = ?',
        'INSERT OR REPLACE INTO api_tokens SELECT * FROM api_tokens WHERE id = ?',
        `INSERT OR REPLACE INTO api_tokens (id, user_id, name, token_hash, token_prefix, scopes, created_at, is_active)
           SELECT id, user_id, name, token_hash, token_prefix, scopes, created_at, 1 FROM api_tokens WHERE id = ?`,
        `INSERT INTO api_tokens (id, user_id, name, token_hash, token_prefix, scopes, created_at)
           SELECT id, user_id, name, token_hash, token_prefix, scopes, created_at FROM api_tokens WHERE id = ?
           ON CONFLICT (id) DO UPDATE SET is_active = 1, revoked_at = NULL`,
      ];
      for (const sql of attempts)
        assert.throws(
          () => db.prepare(sql).run(t.body.id),
          /cannot be reactivated|never deleted|constraint/i,
          sql,
        );
      // A new row carrying the revoked token's hash (a "new" token with the old secret) is refused too.
      assert.throws(
        () =>
          db
            .prepare(
              `INSERT INTO api_tokens (id, user_id, name, token_hash, token_prefix, scopes, created_at)
        SELECT lower(hex(randomblob(16))), user_id, name, token_hash, token_prefix, scopes, created_at FROM api_tokens WHERE id = ?`,
            )
            .run(t.body.id),
        /cannot be reactivated|UNIQUE/,
      );
      // Harmless updates still work (and cannot reactivate).
      db.prepare("UPDATE api_tokens SET name = 'renamed' WHERE id = ?").run(t.body.id);
      const row = db
        .prepare('SELECT is_active, revoked_at FROM api_tokens WHERE id = ?')
        .get(t.body.id) as { is_active: number; revoked_at: number };
      assert.equal(row.is_active, 0);
      assert.ok(row.revoked_at > 0);
    } finally {
      db.close();
    }
    for (const method of ['PUT', 'PATCH', 'POST']) {
      const res = await request(`${server.url}/api/v1/tokens/${t.body.id}`, {
        method,
        bearer: me.access_token,
        json: { is_active: true },
      });
      assert.equal(res.status, 404, `${method} has no route`);
    }
    assert.equal(
      (await request(`${server.url}/api/v1/auth/me`, { bearer: t.body.token })).status,
      401,
    );
  });
});
