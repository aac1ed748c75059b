/** The revoked-jti table: a Map<string, number> in 20 bytes a slot, never losing an entry. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { JtiTable } from '../../src/core/revocation/jti-table.js';
import { decodeJti128 } from '../../src/core/revocation/jti-words.js';

const newJti = (): string => randomBytes(16).toString('base64url');

/** A seeded PRNG so a failing sequence replays. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('decodeJti128', () => {
  test('decodes the 16 bytes of a revokd jti, big-endian', () => {
    const bytes = randomBytes(16);
    const out = new Int32Array(4);
    assert.equal(decodeJti128(bytes.toString('base64url'), out), true);
    assert.deepEqual(
      [...out],
      [bytes.readInt32BE(0), bytes.readInt32BE(4), bytes.readInt32BE(8), bytes.readInt32BE(12)],
    );
  });

  test('refuses a non-canonical spelling of the same bytes, other lengths and other alphabets', () => {
    const out = new Int32Array(4);
    const jti = Buffer.alloc(16, 7).toString('base64url');
    assert.equal(jti.at(-1), 'w');
    assert.equal(
      decodeJti128(`${jti.slice(0, 21)}x`, out),
      false,
      'padding bits set: the same bytes, another string',
    );
    assert.equal(decodeJti128(jti.slice(0, 21), out), false);
    assert.equal(decodeJti128(`${jti}A`, out), false);
    assert.equal(decodeJti128(`${jti.slice(0, 20)}+w`, out), false, 'base64 (not url) alphabet');
    assert.equal(decodeJti128(`${jti.slice(0, 20)}éw`, out), false);
  });
});

describe('JtiTable', () => {
  test('holds what was set, answers no for anything else', () => {
    const table = new JtiTable();
    const jti = newJti();
    table.set(jti, 10_000);
    assert.equal(table.has(jti), true);
    assert.equal(table.has(newJti()), false);
    assert.equal(table.size, 1);
    assert.equal(table.compactSize, 1);
  });

  test('expiries round up to the second: an entry is never dropped before its ms expiry', () => {
    const table = new JtiTable();
    const jti = newJti();
    table.set(jti, 5_001);
    assert.equal(table.expiryMs(jti), 6_000);
    assert.equal(table.prune(5_002), 0);
    assert.equal(table.prune(6_000), 0);
    assert.equal(table.has(jti), true);
    assert.equal(table.prune(6_001), 1);
    assert.equal(table.has(jti), false);
    assert.equal(table.size, 0);
  });

  test('an entry without expiry (or past 2106) is never pruned', () => {
    const table = new JtiTable();
    const never = newJti();
    const far = newJti();
    table.set(never, Number.MAX_SAFE_INTEGER);
    table.set(far, 1e16);
    assert.equal(table.prune(1e15), 0);
    assert.equal(table.expiryMs(never), Number.MAX_SAFE_INTEGER);
    assert.equal(table.has(far), true);
  });

  test('setting again replaces the expiry, like Map.set', () => {
    const table = new JtiTable();
    const jti = newJti();
    table.set(jti, 9_000);
    table.set(jti, 2_000);
    assert.equal(table.size, 1);
    assert.equal(table.prune(3_000), 1);
  });

  test('jtis that are not 128 random bits go to the fallback, by string, and are never dropped silently', () => {
    const table = new JtiTable();
    const canonical = Buffer.alloc(16, 7).toString('base64url');
    const odd = [
      'operator-typed-this',
      `${canonical.slice(0, 21)}x`,
      'a'.repeat(128),
      '',
      // First word 0: the table's free-slot marker, so kept by string.
      Buffer.concat([Buffer.alloc(4), randomBytes(12)]).toString('base64url'),
    ];
    table.set(canonical, 10_000);
    for (const jti of odd) table.set(jti, 10_000);
    assert.equal(table.size, odd.length + 1);
    assert.equal(table.compactSize, 1);
    for (const jti of odd) assert.equal(table.has(jti), true, jti);
    assert.equal(
      table.has(`${canonical.slice(0, 21)}y`),
      false,
      'another spelling of the same bytes is another jti',
    );
    assert.equal(table.prune(20_000), odd.length + 1);
    assert.equal(table.size, 0);
  });

  test('grows past its first capacity and keeps every entry, within 32 bytes an entry', () => {
    const table = new JtiTable();
    const jtis = Array.from({ length: 100_000 }, newJti);
    for (const [i, jti] of jtis.entries()) table.set(jti, 1_000_000 + i);
    assert.equal(table.size, jtis.length);
    for (const jti of jtis) assert.equal(table.has(jti), true);
    for (let i = 0; i < 10_000; i++) assert.equal(table.has(newJti()), false);
    assert.ok(
      table.tableBytes / table.size <= 32,
      `${table.tableBytes / table.size} bytes per entry`,
    );
  });

  test('prune drops exactly the expired entries and leaves the rest findable (backward shift)', () => {
    const table = new JtiTable();
    const jtis = Array.from({ length: 20_000 }, newJti);
    jtis.forEach((jti, i) => table.set(jti, (i % 10) * 1000 + 1000));
    assert.equal(table.prune(5_500), jtis.length / 2);
    jtis.forEach((jti, i) =>
      assert.equal(table.has(jti), (i % 10) * 1000 + 1000 >= 5_500, `entry ${i}`),
    );
  });

  test('behaves like a Map<string, number> under random set, has and prune', () => {
    const random = mulberry32(0x11);
    const table = new JtiTable();
    const model = new Map<string, number>();
    const seen: string[] = [];
    let now = 0;
    for (let op = 0; op < 60_000; op++) {
      const r = random();
      if (r < 0.5) {
        // Mostly fresh jtis, some repeats, a few odd ones for the fallback.
        const pick = random();
        const jti =
          pick < 0.7 || seen.length === 0
            ? newJti()
            : pick < 0.95
              ? seen[Math.floor(random() * seen.length)]!
              : `odd-${Math.floor(random() * 50)}`;
        const expiresAt = (now + Math.floor(random() * 5)) * 1000;
        table.set(jti, expiresAt);
        model.set(jti, expiresAt);
        seen.push(jti);
      } else if (r < 0.97) {
        const jti =
          random() < 0.5 && seen.length > 0 ? seen[Math.floor(random() * seen.length)]! : newJti();
        assert.equal(table.has(jti), model.has(jti), `has(${jti}) after ${op} ops`);
      } else {
        now++;
        let dropped = 0;
        for (const [jti, expiresAt] of model) {
          if (expiresAt < now * 1000) {
            model.delete(jti);
            dropped++;
          }
        }
        assert.equal(table.prune(now * 1000), dropped);
      }
      assert.equal(table.size, model.size);
    }
    for (const jti of seen) assert.equal(table.has(jti), model.has(jti));
  });

  test('sized from a count, it takes that many entries (and a growth step more) without growing', () => {
    const table = new JtiTable(10_000);
    const bytes = table.tableBytes;
    const jtis = Array.from({ length: 12_000 }, newJti);
    for (const jti of jtis) table.set(jti, 10_000);
    assert.equal(table.tableBytes, bytes, 'no rehash');
    assert.ok(jtis.every((jti) => table.has(jti)));
  });
});
