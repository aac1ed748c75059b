/**
 * Signing keys in the store (issue 10): a new key's private half is sealed into its row, never a
 * file, so a second instance on the same database — with its own data directory — signs with it;
 * an instance with another service secret refuses to start instead of replacing the key; a key
 * made by an older version (private half in `<dataDir>/keys/<kid>.json`) still signs and is moved
 * into the store once; and N instances starting at once on a fresh database end up signing with
 * one key (SQLite and PostgreSQL). Real databases, real keys.
 */
import assert from 'node:assert/strict';
import { sign, verify } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { calculateJwkThumbprint } from 'jose';
import { type Config, loadConfig } from '../../src/core/config.js';
import type { KeyRing } from '../../src/core/tokens/key-ring.js';
import { KeyManager } from '../../src/keys/key-manager.js';
import { newKeyPair } from '../../src/keys/new-key-pair.js';
import { PrivateKeySealer } from '../../src/keys/sealed-private-key.js';
import { openStore } from '../../src/stores/open-store.js';
import { createSqliteStore, type SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { RevokdStore } from '../../src/stores/types.js';
import { TEST_AUDIT_KEY } from '../support/audit-key.js';
import { createTestDatabase } from '../support/postgres.js';
import { tempDir } from '../support/server-process.js';

const SECRET = Buffer.from('the cluster service secret, 32 bytes or more');
const stores: SqliteStore[] = [];
after(async () => {
  for (const store of stores) await store.close();
});

/** One "instance": its own data directory and its own connection to the shared database file. */
async function instance(
  dbFile: string,
  secret: Buffer = SECRET,
): Promise<{ manager: KeyManager; store: SqliteStore; config: Config }> {
  const config = loadConfig({ REVOKD_DATA_DIR: tempDir('keys-instance') });
  const store = await createSqliteStore(dbFile, { auditChainKey: TEST_AUDIT_KEY });
  stores.push(store);
  return { manager: new KeyManager(config, store, new PrivateKeySealer(secret)), store, config };
}

function freshDatabase(): string {
  return path.join(tempDir('keys-db'), 'revokd.db');
}

/** The ring signs something its own published key for that kid verifies, and `other` verifies it too. */
function assertSignsAs(ring: KeyRing, kid: string, other: KeyRing = ring): void {
  assert.equal(ring.signing?.kid, kid);
  const data = Buffer.from('a token body');
  const signature = sign(null, data, ring.signing.privateKey);
  const verifier = other.verification.get(kid);
  assert.ok(verifier !== undefined, `${kid} is in the other ring`);
  assert.equal(verify(null, data, verifier.key, signature), true);
}

/** What an older revokd left: a key row without a sealed half and `<dataDir>/keys/<kid>.json`. */
async function legacyKey(
  store: SqliteStore,
  dataDir: string,
  status: 'active' | 'retired' = 'active',
): Promise<{ kid: string; file: string }> {
  const { privateKey, publicKey } = newKeyPair('EdDSA');
  const publicJwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
  const now = Date.now();
  await store.insertSigningKey(
    {
      kid,
      alg: 'EdDSA',
      publicJwk: { ...publicJwk, kid, alg: 'EdDSA', use: 'sig' },
      status,
      createdAtMs: now,
      retiredAtMs: status === 'retired' ? now : null,
      revokedAtMs: null,
      privateKeySealed: null,
    },
    status === 'active',
    {
      type: 'key.rotated',
      actorType: 'system',
      actorId: null,
      targetType: 'key',
      targetId: kid,
      ip: null,
      details: { alg: 'EdDSA' },
    },
  );
  fs.mkdirSync(path.join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, 'keys', `${kid}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify({ kid, alg: 'EdDSA', privateJwk: privateKey.export({ format: 'jwk' }) }),
    { mode: 0o600 },
  );
  return { kid, file };
}

async function sealedOf(store: SqliteStore, kid: string): Promise<string | null | undefined> {
  return (await store.listSigningKeys()).find((k) => k.kid === kid)?.privateKeySealed;
}

test('a new key is sealed into its row and written to no file; another instance with the same secret signs with it and with the next one', async () => {
  const db = freshDatabase();
  const a = await instance(db);
  const report = await a.manager.ensureKeys();
  assert.deepEqual(report.sealedFromFiles, []);
  const kid = report.created as string;
  assert.equal(typeof kid, 'string');
  assert.equal(fs.existsSync(path.join(a.config.dataDir, 'keys')), false, 'no keys/ directory');
  const sealed = await sealedOf(a.store, kid);
  assert.match(sealed ?? '', /^v1\./);
  const ringA = await a.manager.loadRing();
  const d = (ringA.signing?.privateKey.export({ format: 'jwk' }) as { d: string }).d;
  assert.ok(!(sealed as string).includes(d), 'the private d is not in the row in clear');

  const b = await instance(db);
  assert.deepEqual(
    await b.manager.ensureKeys(),
    { sealedFromFiles: [], created: undefined },
    'the second instance creates nothing',
  );
  const ringB = await b.manager.loadRing();
  assertSignsAs(ringB, kid, ringA);
  assertSignsAs(ringA, kid, ringB);

  const rotated = await a.manager.rotate({ type: 'cli', id: null });
  assert.equal('privateKeySealed' in rotated, false, 'what rotate returns carries no private half');
  assert.equal(
    (await a.manager.list()).some((k) => 'privateKeySealed' in k),
    false,
    'nor does list',
  );
  assertSignsAs(await b.manager.loadRing(), rotated.kid, await a.manager.loadRing());
});

test('an instance with another service secret refuses to start, naming REVOKD_SECRET, and creates no key', async () => {
  const db = freshDatabase();
  const a = await instance(db);
  await a.manager.ensureKeys();
  const before = await a.store.listSigningKeys();
  const stranger = await instance(db, Buffer.from('a different secret, also 32 bytes or more'));
  await assert.rejects(
    stranger.manager.ensureKeys(),
    /does not open with this service secret: every instance on one database must run with the same REVOKD_SECRET/,
  );
  await assert.rejects(stranger.manager.loadRing(), /REVOKD_SECRET/);
  assert.deepEqual(await a.store.listSigningKeys(), before, 'the key is left as it was');
});

test('a key made before sealing still signs from its file, and the first start moves it into the store once', async () => {
  const db = freshDatabase();
  const a = await instance(db);
  const { kid, file } = await legacyKey(a.store, a.config.dataDir);
  // Before any start of this version (an older one rotated while this one runs): read from the file.
  assertSignsAs(await a.manager.loadRing(), kid);

  assert.deepEqual(await a.manager.ensureKeys(), { sealedFromFiles: [kid], created: undefined });
  assert.match((await sealedOf(a.store, kid)) ?? '', /^v1\./);
  assert.equal(fs.existsSync(file), true, 'the file is left for a rollback');
  assert.deepEqual(
    await a.manager.ensureKeys(),
    { sealedFromFiles: [], created: undefined },
    'moved once',
  );

  // An instance that never had the file signs with the key now.
  const b = await instance(db);
  assert.deepEqual(await b.manager.ensureKeys(), { sealedFromFiles: [], created: undefined });
  assertSignsAs(await b.manager.loadRing(), kid, await a.manager.loadRing());
});

test('a retired legacy key is not copied into the store; a legacy file holding another key is refused', async () => {
  const db = freshDatabase();
  const a = await instance(db);
  const retired = await legacyKey(a.store, a.config.dataDir, 'retired');
  const report = await a.manager.ensureKeys();
  assert.deepEqual(report.sealedFromFiles, []);
  assert.equal(
    await sealedOf(a.store, retired.kid),
    null,
    'a retired key never signs again: its private half stays where it was',
  );
  assert.notEqual(report.created, undefined);

  const b = await instance(freshDatabase());
  const swapped = await legacyKey(b.store, b.config.dataDir);
  const other = newKeyPair('EdDSA').privateKey.export({ format: 'jwk' });
  fs.writeFileSync(
    swapped.file,
    JSON.stringify({ kid: swapped.kid, alg: 'EdDSA', privateJwk: other }),
  );
  await assert.rejects(
    b.manager.ensureKeys(),
    new RegExp(`legacy key file of signing key ${swapped.kid} holds a different key`),
  );
  assert.equal(await sealedOf(b.store, swapped.kid), null);
});

/** Starts `instances` on one fresh database at once: one key stays active and every ring signs with it. */
async function assertConcurrentStartsAgree(
  all: ReadonlyArray<{ manager: KeyManager; store: RevokdStore }>,
): Promise<void> {
  await Promise.all(all.map((i) => i.manager.ensureKeys()));
  const keys = await all[0]!.store.listSigningKeys();
  const active = keys.filter((k) => k.status === 'active');
  assert.equal(active.length, 1, JSON.stringify(keys.map((k) => [k.kid, k.status])));
  const rings = await Promise.all(all.map((i) => i.manager.loadRing()));
  for (const ring of rings) assertSignsAs(ring, active[0]!.kid, rings[0]);
  // Any key a racing start created and lost stays published, so a token it signed still verifies.
  for (const key of keys) for (const ring of rings) assert.ok(ring.verification.has(key.kid));
}

test('three instances starting at once on a fresh SQLite database sign with the one active key', async () => {
  const db = freshDatabase();
  await assertConcurrentStartsAgree(await Promise.all([instance(db), instance(db), instance(db)]));
});

test('three instances starting at once on a fresh PostgreSQL database (three pools) sign with the one active key', async (t) => {
  const database = await createTestDatabase('key_manager_starts');
  t.after(() => database.drop());
  const all = await Promise.all(
    [0, 1, 2].map(async () => {
      const store = await openStore(database.url, { auditChainKey: TEST_AUDIT_KEY });
      t.after(() => store.close());
      return {
        store,
        manager: new KeyManager(
          loadConfig({ REVOKD_DATA_DIR: tempDir('keys-instance') }),
          store,
          new PrivateKeySealer(SECRET),
        ),
      };
    }),
  );
  await assertConcurrentStartsAgree(all);
});
