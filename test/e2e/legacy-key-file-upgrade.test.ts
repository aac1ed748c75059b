/**
 * Upgrading a data directory from a version that kept private signing keys in `<dataDir>/keys/`:
 * the server starts with the same key (tokens issued before keep working, new ones carry the same
 * kid), moves its private half into the database sealed — logged once — and leaves the file for a
 * rollback. The old layout is made the way older versions left it: the key row without a sealed
 * half, the private JWK in `keys/<kid>.json`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { decodeProtectedHeader } from 'jose';
import { login, request } from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess } from '../support/server-process.js';
import { openServerPrivateKey, readSigningKeyRows } from '../support/server-signing-key.js';

let server: ServerProcess | undefined;
after(async () => {
  await server?.stop();
});

test('a key whose private half is a legacy file keeps signing after the upgrade and is moved into the database once', async () => {
  server = await ServerProcess.start();
  const before = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  const kid = decodeProtectedHeader(before.access_token).kid as string;
  const privateJwk = openServerPrivateKey(server.dataDir, kid).export({ format: 'jwk' });
  await server.kill();

  // What an older version left: the private half in a file, none in the row.
  const keysDir = path.join(server.dataDir, 'keys');
  fs.mkdirSync(keysDir, { mode: 0o700 });
  const file = path.join(keysDir, `${kid}.json`);
  fs.writeFileSync(file, JSON.stringify({ kid, alg: 'EdDSA', privateJwk }), { mode: 0o600 });
  const db = new Database(path.join(server.dataDir, 'revokd.db'));
  db.prepare('UPDATE signing_keys SET private_key_sealed = NULL WHERE kid = ?').run(kid);
  db.close();
  assert.equal(
    readSigningKeyRows(server.dataDir).find((r) => r.kid === kid)?.private_key_sealed,
    null,
  );

  await server.spawn();
  assert.equal(
    (await request(`${server.url}/api/v1/auth/me`, { bearer: before.access_token })).status,
    200,
    'a token from before the upgrade',
  );
  const afterUpgrade = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  assert.equal(
    decodeProtectedHeader(afterUpgrade.access_token).kid,
    kid,
    'the same key signs: no rotation',
  );
  const rows = readSigningKeyRows(server.dataDir);
  assert.equal(rows.length, 1);
  assert.match(rows[0]?.private_key_sealed ?? '', /^v1\./);
  assert.equal(fs.existsSync(file), true, 'the file is left for a rollback');
  const moved = (
    server.output.match(/signing key moved from its file in keys\/ into the store/g) ?? []
  ).length;
  assert.equal(moved, 1, server.output);

  // The next start finds it sealed: nothing to move, even without the file.
  fs.rmSync(keysDir, { recursive: true });
  await server.restart();
  assert.equal(
    decodeProtectedHeader((await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token).kid,
    kid,
  );
  assert.equal(
    (server.output.match(/signing key moved from its file/g) ?? []).length,
    1,
    'moved once',
  );
});
