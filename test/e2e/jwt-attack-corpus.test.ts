/**
 * The JWT attack corpus against one real server process: every forged, confused, tampered or
 * out-of-policy access token is refused by a bearer route (401 + WWW-Authenticate, never 5xx) and
 * is exactly `{"active":false}` at RFC 7662 introspection. See REFERENCE.md, "What jose already
 * rejects": this file checks that the app adds every check jose leaves to it.
 *
 * To prove the claim checks (not just the signature check) we forge tokens with the server's own
 * private key, opened from its sealed row with the data directory's service secret; a correctly
 * forged token is accepted first, so each negative case differs from an accepted token only in the
 * property under test.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { type KeyObject, createHmac, createPublicKey, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, calculateJwkThumbprint } from 'jose';
import { newKeyPair } from '../../src/keys/new-key-pair.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess } from '../support/server-process.js';
import {
  type JsonResponse,
  createClientViaAdmin,
  introspect,
  login,
  request,
} from '../support/http-client.js';
import { openServerPrivateKey, readSigningKeyRows } from '../support/server-signing-key.js';

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const b64url = (value: string | Buffer | Uint8Array): string =>
  Buffer.from(value).toString('base64url');
const jsonSegment = (value: unknown): string => b64url(JSON.stringify(value));
const nowSec = (): number => Math.floor(Date.now() / 1000);
const newJti = (): string => randomBytes(16).toString('base64url');

/** The last character's 6-bit value with its lowest bit flipped: only padding bits change for Ed25519 (64 bytes → 86 chars, 4 padding bits). */
function flipLowBitsOfLastChar(token: string): string {
  const last = token.at(-1) as string;
  const value = B64URL.indexOf(last);
  assert.ok(value >= 0, `last character ${last} is base64url`);
  const flipped = B64URL[value ^ 0b01] as string;
  assert.notEqual(flipped, last);
  return token.slice(0, -1) + flipped;
}

describe('JWT attack corpus', () => {
  let server: ServerProcess;
  let adminToken: string;
  let adminId: string;
  let client: { client_id: string; client_secret: string };
  let serverKid: string;
  let serverPrivateKey: KeyObject;
  let publishedJwk: Record<string, unknown>;
  let serverPublicKey: KeyObject;
  let attackerPrivateKey: KeyObject;
  let attackerPublicJwk: Record<string, unknown>;
  let attackerKid: string;
  let listener: http.Server;
  let listenerUrl: string;
  const listenerRequests: string[] = [];
  let pwnedExistedBefore = false;

  before(async () => {
    pwnedExistedBefore = fs.existsSync('/tmp/pwned');
    server = await ServerProcess.start();
    const session = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    adminToken = session.access_token;
    const me = await request<{ id: string }>(`${server.url}/api/v1/auth/me`, {
      bearer: adminToken,
    });
    assert.equal(me.status, 200, me.text);
    adminId = me.body.id;
    client = await createClientViaAdmin(server.url, adminToken, 'attack-corpus-introspector');

    const jwks = await request<{ keys: Array<Record<string, unknown>> }>(
      `${server.url}/.well-known/jwks.json`,
    );
    assert.equal(jwks.status, 200);
    assert.equal(jwks.body.keys.length, 1, 'a fresh server publishes one key');
    publishedJwk = jwks.body.keys[0] as Record<string, unknown>;
    serverKid = publishedJwk.kid as string;
    assert.equal(typeof serverKid, 'string');
    serverPublicKey = createPublicKey({ key: publishedJwk as never, format: 'jwk' });

    assert.equal(
      readSigningKeyRows(server.dataDir).find((row) => row.kid === serverKid)?.alg,
      'EdDSA',
    );
    serverPrivateKey = openServerPrivateKey(server.dataDir, serverKid);

    const attacker = newKeyPair('EdDSA');
    attackerPrivateKey = attacker.privateKey;
    attackerPublicJwk = attacker.publicKey.export({ format: 'jwk' });
    attackerKid = await calculateJwkThumbprint(attackerPublicJwk, 'sha256');

    // The attacker's key server: anything the service fetches from jku/x5u lands here.
    listener = http.createServer((req, res) => {
      listenerRequests.push(`${req.method} ${req.url}`);
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          keys: [
            { ...attackerPublicJwk, kid: attackerKid, alg: 'EdDSA', use: 'sig' },
            { ...attackerPublicJwk, kid: serverKid, alg: 'EdDSA', use: 'sig' },
          ],
        }),
      );
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    listenerUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  });

  after(async () => {
    await server?.stop();
    await new Promise<void>((resolve) =>
      listener === undefined ? resolve() : listener.close(() => resolve()),
    );
  });

  /** The claim set the server itself issues (src/core/tokens/access-token.ts), with overrides. */
  function claims(
    overrides: Record<string, unknown> = {},
    omit: readonly string[] = [],
  ): Record<string, unknown> {
    const iat = nowSec();
    const base: Record<string, unknown> = {
      iss: server.url,
      aud: server.url,
      sub: adminId,
      sid: newJti(),
      client_id: 'revokd',
      scope: '',
      gen: 0,
      ugen: 0,
      cgen: 0,
      jti: newJti(),
      iat,
      nbf: iat,
      exp: iat + 900,
      ...overrides,
    };
    for (const name of omit) delete base[name];
    return base;
  }

  async function forge(
    payload: Record<string, unknown>,
    options: { header?: Record<string, unknown>; key?: KeyObject } = {},
  ): Promise<string> {
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'EdDSA', kid: serverKid, typ: 'at+jwt', ...options.header })
      .sign(options.key ?? serverPrivateKey);
  }

  function hs256(keyBytes: Buffer | string): string {
    const input = `${jsonSegment({ alg: 'HS256', kid: serverKid, typ: 'at+jwt' })}.${jsonSegment(claims())}`;
    return `${input}.${createHmac('sha256', keyBytes).update(input).digest('base64url')}`;
  }

  async function me(token: string): Promise<JsonResponse> {
    return request(`${server.url}/api/v1/auth/me`, { bearer: token });
  }

  async function assertAccepted(token: string, label: string): Promise<void> {
    const res = await me(token);
    assert.equal(res.status, 200, `${label}: /me ${res.status} ${res.text}`);
    assert.equal(res.body.id, adminId, label);
    const intro = await introspect(server.url, client, token);
    assert.equal(intro.status, 200, `${label}: introspect ${intro.text}`);
    assert.equal(intro.body.active, true, `${label}: introspect ${intro.text}`);
  }

  async function assertRejected(token: string, label: string): Promise<JsonResponse> {
    const res = await me(token);
    assert.equal(res.status, 401, `${label}: /me answered ${res.status} ${res.text}`);
    const challenge = res.headers.get('www-authenticate');
    assert.ok(
      challenge !== null && /^Bearer\b/.test(challenge),
      `${label}: WWW-Authenticate is ${String(challenge)}`,
    );
    assert.equal(res.body?.error, 'invalid_token', `${label}: ${res.text}`);
    assert.equal(typeof res.body?.code, 'string', label);
    const intro = await introspect(server.url, client, token);
    assert.equal(intro.status, 200, `${label}: introspect answered ${intro.status} ${intro.text}`);
    assert.deepEqual(intro.body, { active: false }, `${label}: introspect ${intro.text}`);
    return res;
  }

  test('control: a token forged with the server key and the server claim set is accepted', async () => {
    await assertAccepted(await forge(claims()), 'forged control');
    // And the admin's real token too.
    await assertAccepted(adminToken, 'issued token');
  });

  test('alg none in every casing, empty signature', async () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      for (const header of [
        { alg, typ: 'at+jwt' },
        { alg, kid: serverKid, typ: 'at+jwt' },
      ]) {
        await assertRejected(
          `${jsonSegment(header)}.${jsonSegment(claims())}.`,
          `alg=${alg} kid=${String((header as { kid?: string }).kid)}`,
        );
      }
    }
  });

  test("HS256 HMAC'd with the published public key (PEM, JWK JSON, DER), correct kid", async () => {
    const pem = serverPublicKey.export({ type: 'spki', format: 'pem' }) as string;
    const der = serverPublicKey.export({ type: 'spki', format: 'der' });
    const exportedJwk = serverPublicKey.export({ format: 'jwk' });
    const forms: Array<[string, Buffer | string]> = [
      ['PEM (SPKI)', pem],
      ['PEM without trailing newline', pem.trimEnd()],
      ['JWK JSON as published in the JWKS', JSON.stringify(publishedJwk)],
      ['JWK JSON as exported by node:crypto', JSON.stringify(exportedJwk)],
      ['DER (SPKI)', der],
      ['raw 32-byte public key', Buffer.from(exportedJwk.x as string, 'base64url')],
    ];
    for (const [label, key] of forms) await assertRejected(hs256(key), `HS256 with ${label}`);
  });

  test('kid with path traversal, SQL injection and shell injection', async () => {
    const kids = [
      '../../../dev/null',
      '/dev/null',
      `../keys/${serverKid}`,
      `${serverKid}/../${serverKid}`,
      "' OR 1=1 --",
      `${serverKid}' OR '1'='1`,
      '$(touch /tmp/pwned)',
      '; rm -rf /',
      '`touch /tmp/pwned`',
      `${serverKid}\u0000`,
      '',
    ];
    for (const kid of kids) {
      await assertRejected(
        await forge(claims(), { header: { kid } }),
        `kid=${JSON.stringify(kid)}`,
      );
    }
    // A kid that is not a string at all.
    await assertRejected(await forge(claims(), { header: { kid: 1 } }), 'numeric kid');
    await assertRejected(await forge(claims(), { header: { kid: [serverKid] } }), 'array kid');
    // No kid at all.
    const noKid = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt' })
      .sign(serverPrivateKey);
    await assertRejected(noKid, 'no kid');
    if (!pwnedExistedBefore)
      assert.equal(fs.existsSync('/tmp/pwned'), false, 'no shell ran the kid');
  });

  test('jku, x5u and embedded jwk pointing at / carrying an attacker key are rejected and nothing is fetched', async () => {
    const jku = `${listenerUrl}/jwks.json`;
    const x5u = `${listenerUrl}/cert.pem`;
    const attackerJwk = { ...attackerPublicJwk };
    const cases: Array<[string, Record<string, unknown>]> = [
      ['jku, attacker kid', { jku, kid: attackerKid }],
      ['jku, server kid', { jku, kid: serverKid }],
      ['x5u, attacker kid', { x5u, kid: attackerKid }],
      ['x5u, server kid', { x5u, kid: serverKid }],
      ['embedded jwk, no kid', { jwk: attackerJwk, kid: undefined }],
      [
        'embedded jwk, attacker kid',
        { jwk: { ...attackerJwk, kid: attackerKid }, kid: attackerKid },
      ],
      ['embedded jwk, server kid', { jwk: { ...attackerJwk, kid: serverKid }, kid: serverKid }],
      ['jku + x5u + jwk, server kid', { jku, x5u, jwk: attackerJwk, kid: serverKid }],
    ];
    for (const [label, header] of cases) {
      const clean = Object.fromEntries(Object.entries(header).filter(([, v]) => v !== undefined));
      const token = await new SignJWT(claims())
        .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', ...clean })
        .sign(attackerPrivateKey);
      await assertRejected(token, `attacker-signed, ${label}`);
    }
    assert.deepEqual(listenerRequests, [], 'the service fetched nothing from jku/x5u');
  });

  test('jku, x5u and jwk headers on a token signed by the server key are ignored (accepted, nothing fetched)', async () => {
    // REFERENCE.md: jose ignores these headers; the key comes only from the in-memory map by kid.
    const token = await forge(claims(), {
      header: {
        jku: `${listenerUrl}/jwks.json`,
        x5u: `${listenerUrl}/cert.pem`,
        jwk: attackerPublicJwk,
      },
    });
    await assertAccepted(token, 'server-signed with jku/x5u/jwk');
    assert.deepEqual(listenerRequests, [], 'the service fetched nothing from jku/x5u');
  });

  test('signature, key and alg mismatches', async () => {
    await assertRejected(
      await forge(claims(), { key: attackerPrivateKey }),
      'attacker key, server kid, no extra headers',
    );
    const good = await forge(claims());
    const [h, p] = good.split('.') as [string, string, string];
    await assertRejected(`${h}.${p}.`, 'signature stripped');
    await assertRejected(`${h}.${p}.${b64url(randomBytes(64))}`, 'random signature');
    // Payload swapped under an existing signature.
    const other = (await forge(claims())).split('.')[2] as string;
    await assertRejected(`${h}.${p}.${other}`, 'signature of another token');
    // Right key, alg claimed as something else.
    for (const alg of ['ES256', 'RS256', 'HS256', 'Ed25519', 'eddsa']) {
      const input = `${jsonSegment({ alg, kid: serverKid, typ: 'at+jwt' })}.${jsonSegment(claims())}`;
      await assertRejected(
        `${input}.${good.split('.')[2] as string}`,
        `alg=${alg} with an EdDSA signature`,
      );
    }
    // Wrong or missing typ.
    await assertRejected(await forge(claims(), { header: { typ: 'JWT' } }), 'typ JWT');
    const noTyp = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'EdDSA', kid: serverKid })
      .sign(serverPrivateKey);
    await assertRejected(noTyp, 'no typ');
  });

  test('claims out of policy, validly signed with the server key', async () => {
    const now = nowSec();
    const cases: Array<[string, Record<string, unknown>]> = [
      ['expired', claims({ iat: now - 3600, nbf: now - 3600, exp: now - 600 })],
      ['nbf in the future', claims({ iat: now, nbf: now + 600, exp: now + 900 })],
      ['iat one hour in the future', claims({ iat: now + 3600, nbf: now, exp: now + 3600 + 900 })],
      ['missing jti', claims({}, ['jti'])],
      ['numeric jti', claims({ jti: 123456789012 })],
      ['empty jti', claims({ jti: '' })],
      ['missing sid', claims({}, ['sid'])],
      ['numeric sid', claims({ sid: 42 })],
      ['missing exp', claims({}, ['exp'])],
      ['missing iat', claims({}, ['iat'])],
      ['missing sub', claims({}, ['sub'])],
      ['exp as a string', claims({ exp: String(now + 900) })],
      ['missing iss', claims({}, ['iss'])],
      ['wrong iss', claims({ iss: 'https://evil.example' })],
      ['iss with a trailing slash', claims({ iss: `${server.url}/` })],
      ['missing aud', claims({}, ['aud'])],
      ['wrong aud', claims({ aud: 'https://evil.example' })],
      ['wrong aud in an array', claims({ aud: ['https://evil.example'] })],
      ['missing client_id', claims({}, ['client_id'])],
      ['missing generation claims', claims({}, ['gen', 'ugen', 'cgen'])],
    ];
    for (const [label, payload] of cases) await assertRejected(await forge(payload), label);
  });

  test('a revoked token stays revoked when its signature encoding is altered', async () => {
    const session = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const token = session.access_token;
    await assertAccepted(token, 'fresh login');
    const revoked = await request(`${server.url}/api/v1/auth/revoke`, {
      method: 'POST',
      bearer: token,
    });
    assert.equal(revoked.status, 200, revoked.text);
    assert.equal((await assertRejected(token, 'revoked token')).body.code, 'ERR_TOKEN_REVOKED');
    // (a) `==` appended: refused before jose (the token shape allows no `=`).
    await assertRejected(`${token}==`, 'revoked token + "=="');
    // (b) the last character's low bit flipped: the same signature bytes to a lenient decoder, but
    // not the canonical spelling, so refused before the signature is looked at.
    const res = await assertRejected(
      flipLowBitsOfLastChar(token),
      'revoked token, last char low bit flipped',
    );
    assert.equal(res.body.code, 'ERR_INVALID_TOKEN', res.text);
  });

  test('a valid token with a flipped padding bit is refused (one token, one spelling); the original still works', async () => {
    const session = await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const token = session.access_token;
    const flipped = flipLowBitsOfLastChar(token);
    assert.notEqual(flipped, token);
    // jose decodes base64url leniently (the padding bits are ignored): the service must not.
    assert.equal(
      (await assertRejected(flipped, 'flipped padding bit')).body.code,
      'ERR_INVALID_TOKEN',
    );
    await assertAccepted(token, 'original still fine');
  });

  test('nothing was fetched from the attacker listener and the service is still healthy', async () => {
    assert.deepEqual(listenerRequests, []);
    const health = await request(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    assert.doesNotMatch(
      server.output,
      /"level":50|unhandled error/,
      'no unhandled errors were logged',
    );
  });
});
