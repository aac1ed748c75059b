/**
 * SQLite never blocks the event loop (issue 9, item 12). Another process — the CLI, a backup — may
 * hold the database's write lock for seconds. Meanwhile /healthz and token checks (answered from
 * memory) must keep answering promptly, and a write must wait off the event loop and then answer
 * 503 + Retry-After (or succeed once the lock is gone) — never 200 and then lost.
 *
 * Probes are fired on a fixed 50 ms schedule without waiting for each other, so a frozen event loop
 * shows up as many slow samples (a sequential poller would record one slow sample per freeze).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { login, request } from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, REPO_ROOT, ServerProcess, sleep } from '../support/server-process.js';

const LOCK_MS = 10_000;

/** A separate node process that takes BEGIN EXCLUSIVE, says "locked", holds it LOCK_MS, then rolls back. */
const HOLD_LOCK_SCRIPT = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1]);
db.pragma('busy_timeout = 10000');
db.exec('BEGIN EXCLUSIVE');
process.stdout.write('locked\\n');
setTimeout(() => { db.exec('ROLLBACK'); db.close(); }, ${LOCK_MS});
`;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

let server: ServerProcess;
before(async () => { server = await ServerProcess.start(); });
after(async () => { await server?.stop(); });

test('while another process holds the write lock, health and token checks stay fast and a revoke is 503 or durable, never lost', { timeout: 60_000 }, async () => {
  const checker = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  const victim = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);

  const holder = spawn(process.execPath, ['-e', HOLD_LOCK_SCRIPT, path.join(server.dataDir, 'revokd.db')], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const released = new Promise<number | null>((resolve) => holder.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    holder.stdout.on('data', (d: Buffer) => { if (d.toString().includes('locked')) resolve(); });
    holder.once('exit', (code) => reject(new Error(`lock holder exited early (${code})`)));
  });

  const latencies: number[] = [];
  const failures: string[] = [];
  const probe = async (url: string, bearer?: string): Promise<void> => {
    const t0 = performance.now();
    const res = await request(url, bearer === undefined ? {} : { bearer });
    latencies.push(performance.now() - t0);
    if (res.status !== 200) failures.push(`${url} → ${res.status}`);
  };
  const inFlight: Promise<void>[] = [];
  let lockHeld = true;
  void released.then(() => { lockHeld = false; });
  const schedule = setInterval(() => {
    if (!lockHeld) return;
    inFlight.push(probe(`${server.url}/healthz`), probe(`${server.url}/api/v1/auth/me`, checker.access_token));
  }, 50);

  // A write sent while the lock is held.
  await sleep(500);
  const revokeSentWhileLocked = lockHeld;
  const revoke = request(`${server.url}/api/v1/auth/revoke`, { method: 'POST', bearer: victim.access_token });

  assert.equal(await released, 0, 'the lock holder finished cleanly');
  clearInterval(schedule);
  await Promise.all(inFlight);
  const revoked = await revoke;

  const sorted = [...latencies].sort((a, b) => a - b);
  const p99 = percentile(sorted, 99);
  const max = sorted[sorted.length - 1] as number;
  console.log(`during a ${LOCK_MS} ms BEGIN EXCLUSIVE: ${sorted.length} probes, p50 ${percentile(sorted, 50).toFixed(1)} ms, ` +
    `p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms; revoke sent while locked answered ${revoked.status}`);
  assert.ok(revokeSentWhileLocked, 'the revoke was sent while the lock was held');
  assert.deepEqual(failures, [], 'every probe answered 200');
  assert.ok(sorted.length >= 100, `enough probes ran (${sorted.length})`);
  // The defect guarded is a multi-second freeze (busy_timeout 5000 inside a synchronous call); the
  // bound is generous for a shared 2-core machine.
  assert.ok(p99 < 500, `p99 ${p99.toFixed(1)} ms`);
  assert.ok(max < 2_500, `max ${max.toFixed(1)} ms`);

  if (revoked.status === 503) {
    assert.ok(revoked.headers.get('retry-after') !== null, 'a 503 says when to retry');
    assert.equal(revoked.body.code, 'ERR_STORE_UNAVAILABLE');
    // Nothing was half applied: the token still works until it is revoked for real.
    assert.equal((await request(`${server.url}/api/v1/auth/me`, { bearer: victim.access_token })).status, 200);
  } else {
    assert.equal(revoked.status, 200, revoked.text);
    assert.equal((await request(`${server.url}/api/v1/auth/me`, { bearer: victim.access_token })).status, 401, 'the acknowledged revocation is in force');
    await server.restart();
    assert.equal((await request(`${server.url}/api/v1/auth/me`, { bearer: victim.access_token })).status, 401, 'and survives a restart');
  }
});
