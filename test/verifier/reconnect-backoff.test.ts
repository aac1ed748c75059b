/**
 * The verifier's reconnection delays (packages/verifier/src/reconnect-backoff.ts), with the
 * jitter's random source pinned at its two ends so the bounds themselves are seen: short after a
 * healthy stream is lost, growing on repeated failures, and a server's `retry:` clamped both ways.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  MIN_RETRY_MS,
  QUICK_ATTEMPTS,
  ReconnectBackoff,
} from '../../packages/verifier/src/reconnect-backoff.js';

/** The delays before `n` attempts that all fail, the first one right after `start`. */
function delays(backoff: ReconnectBackoff, n: number, start: () => void): number[] {
  start();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i > 0) backoff.failed();
    out.push(backoff.nextDelayMs());
  }
  return out;
}

const lowest = (): number => 0;
const highest = (): number => 0.999_999;

describe('reconnect backoff', () => {
  test('healthy stream lost: quick delays within retry, refused or not, then doubling', () => {
    for (const random of [lowest, highest]) {
      const b = new ReconnectBackoff({ initialMs: 100, maxMs: 5_000, random });
      b.serverRetry(250);
      const seen = delays(b, QUICK_ATTEMPTS + 6, () => b.lostHealthy());
      const all = seen.join(', ');
      for (const d of seen.slice(0, QUICK_ATTEMPTS)) {
        assert.ok(d >= 125 && d <= 250, `quick: ${all}`);
      }
      const ceilings = [500, 1_000, 2_000, 4_000, 5_000, 5_000];
      seen.slice(QUICK_ATTEMPTS).forEach((d, i) => {
        assert.ok(d >= ceilings[i]! / 2 && d <= ceilings[i]!, `grown: ${all}`);
      });
    }
  });

  test('failures with no healthy stream before them grow from the first', () => {
    const b = new ReconnectBackoff({ initialMs: 100, maxMs: 5_000, random: highest });
    const seen = delays(b, 4, () => b.failed());
    assert.deepEqual(seen.map(Math.round), [200, 400, 800, 1_600]);
  });

  test('a healthy stream lost resets the growth; an unproven one too, without hurrying', () => {
    const b = new ReconnectBackoff({ initialMs: 100, maxMs: 5_000, random: highest });
    for (let i = 0; i < 8; i++) b.failed();
    b.lostHealthy();
    assert.equal(Math.round(b.nextDelayMs()), 100);
    for (let i = 0; i < 8; i++) b.failed();
    b.lostUnproven();
    const seen = delays(b, 3, () => {});
    assert.deepEqual(seen.map(Math.round), [100, 200, 400]);
  });

  test('retry: 0 (hostile) is clamped to the floor, still jittered; a huge one to the cap', () => {
    const low = new ReconnectBackoff({ initialMs: 100, maxMs: 5_000, random: lowest });
    const high = new ReconnectBackoff({ initialMs: 100, maxMs: 5_000, random: highest });
    for (const b of [low, high]) {
      b.serverRetry(0);
      b.lostHealthy();
    }
    assert.equal(low.nextDelayMs(), MIN_RETRY_MS / 2);
    assert.ok(high.nextDelayMs() > MIN_RETRY_MS * 0.99);
    high.serverRetry(10 ** 9);
    high.lostHealthy();
    assert.ok(high.nextDelayMs() <= 5_000);
  });
});
