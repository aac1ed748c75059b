/**
 * The sessions page's device column: browser, OS and device type read by bowser from real user
 * agents, programs by their product token, and hostile user agents (huge, control characters,
 * bidi overrides, HTML) rendered escaped and bounded on the real page template.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sessionsPage } from '../../web/pages/sessions.js';
import { USER_AGENT_SHOWN_LIMIT, describeUserAgent } from '../../web/user-agent.js';

const AGENTS = {
  windowsChrome:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  iphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  ipad: 'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  macSafari:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  linuxFirefox: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  androidChrome:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
  edge: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87',
};

test('browsers: name and major version, operating system, device type', () => {
  const cases: Array<[string, string, string, string]> = [
    [AGENTS.windowsChrome, 'Chrome 131 on Windows', 'desktop', 'Desktop'],
    [AGENTS.iphone, 'Safari 17 on iOS', 'phone', 'Phone · Apple iPhone'],
    [AGENTS.ipad, 'Safari 17 on iOS', 'tablet', 'Tablet · Apple iPad'],
    [AGENTS.macSafari, 'Safari 17 on macOS', 'desktop', 'Desktop'],
    [AGENTS.linuxFirefox, 'Firefox 128 on Linux', 'desktop', 'Desktop'],
    [AGENTS.androidChrome, 'Chrome 126 on Android', 'phone', 'Phone'],
    [AGENTS.edge, 'Microsoft Edge 126 on Windows', 'desktop', 'Desktop'],
  ];
  for (const [ua, label, kind, kindLabel] of cases)
    assert.deepEqual(describeUserAgent(ua), { label, kind, kindLabel }, ua);
});

test('programs by their product token; nothing at all is an unknown device', () => {
  assert.deepEqual(describeUserAgent('curl/8.5.0'), {
    label: 'curl 8.5.0',
    kind: 'program',
    kindLabel: 'Program',
  });
  assert.deepEqual(describeUserAgent('python-requests/2.31.0'), {
    label: 'python-requests 2.31.0',
    kind: 'program',
    kindLabel: 'Program',
  });
  assert.deepEqual(describeUserAgent(''), {
    label: 'Unknown device',
    kind: 'unknown',
    kindLabel: 'Unknown device type',
  });
  assert.deepEqual(describeUserAgent(' \t '), {
    label: 'Unknown device',
    kind: 'unknown',
    kindLabel: 'Unknown device type',
  });
});

const viewer = { email: 'u@example.com', role: 'user' as const, csrf: 'c'.repeat(43) };
const row = (userAgent: string, id = 's1') => ({
  id,
  createdAtMs: 0,
  lastUsedAtMs: 0,
  ip: '192.0.2.1',
  lastIp: '192.0.2.1',
  userAgent,
  current: false,
});

test('hostile user agents render escaped and bounded on the sessions page', () => {
  const hostile = [
    '<script>alert(1)</script>/1.0',
    '"><img src=x onerror=alert(1)>',
    `Mozilla/5.0 (Windows NT 10.0) Chrome/${'9'.repeat(5000)}.0 Safari/537.36 <b>`,
    `evil\u0000\u0007\u001b[31m\r\nSet-Cookie: x=y\u202eexe.txt\u2066`,
    `${'A'.repeat(100_000)}/${'1'.repeat(100_000)}`,
    `Mozilla/5.0 (${'('.repeat(3000)}${'Version/1 '.repeat(300)}`,
  ];
  for (const ua of hostile) {
    const device = describeUserAgent(ua);
    assert.ok(device.label.length <= 90, `label bounded: ${device.label.length}`);
    assert.ok(device.kindLabel.length <= 60);
    const body = sessionsPage(viewer, [row(ua)]).value;
    assert.doesNotMatch(
      body,
      /<script>alert|<img src=x|<b>/,
      'markup from the user agent is escaped',
    );
    assert.doesNotMatch(
      body,
      /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u202a-\u202e\u2066-\u2069]/,
      'no control or bidi characters reach the page',
    );
    const cell = /<span class="device-ua muted" title="([^"]*)">([^<]*)<\/span>/.exec(body);
    assert.ok(cell !== null, 'the raw user agent is shown');
    assert.ok(
      cell[2]!.length <= USER_AGENT_SHOWN_LIMIT * 6,
      `shown text bounded: ${cell[2]!.length}`,
    );
    assert.ok(cell[1]!.length <= 512 * 6, `title bounded: ${cell[1]!.length}`);
  }
  const page = sessionsPage(viewer, [row('<script>alert(1)</script>/1.0')]).value;
  assert.match(page, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/, 'shown as text');
});
