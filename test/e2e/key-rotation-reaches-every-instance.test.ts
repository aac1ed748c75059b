/**
 * Signing keys live in the database (issue 10): two server processes on one database, each with
 * its own data directory and nothing shared but the database and REVOKD_SECRET — on SQLite (one
 * file) and on PostgreSQL. The second signs with the key the first created; `revokd keys rotate`
 * from a CLI with a third data directory reaches both (they sign with the new kid, and each accepts
 * the other's tokens); the new key has no file anywhere and its row holds the private half sealed,
 * not in clear; and `revokd keys revoke` of the old key makes both reject its tokens and drop it
 * from their JWKS.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import pg from 'pg';
import { PrivateKeySealer } from '../../src/keys/sealed-private-key.js';
import { login, request } from '../support/http-client.js';
import { createTestDatabase } from '../support/postgres.js';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  ServerProcess,
  runCli,
  tempDir,
} from '../support/server-process.js';
import { type SigningKeyRow, readSigningKeyRows } from '../support/server-signing-key.js';
import { until } from '../support/until.js';

/** Where the shared database is, and how the test reads its signing-key rows directly. */
interface SharedDatabase {
  readonly url: string;
  rows(): Promise<SigningKeyRow[]>;
  drop(): Promise<void>;
}

async function sqliteDatabase(): Promise<SharedDatabase> {
  const dir = tempDir('keys-shared-db');
  return {
    url: `sqlite:${path.join(dir, 'revokd.db')}`,
    rows: async () => readSigningKeyRows(dir),
    drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

async function postgresDatabase(): Promise<SharedDatabase> {
  const db = await createTestDatabase('key_rotation');
  return {
    url: db.url,
    rows: async () => {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        return (
          await client.query<SigningKeyRow>(
            'SELECT kid, alg, status, private_key_sealed FROM signing_keys ORDER BY created_at, kid',
          )
        ).rows;
      } finally {
        await client.end();
      }
    },
    drop: () => db.drop(),
  };
}

for (const [backend, openDatabase] of [
  ['SQLite', sqliteDatabase],
  ['PostgreSQL', postgresDatabase],
] as const) {
  describe(`signing keys shared through the database (${backend})`, () => {
    const SECRET = randomBytes(32).toString('hex');
    const cliDataDir = tempDir('keys-cli');
    let database: SharedDatabase;
    let sharedEnv: Record<string, string>;
    let a: ServerProcess;
    let b: ServerProcess;
    /** A token A signed with the first key, kept for the revocation at the end. */
    let firstKey: { kid: string; token: string };

    before(async () => {
      database = await openDatabase();
      sharedEnv = {
        REVOKD_DATABASE_URL: database.url,
        REVOKD_SECRET: SECRET,
        // One issuer, as behind a load balancer, so each instance accepts the other's tokens.
        REVOKD_ISSUER: 'http://revokd.cluster.test',
        // The probes below log in repeatedly; the per-IP login budget is not under test here.
        REVOKD_RATE_LIMIT_LOGIN_PER_MINUTE: '0',
      };
      a = await ServerProcess.start({ env: sharedEnv });
      b = await ServerProcess.start({ env: sharedEnv });
    });

    after(async () => {
      await a?.stop();
      await b?.stop();
      await database?.drop();
      fs.rmSync(cliDataDir, { recursive: true, force: true });
    });

    function cli(
      args: readonly string[],
    ): Promise<{ code: number; stdout: string; stderr: string }> {
      return runCli(args, {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        REVOKD_DATA_DIR: cliDataDir,
        REVOKD_LOG_LEVEL: 'warn',
        ...sharedEnv,
      });
    }

    async function signingKid(server: ServerProcess): Promise<{ kid: string; token: string }> {
      const { access_token: token } = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
      return { kid: decodeProtectedHeader(token).kid as string, token };
    }

    async function meStatus(server: ServerProcess, token: string): Promise<number> {
      return (await request(`${server.url}/api/v1/auth/me`, { bearer: token })).status;
    }

    async function jwksKids(server: ServerProcess): Promise<string[]> {
      return (
        await request<{ keys: Array<{ kid: string }> }>(`${server.url}/.well-known/jwks.json`)
      ).body.keys.map((k) => k.kid);
    }

    function noKeyFiles(): void {
      for (const dir of [a.dataDir, b.dataDir, cliDataDir]) {
        assert.equal(fs.existsSync(path.join(dir, 'keys')), false, `no keys/ directory in ${dir}`);
        assert.equal(
          fs.existsSync(path.join(dir, 'audit-secret')),
          false,
          `with REVOKD_SECRET no secret file in ${dir}`,
        );
      }
    }

    test('the second instance signs with the key the first created, though it never had a file of it', async () => {
      const rows = await database.rows();
      assert.equal(rows.length, 1, 'one key for the two starts');
      const fromA = await signingKid(a);
      const fromB = await signingKid(b);
      firstKey = fromA;
      assert.equal(fromA.kid, rows[0]?.kid);
      assert.equal(fromB.kid, rows[0]?.kid);
      assert.equal(await meStatus(a, fromB.token), 200);
      assert.equal(await meStatus(b, fromA.token), 200);
      noKeyFiles();
    });

    test('`revokd keys rotate` from another process reaches both instances; the new key is sealed in its row and has no file', async (t) => {
      const old = await signingKid(a);
      const rotated = await cli(['keys', 'rotate', '--json']);
      assert.equal(rotated.code, 0, rotated.stderr);
      const { kid } = JSON.parse(rotated.stdout) as { kid: string };
      assert.notEqual(kid, old.kid);
      const startedMs = Date.now();
      const tokens = await until(
        'both instances to sign with the rotated key',
        async () => {
          const [fromA, fromB] = await Promise.all([signingKid(a), signingKid(b)]);
          return fromA.kid === kid && fromB.kid === kid
            ? { fromA: fromA.token, fromB: fromB.token }
            : undefined;
        },
        15_000,
      );
      t.diagnostic(
        `both instances signed with the rotated key ${Date.now() - startedMs} ms after \`keys rotate\` returned (reload every 5 s)`,
      );
      assert.equal(
        await meStatus(a, tokens.fromB),
        200,
        'A accepts what B signed with the new key',
      );
      assert.equal(
        await meStatus(b, tokens.fromA),
        200,
        'B accepts what A signed with the new key',
      );
      assert.equal(await meStatus(b, old.token), 200, 'the retired key still verifies its tokens');

      noKeyFiles();
      const row = (await database.rows()).find((r) => r.kid === kid);
      assert.equal(row?.status, 'active');
      const sealed = row?.private_key_sealed ?? '';
      assert.match(sealed, /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
      const d = (
        new PrivateKeySealer(Buffer.from(SECRET)).open(kid, sealed).export({ format: 'jwk' }) as {
          d: string;
        }
      ).d;
      assert.ok(d.length > 0);
      assert.ok(!sealed.includes(d), 'the private d is not in the row in base64url');
      const raw = Buffer.from(d, 'base64url');
      for (const part of sealed.split('.').slice(1))
        assert.ok(!Buffer.from(part, 'base64url').includes(raw), 'nor as raw bytes');
    });

    test('`revokd keys revoke` of the old key: both instances reject its tokens and drop it from their JWKS', async () => {
      const rows = await database.rows();
      const retired = rows.find((r) => r.status === 'retired')?.kid;
      const active = rows.find((r) => r.status === 'active')?.kid;
      assert.equal(retired, firstKey.kid, JSON.stringify(rows.map((r) => [r.kid, r.status])));
      for (const server of [a, b])
        assert.equal(
          await meStatus(server, firstKey.token),
          200,
          'before: the retired key verifies',
        );
      const revoked = await cli(['keys', 'revoke', retired, '--json']);
      assert.equal(revoked.code, 0, revoked.stderr);
      await until(
        "both instances to reject the revoked key's token and drop it from the JWKS",
        async () => {
          for (const server of [a, b]) {
            if (
              (await meStatus(server, firstKey.token)) !== 401 ||
              (await jwksKids(server)).includes(retired)
            )
              return undefined;
          }
          return true;
        },
        10_000,
      );
      for (const server of [a, b]) {
        assert.deepEqual(await jwksKids(server), [active]);
        assert.equal((await signingKid(server)).kid, active, 'the active key keeps signing');
      }
    });
  });
}
