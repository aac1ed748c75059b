/**
 * A small user-agent reader for the sessions page: "Firefox 128 on Windows", "Safari on iPhone",
 * "curl 8.5". Good enough to recognise one's own devices; not a fingerprinting library.
 */

export type DeviceKind = 'desktop' | 'phone' | 'tablet' | 'program' | 'unknown';

export interface DeviceDescription {
  /** e.g. "Chrome 126 on macOS". */
  readonly label: string;
  readonly kind: DeviceKind;
}

const PROGRAMS: ReadonlyArray<[RegExp, string]> = [
  [/^curl\/([\d.]+)/i, 'curl'],
  [/^Wget\/([\d.]+)/i, 'Wget'],
  [/^python-requests\/([\d.]+)/i, 'Python requests'],
  [/^python-httpx\/([\d.]+)/i, 'Python httpx'],
  [/^Python-urllib\/([\d.]+)/i, 'Python urllib'],
  [/^Go-http-client\/([\d.]+)/i, 'Go HTTP client'],
  [/^okhttp\/([\d.]+)/i, 'OkHttp'],
  [/^axios\/([\d.]+)/i, 'axios'],
  [/^node-fetch/i, 'Node.js'],
  [/^undici/i, 'Node.js'],
  [/^node$/i, 'Node.js'],
  [/^PostmanRuntime\/([\d.]+)/i, 'Postman'],
  [/^insomnia\/([\d.]+)/i, 'Insomnia'],
];

const BROWSERS: ReadonlyArray<[RegExp, string]> = [
  [/\bEdg(?:e|A|iOS)?\/(\d+)/, 'Edge'],
  [/\bOPR\/(\d+)/, 'Opera'],
  [/\bSamsungBrowser\/(\d+)/, 'Samsung Internet'],
  [/\bFirefox\/(\d+)/, 'Firefox'],
  [/\bFxiOS\/(\d+)/, 'Firefox'],
  [/\bCriOS\/(\d+)/, 'Chrome'],
  [/\bHeadlessChrome\/(\d+)/, 'Headless Chrome'],
  [/\bChrom(?:e|ium)\/(\d+)/, 'Chrome'],
  [/\bVersion\/(\d+)(?:\.\d+)*.*\bSafari\//, 'Safari'],
];

function operatingSystem(ua: string): { os: string; kind: DeviceKind } | undefined {
  if (/\biPhone\b/.test(ua)) return { os: 'iPhone', kind: 'phone' };
  if (/\biPad\b/.test(ua)) return { os: 'iPad', kind: 'tablet' };
  if (/\bAndroid\b/.test(ua)) return { os: 'Android', kind: /\bMobile\b/.test(ua) ? 'phone' : 'tablet' };
  if (/\bCrOS\b/.test(ua)) return { os: 'ChromeOS', kind: 'desktop' };
  if (/\bWindows\b/.test(ua)) return { os: 'Windows', kind: 'desktop' };
  if (/\bMac OS X\b|\bMacintosh\b/.test(ua)) return { os: 'macOS', kind: 'desktop' };
  if (/\bLinux\b|\bX11\b/.test(ua)) return { os: 'Linux', kind: 'desktop' };
  return undefined;
}

export function describeUserAgent(userAgent: string): DeviceDescription {
  const ua = userAgent.trim();
  if (ua === '') return { label: 'Unknown device', kind: 'unknown' };
  for (const [pattern, name] of PROGRAMS) {
    const m = pattern.exec(ua);
    if (m !== null) return { label: m[1] === undefined ? name : `${name} ${m[1]}`, kind: 'program' };
  }
  const system = operatingSystem(ua);
  let browser: string | undefined;
  for (const [pattern, name] of BROWSERS) {
    const m = pattern.exec(ua);
    if (m !== null) {
      browser = `${name} ${m[1]}`;
      break;
    }
  }
  if (browser !== undefined && system !== undefined) return { label: `${browser} on ${system.os}`, kind: system.kind };
  if (browser !== undefined) return { label: browser, kind: 'desktop' };
  if (system !== undefined) return { label: `Browser on ${system.os}`, kind: system.kind };
  // Something else: show its product token, shortened.
  const product = /^[^\s/]{1,40}(?:\/[^\s]{1,20})?/.exec(ua)?.[0] ?? 'Unknown';
  return { label: product.replace('/', ' '), kind: 'program' };
}
