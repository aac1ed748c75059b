/**
 * The revoked-jti table's growth (issue 21): shards that grow or split one at a time, so a set()
 * never moves more than one shard's entries — and after many growths and splits, with prunes
 * between them, the table still answers exactly like a Map.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { JtiTable, MAX_SHARD_SLOTS } from '../../src/core/revocation/jti-table.js';

const newJti = (): string => randomBytes(16).toString('base64url');

/** A jti whose word 0 starts with the given 12 bits: the directory cannot tell such jtis apart. */
function jtiWithPrefix(prefix: number): string {
  const bytes = randomBytes(16);
  bytes[0] = prefix >>> 4;
  bytes[1] = ((prefix & 0xf) << 4) | (bytes[1]! & 0xf);
  return bytes.toString('base64url');
}

test(
  '300 000 sets from empty: many growths and splits, every entry found, none moved more than ' +
    'a shard',
  () => {
    const table = new JtiTable();
    const jtis = Array.from({ length: 300_000 }, newJti);
    let bytesBefore = table.tableBytes;
    let growths = 0;
    for (const [i, jti] of jtis.entries()) {
      table.set(jti, 1_000_000 + i);
      if (table.tableBytes !== bytesBefore) {
        growths++;
        bytesBefore = table.tableBytes;
      }
    }
    assert.ok(growths > 20, `${growths} growths`);
    assert.equal(table.size, jtis.length);
    for (const jti of jtis) assert.equal(table.has(jti), true);
    for (let i = 0; i < 20_000; i++) assert.equal(table.has(newJti()), false);
    assert.ok(
      table.largestGrowth <= MAX_SHARD_SLOTS * 0.8,
      `one set() moved ${table.largestGrowth} entries`,
    );
    assert.ok(table.tableBytes / table.size <= 32, `${table.tableBytes / table.size} bytes/entry`);
    jtis.forEach((jti, i) =>
      assert.equal(table.expiryMs(jti), 1_000_000 + Math.ceil(i / 1000) * 1000),
    );
  },
);

test(
  'prunes between growths and splits drop exactly the expired entries; later growths keep ' +
    'the rest',
  () => {
    const table = new JtiTable();
    const model = new Map<string, number>();
    let now = 0;
    for (let round = 0; round < 8; round++) {
      // Enough new entries per round to grow and split shards that a prune just thinned out.
      for (let i = 0; i < 40_000; i++) {
        const jti = newJti();
        const expiresAt = (now + 1 + (i % 5)) * 1000;
        table.set(jti, expiresAt);
        model.set(jti, expiresAt);
      }
      now += 2;
      let expired = 0;
      for (const [jti, expiresAt] of model) {
        if (expiresAt < now * 1000) {
          model.delete(jti);
          expired++;
        }
      }
      assert.equal(table.prune(now * 1000), expired, `round ${round}`);
      assert.equal(table.size, model.size);
    }
    for (const [jti, expiresAt] of model) assert.equal(table.expiryMs(jti), expiresAt);
    assert.ok(table.largestGrowth <= MAX_SHARD_SLOTS * 0.8);
  },
);

test(
  'jtis that share their first bits (a split sends them all one way) are all kept and ' + 'found',
  () => {
    const table = new JtiTable();
    const jtis = Array.from({ length: 120_000 }, () => jtiWithPrefix(0xabc));
    for (const jti of jtis) table.set(jti, 5_000);
    const others = Array.from({ length: 10_000 }, newJti);
    for (const jti of others) table.set(jti, 9_000);
    assert.equal(table.size, jtis.length + others.length);
    for (const jti of [...jtis, ...others]) assert.equal(table.has(jti), true);
    assert.equal(table.prune(6_000), jtis.length);
    assert.ok(others.every((jti) => table.has(jti)));
    assert.ok(!jtis.some((jti) => table.has(jti)));
  },
);
