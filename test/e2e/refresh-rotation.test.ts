/**
 * SPEC §4 (RFC 9700 §4.14.2) against real server processes: every refresh rotates; the immediate
 * predecessor replayed inside the grace window gets the *same* successor; any other replay is
 * theft and revokes that session (only it); concurrency never yields two live successors.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess, sleep } from '../support/server-process.js';
import {
  type JsonResponse,
  type LoginResult,
  createClientViaAdmin,
  createUserViaAdmin,
  introspect,
  login,
  request,
} from '../support/http-client.js';

interface TokenBody {
  access_token: string;
  refresh_token: string;
  session_id: string;
  error?: string;
}

interface Env {
  readonly server: ServerProcess;
  readonly admin: string;
  readonly rp: { client_id: string; client_secret: string };
}

async function prepare(server: ServerProcess): Promise<Env> {
  const admin = (await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
  const rp = await createClientViaAdmin(server.url, admin, 'introspector');
  return { server, admin, rp };
}

let userSeq = 0;
/** A fresh user per case, so cases are independent. */
async function newUser(
  env: Env,
  label: string,
): Promise<{ id: string; email: string; password: string }> {
  userSeq += 1;
  const email = `rotation-${label}-${userSeq}@example.com`;
  const password = `rotation-password-${userSeq}`;
  const { id } = await createUserViaAdmin(env.server.url, env.admin, email, password);
  return { id, email, password };
}

function refresh(env: Env, refreshToken: string): Promise<JsonResponse<TokenBody>> {
  return request<TokenBody>(`${env.server.url}/api/v1/auth/refresh`, {
    method: 'POST',
    json: { refresh_token: refreshToken },
  });
}

async function refreshOk(env: Env, refreshToken: string): Promise<TokenBody> {
  const res = await refresh(env, refreshToken);
  assert.equal(res.status, 200, `refresh should succeed: ${res.text}`);
  assert.notEqual(res.body.refresh_token, refreshToken, 'a refresh always rotates');
  return res.body;
}

function assertInvalidGrant(res: JsonResponse<TokenBody>, what: string): void {
  assert.equal(res.status, 401, `${what}: ${res.text}`);
  assert.equal(res.body.error, 'invalid_grant', what);
}

async function active(env: Env, token: string): Promise<boolean> {
  const res = await introspect(env.server.url, env.rp, token);
  assert.equal(res.status, 200, res.text);
  if (res.body.active !== true) assert.equal(res.text, '{"active":false}');
  return res.body.active === true;
}

async function me(env: Env, accessToken: string): Promise<JsonResponse> {
  return request(`${env.server.url}/api/v1/auth/me`, { bearer: accessToken });
}

/** Asserts a whole session is dead: refresh tokens unusable, access tokens rejected and inactive. */
async function assertSessionRevoked(
  env: Env,
  refreshTokens: readonly string[],
  accessTokens: readonly string[],
): Promise<void> {
  for (const rt of refreshTokens) {
    assert.equal(await active(env, rt), false, 'refresh token of the revoked session is inactive');
    assertInvalidGrant(await refresh(env, rt), 'refresh token of the revoked session');
  }
  for (const at of accessTokens) {
    const res = await me(env, at);
    assert.equal(res.status, 401, `access token of the revoked session: ${res.text}`);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer /);
    assert.equal(await active(env, at), false, 'access token of the revoked session is inactive');
  }
}

function auditRows(
  server: ServerProcess,
  type: string,
  sessionId: string,
): Record<string, unknown>[] {
  const db = new Database(path.join(server.dataDir, 'revokd.db'), {
    readonly: true,
    fileMustExist: true,
  });
  try {
    return db
      .prepare('SELECT * FROM audit_log WHERE type = ? AND target_id = ? ORDER BY seq')
      .all(type, sessionId) as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

async function concurrentRefreshes(
  env: Env,
  refreshToken: string,
  n: number,
): Promise<JsonResponse<TokenBody>[]> {
  return Promise.all(Array.from({ length: n }, () => refresh(env, refreshToken)));
}

describe('refresh rotation and reuse detection (SPEC §4)', () => {
  let main: Env; // default grace (10 s)
  let graceOne: Env; // REVOKD_REFRESH_GRACE_SECONDS=1
  let graceZero: Env; // REVOKD_REFRESH_GRACE_SECONDS=0
  /** Session ids of the cases, for the audit check. */
  let theftSessionId: string | undefined;
  let graceReplaySessionId: string | undefined;

  before(async () => {
    const [s0, s1, s2] = await Promise.all([
      ServerProcess.start(),
      ServerProcess.start({ env: { REVOKD_REFRESH_GRACE_SECONDS: '1' } }),
      ServerProcess.start({ env: { REVOKD_REFRESH_GRACE_SECONDS: '0' } }),
    ]);
    [main, graceOne, graceZero] = await Promise.all([prepare(s0), prepare(s1), prepare(s2)]);
  });

  after(async () => {
    await Promise.all([main?.server.stop(), graceOne?.server.stop(), graceZero?.server.stop()]);
  });

  test('(a) replaying the immediate predecessor inside the grace window returns the same successor', async () => {
    const user = await newUser(main, 'a');
    const s: LoginResult = await login(main.server.url, user.email, user.password);
    graceReplaySessionId = s.session_id;
    const r1 = await refreshOk(main, s.refresh_token);
    assert.equal(r1.session_id, s.session_id, 'rotation stays in the session');

    const replay = await refresh(main, s.refresh_token);
    assert.equal(replay.status, 200, replay.text);
    assert.equal(
      replay.body.refresh_token,
      r1.refresh_token,
      'the very same successor, string-equal',
    );
    assert.equal(replay.body.session_id, s.session_id);
    // A second replay inside the window is still the same successor — never a second chain.
    const replay2 = await refresh(main, s.refresh_token);
    assert.equal(replay2.status, 200, replay2.text);
    assert.equal(replay2.body.refresh_token, r1.refresh_token);

    assert.equal(await active(main, r1.refresh_token), true, 'R1 is live');
    assert.equal(await active(main, s.refresh_token), false, 'R0 is consumed');
    assert.equal(
      (await me(main, replay.body.access_token)).status,
      200,
      'the replay answer carries a working access token',
    );

    const r2 = await refreshOk(main, r1.refresh_token);
    assert.equal(r2.session_id, s.session_id);
    assert.equal((await me(main, r2.access_token)).status, 200);
    assert.equal(
      auditRows(main.server, 'refresh_token.reused', s.session_id).length,
      0,
      'a grace replay is not theft',
    );
  });

  test('(b) replaying a token older than the immediate predecessor revokes that session only', async () => {
    const user = await newUser(main, 'b');
    const s = await login(main.server.url, user.email, user.password);
    const other = await login(main.server.url, user.email, user.password);
    theftSessionId = s.session_id;
    const r1 = await refreshOk(main, s.refresh_token);
    const r2 = await refreshOk(main, r1.refresh_token);
    // Well inside the 10 s window, but R0 is not R2's immediate predecessor.
    assertInvalidGrant(await refresh(main, s.refresh_token), 'replay of R0 after R1 → R2');

    await assertSessionRevoked(
      main,
      [r2.refresh_token, r1.refresh_token, s.refresh_token],
      [s.access_token, r1.access_token, r2.access_token],
    );

    // The user's other session keeps working.
    const otherMe = await me(main, other.access_token);
    assert.equal(otherMe.status, 200, otherMe.text);
    assert.equal(otherMe.body.id, user.id);
    assert.equal(await active(main, other.access_token), true);
    const otherNext = await refreshOk(main, other.refresh_token);
    assert.equal(otherNext.session_id, other.session_id);
    assert.equal((await me(main, otherNext.access_token)).status, 200);
  });

  test('(c) replaying the predecessor after the grace window (1 s) is theft', async () => {
    const user = await newUser(graceOne, 'c');
    const s = await login(graceOne.server.url, user.email, user.password);
    const other = await login(graceOne.server.url, user.email, user.password);
    const r1 = await refreshOk(graceOne, s.refresh_token);
    await sleep(1_600); // let the 1 s window pass (a wait, not a timing assertion)
    assertInvalidGrant(await refresh(graceOne, s.refresh_token), 'replay of R0 after the window');
    await assertSessionRevoked(graceOne, [r1.refresh_token], [s.access_token, r1.access_token]);
    assert.equal(
      (await me(graceOne, other.access_token)).status,
      200,
      'the other session is untouched',
    );
    assert.equal(auditRows(graceOne.server, 'refresh_token.reused', s.session_id).length, 1);
  });

  test('(d) 20 concurrent refreshes with one token (grace 10 s): one successor, and only one live', async () => {
    const user = await newUser(main, 'd');
    const s = await login(main.server.url, user.email, user.password);
    const results = await concurrentRefreshes(main, s.refresh_token, 20);
    const ok = results.filter((r) => r.status === 200);
    // Every caller presented the immediate predecessor inside the window, so every one succeeds.
    assert.equal(ok.length, 20, `statuses: ${results.map((r) => r.status).join(',')}`);
    const distinct = [...new Set(ok.map((r) => r.body.refresh_token))];
    assert.equal(distinct.length, 1, 'all successes return the same refresh token string');
    for (const r of ok) assert.equal(r.body.session_id, s.session_id);

    const live: string[] = [];
    for (const rt of distinct) if (await active(main, rt)) live.push(rt);
    assert.equal(live.length, 1, 'exactly one live successor');
    assert.equal(await active(main, s.refresh_token), false);
    // The chain continues from that successor, and the session was not treated as stolen.
    const next = await refreshOk(main, live[0]!);
    assert.equal((await me(main, next.access_token)).status, 200);
    assert.equal(auditRows(main.server, 'refresh_token.reused', s.session_id).length, 0);
  });

  test('(e) 20 concurrent refreshes with grace 0: exactly one 200, the rest 401 invalid_grant', async () => {
    const user = await newUser(graceZero, 'e');
    const s = await login(graceZero.server.url, user.email, user.password);
    const results = await concurrentRefreshes(graceZero, s.refresh_token, 20);
    const ok = results.filter((r) => r.status === 200);
    assert.equal(ok.length, 1, `statuses: ${results.map((r) => r.status).join(',')}`);
    for (const r of results.filter((x) => x.status !== 200))
      assertInvalidGrant(r, 'concurrent replay with grace 0');
    // With no window every replay is reuse, so the session is revoked — the winner's successor too.
    assert.equal(
      await active(graceZero, ok[0]!.body.refresh_token),
      false,
      'no live successor after detected reuse',
    );
    assert.ok(auditRows(graceZero.server, 'refresh_token.reused', s.session_id).length >= 1);
  });

  test('(f) reuse is recorded in the audit log for that session', () => {
    assert.ok(
      theftSessionId !== undefined && graceReplaySessionId !== undefined,
      'cases (a) and (b) ran',
    );
    const reused = auditRows(main.server, 'refresh_token.reused', theftSessionId);
    assert.equal(reused.length, 1, 'one refresh_token.reused row for the stolen session');
    const row = reused[0]!;
    assert.equal(row.target_type, 'session');
    assert.equal(row.reason, 'refresh_reuse');
    assert.equal(typeof row.hash, 'string');
    assert.ok(!String(row.details).includes('rt_'), 'no refresh token secret in the audit details');
    assert.equal(
      auditRows(main.server, 'refresh_token.replayed_in_grace', graceReplaySessionId).length,
      2,
      'grace replays are recorded as such',
    );
  });
});
