/**
 * The test harness's own guarantee (test/support/server-process.ts, port-owner.ts): a test server
 * is "ready" only when its own process answers. With three test files at once, a port freePort()
 * handed out can be taken by another file's server first; its /readyz used to pass for ours, and a
 * test then ran against a server it never configured (seen once: a PostgreSQL database "created" by
 * a server that had never started).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ServerProcess } from '../support/server-process.js';
import { portListenerInGroup } from '../support/port-owner.js';

const servers: ServerProcess[] = [];
after(async () => {
  for (const s of servers) await s.stop();
});

test("a server whose port another server holds is never taken for ready: another server's /readyz does not count", async () => {
  const holder = await ServerProcess.start({ env: { REVOKD_LOG_LEVEL: 'warn' } });
  servers.push(holder);
  assert.equal(portListenerInGroup(holder.port, holder.pid), true, 'the holder owns its port');

  const loser = ServerProcess.start({ port: holder.port, env: { REVOKD_LOG_LEVEL: 'warn' } });
  const outcome = await loser.then(
    (s) => {
      servers.push(s);
      return 'ready';
    },
    (err: unknown) => String(err),
  );
  // With an explicit port there is no retry: the start fails, naming why.
  assert.match(outcome, /server exited with 1/);
  assert.match(outcome, /EADDRINUSE/);
});
