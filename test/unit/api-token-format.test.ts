import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  API_TOKEN_LENGTH,
  displayPrefix,
  generateApiToken,
  hasValidApiTokenChecksum,
} from '../../src/core/tokens/api-token.js';

test('generated tokens: rvk_ + 30 base62 + 6 base62 checksum, all distinct, all valid', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const t = generateApiToken();
    assert.match(t, /^rvk_[0-9A-Za-z]{36}$/);
    assert.equal(t.length, API_TOKEN_LENGTH);
    assert.ok(hasValidApiTokenChecksum(t));
    seen.add(t);
  }
  assert.equal(seen.size, 2000);
  assert.equal(displayPrefix('rvk_abcdefgh'), 'rvk_abcd');
});

test('the entropy part is uniform over base62 (no modulo bias visible over many tokens)', () => {
  const counts = new Map<string, number>();
  const n = 4000;
  for (let i = 0; i < n; i++)
    for (const c of generateApiToken().slice(4, 34)) counts.set(c, (counts.get(c) ?? 0) + 1);
  assert.equal(counts.size, 62);
  const expected = (n * 30) / 62;
  for (const [c, count] of counts)
    assert.ok(Math.abs(count - expected) < expected * 0.15, `${c}: ${count} vs ${expected}`);
});

test('every single-character substitution, deletion and wrong prefix is rejected', () => {
  const token = generateApiToken();
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let checked = 0;
  for (let i = 4; i < token.length; i++) {
    for (const c of alphabet) {
      if (c === token[i]) continue;
      assert.equal(
        hasValidApiTokenChecksum(token.slice(0, i) + c + token.slice(i + 1)),
        false,
        `position ${i} → ${c}`,
      );
      checked++;
    }
    assert.equal(hasValidApiTokenChecksum(token.slice(0, i) + token.slice(i + 1)), false);
  }
  assert.ok(checked > 2000);
  for (const bad of [
    '',
    'rvk_',
    `RVK_${token.slice(4)}`,
    `ghp_${token.slice(4)}`,
    `${token} `,
    `${token}0`,
    token.replace('rvk_', 'rvk-'),
    null,
    42,
    {},
  ]) {
    assert.equal(hasValidApiTokenChecksum(bad), false, JSON.stringify(bad));
  }
});
