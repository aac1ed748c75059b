/**
 * Issue 21: access tokens are verified without jose (node:crypto on the ring's KeyObjects, a strict
 * header reader and claim check). Every hostile token of the attack corpus
 * (test/e2e/jwt-attack-corpus.test.ts) and REFERENCE.md's probe table, plus what the lean parser
 * adds, is asserted here case by case — its error code, and that jose's `jwtVerify` with the
 * options
 * the service used to pass refuses nothing that we accept (jose is the oracle, run beside us).
 */
import assert from 'node:assert/strict';
import { createHmac, createSecretKey, randomBytes, sign } from 'node:crypto';
import { describe, test } from 'node:test';
import { jwtVerify } from 'jose';
import { isRevokdError } from '../../src/core/errors.js';
import {
  type VerifiedAccessToken,
  type VerifyOptions,
  checkAccessToken,
  signAccessToken,
  verifyAccessToken,
} from '../../src/core/tokens/access-token.js';
import type { JwtAlg, SigningKey, VerificationKey } from '../../src/core/tokens/key-ring.js';
import { VerifiedTokenCache } from '../../src/core/tokens/verified-token-cache.js';
import { newKeyPair } from '../../src/keys/new-key-pair.js';

const ISSUER = 'https://auth.example.com';
const NOW = 1_900_000_000;
const TOLERANCE = 5;
const TTL = 900;
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const b64 = (value: string | Uint8Array): string => Buffer.from(value).toString('base64url');
const segment = (value: unknown): string => b64(JSON.stringify(value));

function makeKey(alg: JwtAlg, kid: string): SigningKey {
  if (alg === 'HS256') {
    const secret = createSecretKey(randomBytes(32));
    return { kid, alg, key: secret, privateKey: secret, publicJwk: null };
  }
  const { privateKey, publicKey } = newKeyPair(alg);
  return { kid, alg, key: publicKey, privateKey, publicJwk: null };
}

const KEYS: Record<JwtAlg, SigningKey> = {
  EdDSA: makeKey('EdDSA', 'ed-key-1'),
  ES256: makeKey('ES256', 'es-key-1'),
  HS256: makeKey('HS256', 'hs-key-1'),
};
const ATTACKER = makeKey('EdDSA', 'attacker');
const ED = KEYS.EdDSA;

function options(
  ring: ReadonlyMap<string, VerificationKey> = new Map(Object.values(KEYS).map((k) => [k.kid, k])),
): VerifyOptions {
  return {
    issuer: ISSUER,
    audience: ISSUER,
    clockToleranceSeconds: TOLERANCE,
    maxLifetimeSeconds: TTL,
    nowSec: NOW,
    resolveKey: (kid) => ring.get(kid),
  };
}

/** The claim set the service issues, with overrides and omissions. */
function claims(
  overrides: Record<string, unknown> = {},
  omit: readonly string[] = [],
): Record<string, unknown> {
  const base: Record<string, unknown> = {
    iss: ISSUER,
    aud: ISSUER,
    sub: 'user-1',
    sid: 'sid-0123456789',
    client_id: 'revokd',
    scope: 'openid',
    gen: 0,
    ugen: 0,
    cgen: 0,
    jti: 'jti-0123456789abcdef',
    iat: NOW,
    nbf: NOW,
    exp: NOW + TTL,
    ...overrides,
  };
  for (const name of omit) delete base[name];
  return base;
}

function signature(key: SigningKey, input: string, alg: JwtAlg = key.alg): Buffer {
  const bytes = Buffer.from(input);
  switch (alg) {
    case 'EdDSA':
      return sign(null, bytes, key.privateKey);
    case 'ES256':
      return sign('sha256', bytes, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
    case 'HS256':
      return createHmac('sha256', key.privateKey).update(bytes).digest();
  }
}

/**
 * A token signed by hand (header and payload given as objects, or as raw text when a string), so
 * that headers jose's SignJWT would refuse to write can be made too.
 */
function forge(
  payload: unknown = claims(),
  header: Record<string, unknown> = {},
  key: SigningKey = ED,
): string {
  const h = { alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header };
  for (const name of Object.keys(h))
    if ((h as Record<string, unknown>)[name] === undefined)
      delete (h as Record<string, unknown>)[name];
  const p = typeof payload === 'string' ? b64(payload) : segment(payload);
  const input = `${segment(h)}.${p}`;
  return `${input}.${b64(signature(key, input))}`;
}

function rawToken(headerText: string, payloadText: string, key: SigningKey = ED): string {
  const input = `${b64(headerText)}.${b64(payloadText)}`;
  return `${input}.${b64(signature(key, input))}`;
}

/** Flips the lowest bit of the last character: the same bytes to a lenient decoder. */
function flipLastLowBit(token: string): string {
  const last = B64URL.indexOf(token.at(-1)!);
  return token.slice(0, -1) + B64URL[last ^ 1];
}

type Outcome = 'accept' | 'ERR_INVALID_TOKEN' | 'ERR_TOKEN_EXPIRED';

async function ours(token: unknown, opts: VerifyOptions = options()): Promise<Outcome> {
  try {
    await verifyAccessToken(token, opts);
    return 'accept';
  } catch (err) {
    assert.ok(isRevokdError(err), `not a RevokdError: ${String(err)}`);
    assert.ok(err.code === 'ERR_INVALID_TOKEN' || err.code === 'ERR_TOKEN_EXPIRED', err.code);
    return err.code;
  }
}

/** What the service asked of jose before issue 21. */
async function joseAccepts(token: string): Promise<boolean> {
  const kid = (() => {
    try {
      return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid as unknown;
    } catch {
      return undefined;
    }
  })();
  const key = Object.values(KEYS).find((k) => k.kid === kid);
  if (key === undefined) return false;
  try {
    await jwtVerify(token, key.key, {
      algorithms: [key.alg],
      issuer: ISSUER,
      audience: ISSUER,
      typ: 'at+jwt',
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'sid', 'client_id'],
      clockTolerance: TOLERANCE,
      currentDate: new Date(NOW * 1000),
    });
    return true;
  } catch {
    return false;
  }
}

async function expect(label: string, token: string, outcome: Outcome): Promise<void> {
  assert.equal(await ours(token), outcome, label);
  // Never weaker than jose: what jose refused, we refuse.
  if (outcome === 'accept')
    assert.ok(await joseAccepts(token), `${label}: we accept what jose refuses`);
}

describe('access token verification (node:crypto, strict parser)', () => {
  test('canonical tokens of each algorithm are accepted, with the claims and stamp', async () => {
    for (const key of Object.values(KEYS)) {
      const { nbf: _nbf, ...issued } = claims();
      const token = await signAccessToken(issued as never, key);
      await expect(`${key.alg} issued by signAccessToken`, token, 'accept');
      await expect(`${key.alg} forged by hand`, forge(claims(), {}, key), 'accept');
      const v = await verifyAccessToken(token, options());
      assert.deepEqual(v.claims, { ...claims(), nbf: NOW });
      assert.equal(v.kid, key.kid);
      assert.equal(v.key, key);
      assert.deepEqual(v.stamp, {
        iss: ISSUER,
        jti: 'jti-0123456789abcdef',
        sid: 'sid-0123456789',
        sub: 'user-1',
        clientId: 'revokd',
        kid: key.kid,
        iat: NOW,
        gen: 0,
        ugen: 0,
        cgen: 0,
      });
    }
  });

  test('what jose accepts, we accept: typ spellings, aud arrays, jku/x5u/jwk, no nbf', async () => {
    await expect(
      'typ application/at+jwt',
      forge(claims(), { typ: 'application/at+jwt' }),
      'accept',
    );
    await expect('typ AT+JWT', forge(claims(), { typ: 'AT+JWT' }), 'accept');
    await expect(
      'aud array holding ours',
      forge(claims({ aud: ['https://other.example', ISSUER] })),
      'accept',
    );
    await expect(
      'jku, x5u, jwk on a token signed by our key',
      forge(claims(), {
        jku: 'http://127.0.0.1:1/jwks.json',
        x5u: 'http://127.0.0.1:1/cert.pem',
        jwk: { kty: 'OKP', crv: 'Ed25519', x: 'AAAA' },
      }),
      'accept',
    );
    await expect('no nbf', forge(claims({}, ['nbf'])), 'accept');
    await expect(
      'exp within the tolerance',
      forge(claims({ iat: NOW - TTL, nbf: NOW - TTL, exp: NOW - TOLERANCE + 1 })),
      'accept',
    );
    await expect(
      'password_change_required true',
      forge(claims({ password_change_required: true })),
      'accept',
    );
    const v = await verifyAccessToken(
      forge(claims({ scope: 42, aud: [ISSUER] }, ['nbf'])),
      options(),
    );
    assert.equal(v.claims.scope, '', 'a non-string scope reads as none');
    assert.equal(v.claims.aud, ISSUER);
    assert.equal(v.claims.nbf, NOW, 'nbf defaults to iat');
  });

  test('alg none in every casing, empty or present signature', async () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      for (const header of [
        { alg, typ: 'at+jwt' },
        { alg, kid: ED.kid, typ: 'at+jwt' },
      ]) {
        await expect(
          `alg=${alg}, empty signature`,
          `${segment(header)}.${segment(claims())}.`,
          'ERR_INVALID_TOKEN',
        );
      }
      await expect(`alg=${alg}, an EdDSA signature`, forge(claims(), { alg }), 'ERR_INVALID_TOKEN');
    }
  });

  test("HS256 keyed with the public key (each encoding), and every alg not the key's", async () => {
    const pub = ED.key;
    const jwk = pub.export({ format: 'jwk' });
    const forms: Array<[string, Buffer | string]> = [
      ['PEM', pub.export({ type: 'spki', format: 'pem' })],
      ['DER', pub.export({ type: 'spki', format: 'der' })],
      ['JWK JSON', JSON.stringify(jwk)],
      ['raw 32 bytes', Buffer.from(jwk.x as string, 'base64url')],
    ];
    for (const [label, secret] of forms) {
      const input = `${segment({ alg: 'HS256', kid: ED.kid, typ: 'at+jwt' })}.${segment(claims())}`;
      const token = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
      await expect(`HS256 with the public key as ${label}`, token, 'ERR_INVALID_TOKEN');
    }
    const good = forge();
    for (const alg of ['ES256', 'RS256', 'HS256', 'Ed25519', 'eddsa', '']) {
      const input = `${segment({ alg, kid: ED.kid, typ: 'at+jwt' })}.${segment(claims())}`;
      await expect(
        `alg=${JSON.stringify(alg)} over an EdDSA signature`,
        `${input}.${good.split('.')[2]!}`,
        'ERR_INVALID_TOKEN',
      );
    }
    await expect('alg missing', forge(claims(), { alg: undefined }), 'ERR_INVALID_TOKEN');
    await expect('alg numeric', forge(claims(), { alg: 1 }), 'ERR_INVALID_TOKEN');
    // A key of another algorithm than the header's, each way round.
    await expect(
      'EdDSA header, ES256 key id',
      forge(claims(), { kid: KEYS.ES256.kid }),
      'ERR_INVALID_TOKEN',
    );
    await expect(
      'HS256 token under the HS key id signed with the Ed key',
      forge(claims(), { alg: 'HS256', kid: KEYS.HS256.kid }),
      'ERR_INVALID_TOKEN',
    );
  });

  test('kid: traversal, injection, not a string, missing, unknown', async () => {
    const kids: unknown[] = [
      '../../../dev/null',
      '/dev/null',
      `../keys/${ED.kid}`,
      "' OR 1=1 --",
      '$(touch /tmp/pwned)',
      `${ED.kid}\u0000`,
      '',
      'x'.repeat(65),
      1,
      [ED.kid],
      null,
      'unknown-kid',
    ];
    for (const kid of kids)
      await expect(`kid=${JSON.stringify(kid)}`, forge(claims(), { kid }), 'ERR_INVALID_TOKEN');
    await expect('no kid', forge(claims(), { kid: undefined }), 'ERR_INVALID_TOKEN');
  });

  test("jku, x5u, embedded jwk with an attacker's signature", async () => {
    for (const header of [
      { jku: 'http://127.0.0.1:1/jwks.json' },
      { x5u: 'http://127.0.0.1:1/c.pem' },
      { jwk: { kty: 'OKP' } },
    ]) {
      await expect(
        `attacker-signed ${Object.keys(header)[0]!}`,
        forge(claims(), { ...header, kid: ED.kid }, { ...ATTACKER, kid: ED.kid }),
        'ERR_INVALID_TOKEN',
      );
    }
    await expect('attacker kid', forge(claims(), {}, ATTACKER), 'ERR_INVALID_TOKEN');
  });

  test("signatures: stripped, random, another token's, wrong length, other spellings", async () => {
    const good = forge();
    const [h, p, s] = good.split('.') as [string, string, string];
    await expect('signature stripped', `${h}.${p}.`, 'ERR_INVALID_TOKEN');
    await expect('random signature', `${h}.${p}.${b64(randomBytes(64))}`, 'ERR_INVALID_TOKEN');
    await expect(
      'signature of another token',
      `${h}.${p}.${forge(claims({ jti: 'another-jti-123' })).split('.')[2]!}`,
      'ERR_INVALID_TOKEN',
    );
    await expect(
      'signature 63 bytes',
      `${h}.${p}.${b64(Buffer.from(s, 'base64url').subarray(0, 63))}`,
      'ERR_INVALID_TOKEN',
    );
    await expect(
      'signature + 1 byte',
      `${h}.${p}.${b64(Buffer.concat([Buffer.from(s, 'base64url'), Buffer.alloc(1)]))}`,
      'ERR_INVALID_TOKEN',
    );
    await expect(
      'ES256 signature DER-encoded',
      (() => {
        const header = segment({ alg: 'ES256', kid: KEYS.ES256.kid, typ: 'at+jwt' });
        const input = `${header}.${segment(claims())}`;
        return `${input}.${b64(sign('sha256', Buffer.from(input), KEYS.ES256.privateKey))}`;
      })(),
      'ERR_INVALID_TOKEN',
    );
    // The same signature bytes to a lenient decoder (jose accepts these: REFERENCE.md); one token,
    // one spelling, so refused.
    assert.equal(
      await ours(flipLastLowBit(good)),
      'ERR_INVALID_TOKEN',
      'last character low bit flipped',
    );
    assert.equal(await ours(`${good}==`), 'ERR_INVALID_TOKEN', '== appended');
    assert.equal(
      await ours(`${h}.${p}.${s.slice(0, 40)}\n${s.slice(40)}`),
      'ERR_INVALID_TOKEN',
      'newline inside',
    );
    assert.equal(await ours(`${h}.${p} .${s}`), 'ERR_INVALID_TOKEN', 'space');
    // A character above U+00FF truncates to a valid byte in latin1: must not share the signature.
    const wide = String.fromCharCode(0x100 + p.charCodeAt(5));
    assert.equal(
      await ours(`${h}.${p.slice(0, 5)}${wide}${p.slice(6)}.${s}`),
      'ERR_INVALID_TOKEN',
      'wide character in payload',
    );
    assert.equal(
      await ours(
        `${h.slice(0, 5)}${String.fromCharCode(0x100 + h.charCodeAt(5))}${h.slice(6)}.${p}.${s}`,
      ),
      'ERR_INVALID_TOKEN',
      'wide character in header',
    );
    // Payload altered under a valid signature.
    await expect(
      'payload altered',
      `${h}.${segment(claims({ sub: 'admin' }))}.${s}`,
      'ERR_INVALID_TOKEN',
    );
  });

  test('shape: segments, sizes, garbage', async () => {
    const good = forge();
    for (const [label, token] of [
      ['4 segments', `${good}.${good.split('.')[2]!}`],
      ['2 segments', good.split('.').slice(0, 2).join('.')],
      ['empty header', `.${good.split('.').slice(1).join('.')}`],
      ['empty payload', good.replace(/\.[^.]+\./, '..')],
      ['1 MiB garbage', 'a'.repeat(1 << 20)],
      ['only dots', '..'],
      ['no dots', 'abc'],
    ] as const) {
      assert.equal(await ours(token), 'ERR_INVALID_TOKEN', label);
      assert.equal(await joseAccepts(token), false, `${label}: jose refuses it too`);
    }
    // jose would verify it; none of ours is that long, and the cap comes before any work.
    assert.equal(
      await ours(forge(claims({ pad: 'x'.repeat(9000) }))),
      'ERR_INVALID_TOKEN',
      'over 8 KiB, well formed',
    );
    for (const value of ['', undefined, null, 42, {}, ['a.b.c']]) {
      assert.equal(await ours(value), 'ERR_INVALID_TOKEN', `token ${JSON.stringify(value)}`);
    }
  });

  test('headers: not JSON, not an object, invalid UTF-8, crit, b64, typ', async () => {
    await expect(
      'header not JSON',
      rawToken('{"alg":"EdDSA",', JSON.stringify(claims())),
      'ERR_INVALID_TOKEN',
    );
    await expect(
      'header an array',
      rawToken('["EdDSA"]', JSON.stringify(claims())),
      'ERR_INVALID_TOKEN',
    );
    await expect(
      'header a string',
      rawToken('"EdDSA"', JSON.stringify(claims())),
      'ERR_INVALID_TOKEN',
    );
    await expect('header null', rawToken('null', JSON.stringify(claims())), 'ERR_INVALID_TOKEN');
    const badUtf8 = (json: string): Buffer =>
      Buffer.concat([Buffer.from(json.slice(0, -1)), Buffer.from([0xff, 0x22]), Buffer.from('}')]);
    {
      const header = badUtf8(`{"alg":"EdDSA","kid":"${ED.kid}","typ":"at+jwt","x":"`);
      const input = `${b64(header)}.${segment(claims())}`;
      await expect(
        'header invalid UTF-8',
        `${input}.${b64(signature(ED, input))}`,
        'ERR_INVALID_TOKEN',
      );
    }
    for (const crit of [['exp'], [], 'b64', ['b64'], [''], [1]]) {
      await expect(`crit ${JSON.stringify(crit)}`, forge(claims(), { crit }), 'ERR_INVALID_TOKEN');
    }
    await expect(
      'b64 false + crit b64',
      forge(claims(), { b64: false, crit: ['b64'] }),
      'ERR_INVALID_TOKEN',
    );
    // jose accepts these two; we issue neither, so refuse them (as the Python verifier does).
    assert.equal(
      await ours(forge(claims(), { b64: true, crit: ['b64'] })),
      'ERR_INVALID_TOKEN',
      'b64 true + crit b64',
    );
    assert.equal(
      await ours(forge(claims(), { b64: false })),
      'ERR_INVALID_TOKEN',
      'b64 without crit',
    );
    for (const typ of ['JWT', 'jwt', 'at+JWT2', 'application/jwt', '', 1, null]) {
      await expect(`typ ${JSON.stringify(typ)}`, forge(claims(), { typ }), 'ERR_INVALID_TOKEN');
    }
    await expect('no typ', forge(claims(), { typ: undefined }), 'ERR_INVALID_TOKEN');
  });

  test('claims out of policy, validly signed', async () => {
    const cases: Array<[string, unknown, Outcome]> = [
      [
        'expired',
        claims({ iat: NOW - 3600, nbf: NOW - 3600, exp: NOW - 600 }),
        'ERR_TOKEN_EXPIRED',
      ],
      [
        'exp == now - tolerance',
        claims({ iat: NOW - TTL, nbf: NOW - TTL, exp: NOW - TOLERANCE }),
        'ERR_TOKEN_EXPIRED',
      ],
      ['nbf in the future', claims({ nbf: NOW + 600 }), 'ERR_INVALID_TOKEN'],
      [
        'iat one hour in the future',
        claims({ iat: NOW + 3600, nbf: NOW, exp: NOW + 3600 + TTL }),
        'ERR_INVALID_TOKEN',
      ],
      ['missing jti', claims({}, ['jti']), 'ERR_INVALID_TOKEN'],
      ['numeric jti', claims({ jti: 123456789012 }), 'ERR_INVALID_TOKEN'],
      ['empty jti', claims({ jti: '' }), 'ERR_INVALID_TOKEN'],
      ['jti with a slash', claims({ jti: 'abc/def/ghi' }), 'ERR_INVALID_TOKEN'],
      ['missing sid', claims({}, ['sid']), 'ERR_INVALID_TOKEN'],
      ['numeric sid', claims({ sid: 42 }), 'ERR_INVALID_TOKEN'],
      ['missing exp', claims({}, ['exp']), 'ERR_INVALID_TOKEN'],
      ['missing iat', claims({}, ['iat']), 'ERR_INVALID_TOKEN'],
      ['missing sub', claims({}, ['sub']), 'ERR_INVALID_TOKEN'],
      ['sub null', claims({ sub: null }), 'ERR_INVALID_TOKEN'],
      ['exp as a string', claims({ exp: String(NOW + TTL) }), 'ERR_INVALID_TOKEN'],
      ['nbf as a string', claims({ nbf: String(NOW) }), 'ERR_INVALID_TOKEN'],
      ['iat as a string', claims({ iat: String(NOW) }), 'ERR_INVALID_TOKEN'],
      ['missing iss', claims({}, ['iss']), 'ERR_INVALID_TOKEN'],
      ['wrong iss', claims({ iss: 'https://evil.example' }), 'ERR_INVALID_TOKEN'],
      ['iss with a trailing slash', claims({ iss: `${ISSUER}/` }), 'ERR_INVALID_TOKEN'],
      ['iss in an array', claims({ iss: [ISSUER] }), 'ERR_INVALID_TOKEN'],
      ['missing aud', claims({}, ['aud']), 'ERR_INVALID_TOKEN'],
      ['wrong aud', claims({ aud: 'https://evil.example' }), 'ERR_INVALID_TOKEN'],
      ['wrong aud in an array', claims({ aud: ['https://evil.example'] }), 'ERR_INVALID_TOKEN'],
      ['aud an object', claims({ aud: { [ISSUER]: true } }), 'ERR_INVALID_TOKEN'],
      ['missing client_id', claims({}, ['client_id']), 'ERR_INVALID_TOKEN'],
      ['missing generation claims', claims({}, ['gen', 'ugen', 'cgen']), 'ERR_INVALID_TOKEN'],
      ['negative generation', claims({ ugen: -1 }), 'ERR_INVALID_TOKEN'],
      ['fractional iat', claims({ iat: NOW + 0.5 }), 'ERR_INVALID_TOKEN'],
      ['negative iat', claims({ iat: -1 }), 'ERR_INVALID_TOKEN'],
      ['exp 10^30', claims({ exp: 1e30 }), 'ERR_INVALID_TOKEN'],
      [
        'lifetime longer than issued',
        claims({ exp: NOW + TTL + TOLERANCE + 1 }),
        'ERR_INVALID_TOKEN',
      ],
      [
        'password_change_required false',
        claims({ password_change_required: false }),
        'ERR_INVALID_TOKEN',
      ],
      ['claims an array', [claims()], 'ERR_INVALID_TOKEN'],
      ['claims a string', 'claims', 'ERR_INVALID_TOKEN'],
      ['claims null', null, 'ERR_INVALID_TOKEN'],
    ];
    for (const [label, payload, outcome] of cases)
      await expect(
        label,
        forge(typeof payload === 'string' ? JSON.stringify(payload) : payload),
        outcome,
      );
    await expect(
      'claims not JSON',
      rawToken(JSON.stringify({ alg: 'EdDSA', kid: ED.kid, typ: 'at+jwt' }), '{"iss":'),
      'ERR_INVALID_TOKEN',
    );
    const header = `{"alg":"EdDSA","kid":"${ED.kid}","typ":"at+jwt"}`;
    {
      const json = JSON.stringify(claims({ scope: 'PLACEHOLDER' }));
      const [before, after] = json.split('PLACEHOLDER') as [string, string];
      const bytes = Buffer.concat([
        Buffer.from(before),
        Buffer.from([0xc3, 0x28]),
        Buffer.from(after),
      ]);
      const input = `${b64(header)}.${b64(bytes)}`;
      await expect(
        'claims invalid UTF-8',
        `${input}.${b64(signature(ED, input))}`,
        'ERR_INVALID_TOKEN',
      );
    }
    // Duplicate names: the last wins, as in jose; both agree on what the token says.
    const json = JSON.stringify(claims());
    await expect(
      'duplicate jti, the last numeric',
      rawToken(header, `${json.slice(0, -1)},"jti":5}`),
      'ERR_INVALID_TOKEN',
    );
    await expect(
      'duplicate jti, the last valid',
      rawToken(header, `{"jti":5,${json.slice(1)}`),
      'accept',
    );
    // Genuine U+FFFD in a claim is well-formed UTF-8.
    await expect('a U+FFFD in the scope', forge(claims({ scope: 'a\uFFFDb' })), 'accept');
  });

  describe('the verified-token cache', () => {
    test('a hit returns the same object; a repeat call allocates no new result', () => {
      const cache = new VerifiedTokenCache(8);
      const token = forge();
      const first = checkAccessToken(token, options(), cache) as VerifiedAccessToken;
      assert.equal(checkAccessToken(token, options(), cache), first);
      assert.equal(cache.size, 1);
    });

    test('an expired hit is refused and forgotten; a one-byte variant is checked', async () => {
      const cache = new VerifiedTokenCache(8);
      const token = forge();
      decidedNow(token, options(), cache);
      assert.equal(await ours(flipLastLowBit(token), options()), 'ERR_INVALID_TOKEN');
      assert.throws(
        () => checkAccessToken(token, { ...options(), nowSec: NOW + TTL + TOLERANCE }, cache),
        { code: 'ERR_TOKEN_EXPIRED' },
      );
      assert.equal(cache.size, 0);
    });

    test('a hit whose key left the ring, or was replaced, is checked in full', async () => {
      const cache = new VerifiedTokenCache(8);
      const token = forge();
      decidedNow(token, options(), cache);
      assert.throws(() => checkAccessToken(token, options(new Map()), cache), {
        code: 'ERR_INVALID_TOKEN',
      });
      assert.equal(cache.size, 0);
      decidedNow(token, options(), cache);
      const replaced = { ...ED, key: ATTACKER.key };
      assert.throws(() => checkAccessToken(token, options(new Map([[ED.kid, replaced]])), cache), {
        code: 'ERR_INVALID_TOKEN',
      });
      // A key resolved asynchronously (a JWKS fetch) works too.
      const later: VerifyOptions = {
        ...options(),
        resolveKey: async (kid) => (kid === ED.kid ? ED : undefined),
      };
      const viaPromise = checkAccessToken(token, later, cache);
      assert.ok(viaPromise instanceof Promise);
      assert.equal((await viaPromise).key, ED);
      assert.equal(checkAccessToken(token, options(), cache), await viaPromise, 'and it is cached');
    });

    test('first in, first out, never more than its capacity', () => {
      const cache = new VerifiedTokenCache(3);
      const tokens = Array.from({ length: 5 }, (_, i) =>
        forge(claims({ jti: `fifo-jti-${i}-0123` })),
      );
      for (const token of tokens) decidedNow(token, options(), cache);
      assert.equal(cache.size, 3);
      assert.deepEqual(
        tokens.map((t) => cache.get(t) !== undefined),
        [false, false, true, true, true],
      );
      // A forgotten entry's slot is not reused before its turn: the oldest goes all the same.
      cache.forget(tokens[3]!);
      decidedNow(tokens[0]!, options(), cache);
      assert.equal(cache.size, 2);
      assert.deepEqual(
        tokens.map((t) => cache.get(t) !== undefined),
        [true, false, false, false, true],
      );
      for (const token of tokens) decidedNow(token, options(), cache);
      assert.equal(cache.size, 3);
      assert.equal(new VerifiedTokenCache(0).size, 0);
      const off = new VerifiedTokenCache(0);
      decidedNow(tokens[0]!, options(), off);
      assert.equal(off.size, 0);
    });

    test('refused tokens never enter the cache', async () => {
      const cache = new VerifiedTokenCache(8);
      for (const token of [
        forge(claims({ iss: 'x' })),
        flipLastLowBit(forge()),
        forge(claims(), {}, { ...ATTACKER, kid: ED.kid }),
      ]) {
        await assert.rejects(verifyAccessToken(token, options(), cache));
      }
      assert.equal(cache.size, 0);
    });
  });
});

// Keeps the signing helper honest for every algorithm (a broken helper would make every negative
// case above pass for the wrong reason).
test('the hand signer makes tokens jose accepts, for each algorithm', async () => {
  for (const key of Object.values(KEYS))
    assert.ok(await joseAccepts(forge(claims(), {}, key)), key.alg);
});

/** A check whose key is in the ring is decided at once, not in a promise; its result. */
function decidedNow(...args: Parameters<typeof checkAccessToken>): VerifiedAccessToken {
  const result = checkAccessToken(...args);
  assert.ok(!(result instanceof Promise), 'a key in the ring decides synchronously');
  return result;
}
