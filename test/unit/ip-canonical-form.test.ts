/**
 * Addresses key rate limits, detector counters, honeypot counts and blocks, so one address must
 * have one form (canonicalisation), one IPv6 host one counting key (its /64), and a range must be
 * exact index bounds (the hex form stores query with BETWEEN).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AddressBudget } from '../../src/core/containment/address-budget.js';
import { resolveClientIp, trustedProxyMatcher } from '../../src/core/containment/client-ip.js';
import {
  cidrHexBounds,
  countingKey,
  countingRange,
  ipHex,
  normaliseIp,
  parseCidr,
  rangeCovers,
} from '../../src/core/containment/ip-address.js';

test('canonicalisation: IPv4-mapped IPv6 in any spelling becomes IPv4; IPv6 is zero-compressed lowercase; junk and zone ids are refused', () => {
  const cases: Array<[string, string | undefined]> = [
    ['1.2.3.4', '1.2.3.4'],
    [' 1.2.3.4 ', '1.2.3.4'],
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::FFFF:1.2.3.4', '1.2.3.4'],
    ['0:0:0:0:0:ffff:0102:0304', '1.2.3.4'],
    ['::ffff:0102:0304', '1.2.3.4'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['::', '::'],
    ['fe80::1%eth0', undefined],
    ['1.2.3', undefined],
    ['not-an-ip', undefined],
    ['', undefined],
  ];
  for (const [input, expected] of cases) assert.equal(normaliseIp(input), expected, input);
});

test('client IP resolution hands every consumer the canonical form, and reports X-Forwarded-For from an untrusted peer', () => {
  const none = trustedProxyMatcher([]);
  const ignored: string[] = [];
  assert.equal(
    resolveClientIp('::ffff:127.0.0.1', '203.0.113.9', none, (peer) => ignored.push(peer)),
    '127.0.0.1',
  );
  assert.deepEqual(ignored, ['127.0.0.1']);
  assert.equal(
    resolveClientIp('::ffff:127.0.0.1', undefined, none, (peer) => ignored.push(peer)),
    '127.0.0.1',
  );
  assert.equal(ignored.length, 1, 'no header, nothing to report');
  const proxy = trustedProxyMatcher(['127.0.0.1']);
  assert.equal(
    resolveClientIp('127.0.0.1', '2001:DB8:0:0:0:0:0:7', proxy, () => assert.fail('trusted peer')),
    '2001:db8::7',
  );
});

test('counting key: an IPv4 address is itself; every address of an IPv6 /64 shares one key', () => {
  assert.equal(countingKey('198.51.100.7'), '198.51.100.7');
  assert.equal(countingKey('::ffff:198.51.100.7'), '198.51.100.7');
  assert.equal(countingKey('2001:db8:5:6::1'), '2001:db8:5:6::/64');
  assert.equal(countingKey('2001:db8:5:6:ffff:ffff:ffff:ffff'), '2001:db8:5:6::/64');
  assert.equal(countingKey('2001:DB8:5:6:0:0:0:9'), '2001:db8:5:6::/64');
  assert.notEqual(countingKey('2001:db8:5:7::1'), countingKey('2001:db8:5:6::1'));
  assert.deepEqual(countingRange('2001:db8:5:6::1'), {
    address: '2001:db8:5:6::',
    prefix: 64,
    family: 'ipv6',
    text: '2001:db8:5:6::/64',
  });
});

test('range bounds: fixed-width hex whose text order is numeric order, IPv4 inside ::ffff:0:0/96, exact at the edges', () => {
  assert.equal(ipHex('1.2.3.4'), '00000000000000000000ffff01020304');
  assert.equal(ipHex('::ffff:1.2.3.4'), ipHex('1.2.3.4'));
  assert.equal(ipHex('2001:db8::1'), '20010db8000000000000000000000001');
  assert.equal(ipHex('junk'), undefined);
  assert.deepEqual(cidrHexBounds(parseCidr('10.0.0.0/8')!), {
    start: '00000000000000000000ffff0a000000',
    end: '00000000000000000000ffff0affffff',
  });
  assert.deepEqual(cidrHexBounds(parseCidr('10.9.9.9/32')!), {
    start: ipHex('10.9.9.9'),
    end: ipHex('10.9.9.9'),
  });
  assert.deepEqual(cidrHexBounds(parseCidr('2001:db8::/32')!), {
    start: '20010db8000000000000000000000000',
    end: '20010db8ffffffffffffffffffffffff',
  });
  assert.deepEqual(cidrHexBounds(parseCidr('::/0')!), {
    start: '0'.repeat(32),
    end: 'f'.repeat(32),
  });
  // Host bits in the given address do not widen or shift the range.
  assert.deepEqual(
    cidrHexBounds(parseCidr('198.51.100.77/24')!),
    cidrHexBounds(parseCidr('198.51.100.0/24')!),
  );
  const { start, end } = cidrHexBounds(parseCidr('198.51.100.0/24')!);
  const inside = (ip: string) => {
    const h = ipHex(ip)!;
    return h >= start && h <= end;
  };
  assert.equal(inside('198.51.100.0'), true);
  assert.equal(inside('198.51.100.255'), true);
  assert.equal(inside('198.51.99.255'), false);
  assert.equal(inside('198.51.101.0'), false);
  assert.equal(inside('::ffff:198.51.100.9'), true);
});

test('range cover: a /64 covers its addresses and is covered by a /48; families never mix', () => {
  assert.equal(rangeCovers(parseCidr('2001:db8:5::/48')!, parseCidr('2001:db8:5:6::/64')!), true);
  assert.equal(rangeCovers(parseCidr('2001:db8:5:6::/64')!, parseCidr('2001:db8:5:6::1')!), true);
  assert.equal(rangeCovers(parseCidr('2001:db8:5:6::/64')!, parseCidr('2001:db8:5::/48')!), false);
  assert.equal(rangeCovers(parseCidr('127.0.0.0/8')!, parseCidr('127.9.9.9')!), true);
  assert.equal(rangeCovers(parseCidr('::/0')!, parseCidr('127.0.0.1')!), false);
});

test('address budget: at most perKey per key and total in all per window; memory bounded by maxKeys', () => {
  const budget = new AddressBudget({ perKey: 2, total: 5, windowMs: 1000, maxKeys: 3 });
  assert.equal(budget.take('a', 0), true);
  assert.equal(budget.take('a', 1), true);
  assert.equal(budget.take('a', 2), false, 'per key');
  assert.equal(budget.take('b', 3), true);
  assert.equal(budget.take('c', 4), true);
  assert.equal(budget.take('d', 5), true, 'a fourth key evicts the oldest');
  assert.equal(budget.take('e', 6), false, 'total for the window spent');
  assert.equal(budget.take('a', 1000), true, 'a new window');
});
