/**
 * Issue 21: a verifier whose first snapshot holds 200 000 revocations gets all of it over the push
 * stream — the server reads it from the store page by page and sends parts of at most 64 KiB — and
 * decides correctly: the token revoked among the bulk rows is refused, a live one accepted. Two
 * raw streams opened together show the parts as they go over the wire: bounded in bytes and in
 * revocations, every revocation there, the same parts for both. The rows
 * are written in bulk (test/support/bulk-revocations.ts) while the server is down, half before and
 * half after the API revocation. Correctness at scale only: no timing is asserted.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { type Verifier, createVerifier } from '../../packages/verifier/src/index.js';
import { bulkRevokeSqlite } from '../support/bulk-revocations.js';
import { login } from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess, tempDir } from '../support/server-process.js';
import { type SseEvent, openSse } from '../support/sse-client.js';
import { STREAM_PATH, adminRevoker, createStreamClient } from '../support/stream-setup.js';

const HALF = 100_000;
/** What the server promises a part's data to be at most (snapshot-parts.ts SNAPSHOT_PART_BYTES). */
const PART_BYTES = 64 * 1024;

const jtiOf = (token: string): string =>
  (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti;

describe('a verifier’s first snapshot of 200 k revocations over the stream', () => {
  const dataDir = tempDir('stream-scale');
  let server: ServerProcess | undefined;
  let verifier: Verifier | undefined;
  after(async () => {
    await verifier?.close();
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const bulk = (): number => bulkRevokeSqlite(path.join(dataDir, 'revokd.db'), { count: HALF });

  let live = '';
  let revoked = '';

  test(
    'the store holds 200 k revocations with one revoked token among them',
    { timeout: 170_000 },
    async () => {
      const command = [process.execPath, 'dist/src/cli/main.js', 'serve'];
      server = await ServerProcess.start({
        dataDir,
        env: { REVOKD_LOG_LEVEL: 'warn' },
        command,
        readyTimeoutMs: 160_000,
      });
      live = (await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
      revoked = (await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
      // Bulk rows only with the server down: a running replica would read and chain each of them.
      await server.kill();
      bulk();
      await server.spawn();
      await (
        await adminRevoker(server.url)
      )('jti', jtiOf(revoked));
      await server.kill();
      bulk();
      await server.spawn();
    },
  );

  test(
    'two streams opened together get the same parts, each at most 64 KiB and 2 000 revocations',
    { timeout: 170_000 },
    async () => {
      const reader = await createStreamClient((args) => server!.cli(args), 'scale-raw');
      const url = `${server!.url}${STREAM_PATH}`;
      const streams = await Promise.all([
        openSse(url, { authorization: reader.basic }),
        openSse(url, { authorization: reader.basic }),
      ]);
      try {
        const snapshots = await Promise.all(streams.map((s) => s.snapshot(150_000)));
        const parts = (events: SseEvent[]) => events.filter((e) => e.event === 'snapshot');
        const [first, second] = snapshots.map(parts) as [SseEvent[], SseEvent[]];
        assert.ok(first.length > 100, `${first.length} parts`);
        const jtis = new Set<string>();
        for (const part of first) {
          const bytes = Buffer.byteLength(JSON.stringify(part.data));
          assert.ok(bytes <= PART_BYTES, `part ${part.data.part}: ${bytes} bytes`);
          assert.ok(part.data.revocations.length <= 2_000);
          for (const r of part.data.revocations) if (r.scope === 'token') jtis.add(r.jti);
        }
        assert.ok(jtis.size >= 2 * HALF + 1, `${jtis.size} token revocations in the snapshot`);
        assert.ok(jtis.has(jtiOf(revoked)), 'the API revocation is among them');
        // The same snapshot, part for part. (Its proof too when both shared one read, which depends
        // on when each request got past its authentication: not asserted.)
        const withoutProof = (events: SseEvent[]) =>
          events.map((e) => [e.id, { ...e.data, proof: undefined }]);
        assert.deepEqual(withoutProof(second), withoutProof(first));
      } finally {
        for (const s of streams) s.close();
      }
    },
  );

  test(
    'the verifier refuses the revoked token and accepts the live one',
    { timeout: 170_000 },
    async () => {
      const reader = await createStreamClient((args) => server!.cli(args), 'scale-verifier');
      const base = server!.url;
      verifier = await createVerifier({
        issuer: base,
        audience: base,
        jwksUri: `${base}/.well-known/jwks.json`,
        stream: {
          url: `${base}${STREAM_PATH}`,
          clientId: reader.client_id,
          clientSecret: reader.client_secret,
        },
        maxStalenessMs: 5_000,
        failMode: 'closed',
        startTimeoutMs: 150_000,
      });
      await assert.rejects(verifier.verify(revoked), { code: 'ERR_TOKEN_REVOKED' });
      const claims = await verifier.verify(live);
      assert.equal(claims.jti, jtiOf(live));
    },
  );
});
