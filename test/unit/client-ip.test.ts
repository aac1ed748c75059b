import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveClientIp, trustedProxyMatcher } from '../../src/core/containment/client-ip.js';
import { IpMatcher, parseCidr } from '../../src/core/containment/ip-address.js';

test('without trusted proxies X-Forwarded-For is ignored', () => {
  assert.equal(resolveClientIp('127.0.0.1', '203.0.113.7', trustedProxyMatcher([])), '127.0.0.1');
});

test('from a trusted peer, the right-most untrusted hop is the client', () => {
  const trusted = trustedProxyMatcher(['127.0.0.1', '10.0.0.0/8']);
  assert.equal(
    resolveClientIp('127.0.0.1', '198.51.100.1, 203.0.113.7, 10.1.2.3', trusted),
    '203.0.113.7',
  );
  assert.equal(resolveClientIp('192.0.2.9', '203.0.113.7', trusted), '192.0.2.9');
  assert.equal(resolveClientIp('::ffff:127.0.0.1', '203.0.113.7', trusted), '203.0.113.7');
  assert.equal(resolveClientIp('127.0.0.1', 'not-an-ip', trusted), '127.0.0.1');
});

test('CIDR parsing and matching normalise IPv4-mapped IPv6 and cover IPv6', () => {
  assert.equal(parseCidr('::ffff:203.0.113.9/24')?.text, '203.0.113.9/24');
  assert.equal(parseCidr('203.0.113.0/33'), undefined);
  assert.equal(parseCidr('nonsense'), undefined);
  const m = new IpMatcher([parseCidr('203.0.113.0/24')!, parseCidr('2001:db8::/32')!]);
  assert.ok(m.matches('203.0.113.200'));
  assert.ok(m.matches('::ffff:203.0.113.1'));
  assert.ok(m.matches('2001:db8:1::5'));
  assert.ok(!m.matches('203.0.114.1'));
  assert.ok(!m.matches('garbage'));
});
