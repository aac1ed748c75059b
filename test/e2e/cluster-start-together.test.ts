/**
 * N instances started at the same moment on a fresh database all come up and agree (issue 10:
 * migrations and first-start setup safe when N instances start at once) — a deployment that rolls
 * out every instance together, or a restart of the whole cluster on a new database.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cluster } from '../support/cluster.js';
import { login, request } from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from '../support/server-process.js';

for (const backend of ['postgres', 'sqlite'] as const) {
  test(`three instances started at once on a fresh ${backend} database all come up and accept each other's tokens`, async () => {
    const cluster = await Cluster.start({
      label: `start_together_${backend}`,
      instances: 3,
      backend,
      startTogether: true,
    });
    try {
      const admins = await Promise.all(
        cluster.instances.map((s) => login(s.url, ADMIN_EMAIL, ADMIN_PASSWORD)),
      );
      for (const server of cluster.instances) {
        for (const admin of admins) {
          const me = await request(`${server.url}/api/v1/auth/me`, { bearer: admin.access_token });
          assert.equal(me.status, 200, me.text);
          assert.equal(me.body.email, ADMIN_EMAIL, 'one admin, whichever instance made it');
        }
      }
    } finally {
      await cluster.stop();
    }
  });
}
