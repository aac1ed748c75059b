/**
 * The PostgreSQL store alone (no HTTP), issue 21: `BENCH_BATCH_CALLERS` (10) callers each revoke
 * distinct access tokens one after another, `BENCH_BATCH_REVOCATIONS` (2000) in all, so group
 * commit batches them as the HTTP bench's 10 connections do. Prints revocations/s, transactions
 * (batches), the mean batch and the statements sent per revocation — counted on pg's Client, each
 * one a round trip made under the feed lock. Not part of `npm run bench`; run it directly:
 *
 *   node --import tsx bench/revoke-batch-statements.ts
 */
import pg from 'pg';
import { createPostgresStore } from '../src/stores/postgres/postgres-store.js';
import type { RevocationContext } from '../src/stores/types.js';
import { TEST_AUDIT_KEY } from '../test/support/audit-key.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { intEnv } from './env.js';

const revocations = intEnv('BENCH_BATCH_REVOCATIONS', 2_000);
const callers = intEnv('BENCH_BATCH_CALLERS', 10);

const context = (): RevocationContext => ({
  initiator: 'user',
  reason: 'user_request',
  actor: { type: 'client', id: 'bench' },
  ip: '127.0.0.1',
  nowMs: Date.now(),
  accessCoverMs: 60_000,
});

const db = await createTestDatabase('bench_revoke_batch');
const store = await createPostgresStore(db.url, { auditChainKey: TEST_AUDIT_KEY });
let statements = 0;
let transactions = 0;
const proto = pg.Client.prototype as unknown as Record<'query', (...a: unknown[]) => unknown>;
const { query } = proto;
proto.query = function (this: pg.Client, ...args: unknown[]) {
  statements++;
  if (args[0] === 'BEGIN') transactions++;
  return query.apply(this, args);
};
try {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    [...Array(callers)].map(async () => {
      for (let i = next++; i < revocations; i = next++)
        await store.revoke(
          { scope: 'token', issuer: 'bench', jti: `jti-${i}`, expiresAtMs: Date.now() + 3_600_000 },
          context(),
        );
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(
    `${revocations} token revocations, ${callers} callers: ` +
      `${(revocations / seconds).toFixed(0)}/s, ` +
      `${transactions} transactions (mean batch ${(revocations / transactions).toFixed(1)}), ` +
      `${(statements / revocations).toFixed(2)} statements per revocation, ` +
      `${((1000 * seconds) / transactions).toFixed(2)} ms per transaction`,
  );
} finally {
  proto.query = query;
  await store.close();
  await db.drop();
}
