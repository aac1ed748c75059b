/**
 * Sealing a private signing key for the store: it opens to the same key under the same service
 * secret and for the same kid only; a wrong secret, an altered blob, another kid's row or a
 * malformed value each fail with a RevokdError naming the cause (REVOKD_SECRET for a wrong secret),
 * never a raw crypto message; and the sealed string holds nothing of the private key in clear.
 */
import assert from 'node:assert/strict';
import { type KeyObject, sign, verify } from 'node:crypto';
import { test } from 'node:test';
import { RevokdError } from '../../src/core/errors.js';
import { newKeyPair } from '../../src/keys/new-key-pair.js';
import { PrivateKeySealer } from '../../src/keys/sealed-private-key.js';

const SECRET = Buffer.from('a service secret of at least 32 bytes, for tests');
const OTHER_SECRET = Buffer.from('another service secret of at least 32 bytes, for tests');
const KID = 'kid-one';

/** The opened key signs what the original's public half verifies: it is the same key. */
function assertSameKey(opened: KeyObject, original: { publicKey: KeyObject }): void {
  const data = Buffer.from('payload');
  assert.equal(verify(null, data, original.publicKey, sign(null, data, opened)), true);
}

/** Asserts a RevokdError whose message matches and which carries no crypto library wording. */
function refused(pattern: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof RevokdError, String(err));
    assert.match(err.message, pattern);
    assert.doesNotMatch(
      err.message,
      /unable to authenticate|Unsupported state|Invalid authentication tag/i,
    );
    return true;
  };
}

test('round trip: an Ed25519 and a P-256 key open to the same key; each seal uses a fresh IV', () => {
  const sealer = new PrivateKeySealer(SECRET);
  const ed = newKeyPair('EdDSA');
  const first = sealer.seal(KID, ed.privateKey);
  assertSameKey(sealer.open(KID, first), ed);
  assert.notEqual(sealer.seal(KID, ed.privateKey), first, 'two seals of one key differ');
  assertSameKey(new PrivateKeySealer(Buffer.from(SECRET)).open(KID, first), ed);
  const ec = newKeyPair('ES256');
  assertSameKey(sealer.open('kid-two', sealer.seal('kid-two', ec.privateKey)), ec);
});

test('the sealed string is v1.<iv>.<tag>.<ciphertext> and contains neither the private d nor the JWK', () => {
  const pair = newKeyPair('EdDSA');
  const sealed = new PrivateKeySealer(SECRET).seal(KID, pair.privateKey);
  assert.match(sealed, /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
  const d = (pair.privateKey.export({ format: 'jwk' }) as { d: string }).d;
  assert.ok(!sealed.includes(d), 'd in base64url');
  assert.ok(!Buffer.from(sealed).includes(Buffer.from(d, 'base64url')), 'd as raw bytes');
  // The JWK is not there in clear, as text or as base64url of its JSON (patterns long enough that
  // random ciphertext cannot hold them by chance, unlike a 3-letter "OKP").
  const ciphertext = Buffer.from(sealed.split('.')[3]!, 'base64url');
  for (const clear of ['"crv":"Ed25519"', '"kty":"OKP"']) {
    assert.ok(
      !sealed.includes(clear) && !ciphertext.includes(Buffer.from(clear)),
      `${clear} in clear`,
    );
    assert.ok(
      !sealed.includes(Buffer.from(clear).toString('base64url').slice(0, 12)),
      `${clear} as base64url`,
    );
  }
});

test('a wrong service secret is refused with a message naming REVOKD_SECRET', () => {
  const sealed = new PrivateKeySealer(SECRET).seal(KID, newKeyPair('EdDSA').privateKey);
  assert.throws(
    () => new PrivateKeySealer(OTHER_SECRET).open(KID, sealed),
    refused(new RegExp(`signing key ${KID} does not open .*REVOKD_SECRET`)),
  );
});

test("a blob copied into another kid's row does not open (the kid is bound)", () => {
  const sealer = new PrivateKeySealer(SECRET);
  const sealed = sealer.seal(KID, newKeyPair('EdDSA').privateKey);
  assert.throws(
    () => sealer.open('kid-other', sealed),
    refused(/signing key kid-other does not open/),
  );
});

test('any altered part (iv, tag, ciphertext) is refused', () => {
  const sealer = new PrivateKeySealer(SECRET);
  const sealed = sealer.seal(KID, newKeyPair('EdDSA').privateKey);
  const parts = sealed.split('.');
  for (const index of [1, 2, 3]) {
    const bytes = Buffer.from(parts[index] as string, 'base64url');
    bytes.writeUInt8((bytes.at(-1) as number) ^ 0x01, bytes.length - 1);
    const altered = parts
      .map((part, i) => (i === index ? bytes.toString('base64url') : part))
      .join('.');
    assert.throws(() => sealer.open(KID, altered), refused(/does not open/), `part ${index}`);
  }
});

test('malformed values are refused as not a v1 sealed key, not decrypted', () => {
  const sealer = new PrivateKeySealer(SECRET);
  const sealed = sealer.seal(KID, newKeyPair('EdDSA').privateKey);
  const [, iv, tag, ciphertext] = sealed.split('.');
  for (const value of [
    '',
    'v1',
    `v2.${iv}.${tag}.${ciphertext}`,
    `v1.${iv}.${tag}`,
    `v1.${iv}.${tag}.${ciphertext}.x`,
    `v1.${iv}.${tag}.`,
    `v1.${iv}.${tag?.slice(0, 20)}.${ciphertext}`,
    `v1.${iv}x.${tag}.${ciphertext}`,
    `v1.${iv}.${tag}.${ciphertext}==`,
    '{"d":"x"}',
  ]) {
    assert.throws(
      () => sealer.open(KID, value),
      refused(/is not a v1 sealed key/),
      JSON.stringify(value),
    );
  }
});
