/**
 * Issue 17, item 11: a key generated in-process and then exported to JWK could deadlock the main
 * thread inside Node's crypto — ExportJWK holds the key's mutex, allocates, the allocation runs a
 * GC, the GC frees the finished generation job, whose destructor locks the same mutex. newKeyPair
 * (src/keys/new-key-pair.ts) hands out KeyObjects that share nothing with a job. This runs the
 * pattern thousands of times with the collector forced into the exports, in a child process: a
 * deadlock is a child that stops reporting progress, killed and reported, never a hung suite.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { newKeyPair } from '../../src/keys/new-key-pair.js';
import { runBounded } from '../support/bounded-child.js';
import { REPO_ROOT } from '../support/server-process.js';

const ED25519_PAIRS = 5000;
const P256_PAIRS = 1000;
/** The child reports every 50 pairs (well under a second each): this much silence is a deadlock. */
const SILENCE_MS = 30_000;

test('new key pairs export to JWK under constant garbage collection without deadlocking (Ed25519 and P-256)', async () => {
  const stress = path.join(REPO_ROOT, 'test/fixtures/keygen-jwk-export-stress.ts');
  const run = await runBounded(
    process.execPath,
    [
      '--import',
      'tsx',
      '--max-semi-space-size=1',
      stress,
      String(ED25519_PAIRS),
      String(P256_PAIRS),
    ],
    {
      cwd: REPO_ROOT,
      silenceMs: SILENCE_MS,
    },
  );
  const lastProgress = run.output.trim().split('\n').at(-1);
  assert.equal(
    run.killedForSilence,
    false,
    `the child stopped reporting (last line: ${lastProgress}) and was killed after ${SILENCE_MS} ms of silence: deadlocked generating or exporting a key`,
  );
  assert.equal(run.code, 0, run.output);
  assert.match(run.output, new RegExp(`^done ${ED25519_PAIRS} ${P256_PAIRS}$`, 'm'));
});

test("newKeyPair: the public key is the private key's, as JWK of the expected curve", () => {
  for (const [alg, kty, crv] of [
    ['EdDSA', 'OKP', 'Ed25519'],
    ['ES256', 'EC', 'P-256'],
  ] as const) {
    const { privateKey, publicKey } = newKeyPair(alg);
    const privateJwk = privateKey.export({ format: 'jwk' });
    const publicJwk = publicKey.export({ format: 'jwk' });
    assert.equal(privateKey.type, 'private');
    assert.equal(publicKey.type, 'public');
    assert.deepEqual({ kty: publicJwk.kty, crv: publicJwk.crv }, { kty, crv }, alg);
    assert.deepEqual(
      { ...privateJwk, d: undefined },
      { ...publicJwk, d: undefined },
      `${alg}: same public part`,
    );
    assert.notDeepEqual(
      newKeyPair(alg).publicKey.export({ format: 'jwk' }),
      publicJwk,
      `${alg}: a new key each time`,
    );
  }
});
