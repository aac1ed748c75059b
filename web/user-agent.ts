/**
 * What the sessions page says about a session's user agent: browser, operating system and device
 * type, read by bowser ("Chrome 131 on Windows", desktop; "Safari 17 on iOS", phone, Apple iPhone).
 * Programs bowser does not know (curl, python-requests, SDKs) are shown by their product token.
 * Enough to recognise one's own devices; not a fingerprint.
 *
 * The user agent is whatever the client sent (up to 512 characters are stored): every text made
 * here is bounded and free of control and bidi-override characters; the templates escape it.
 */
import Bowser from 'bowser';

export type DeviceKind = 'desktop' | 'phone' | 'tablet' | 'tv' | 'program' | 'unknown';

export interface DeviceDescription {
  /** e.g. "Chrome 131 on macOS", "curl 8.5.0", "Unknown device". */
  readonly label: string;
  readonly kind: DeviceKind;
  /** The device type in words, with the model when the user agent names one: "Phone · Apple iPhone". */
  readonly kindLabel: string;
}

/** Longer user agents are parsed (and shown) only up to here; login stores at most 512 characters. */
export const USER_AGENT_PARSE_LIMIT = 512;
/** How much of the raw user agent the page shows under the label. */
export const USER_AGENT_SHOWN_LIMIT = 160;

const KIND_WORDS: Readonly<Record<DeviceKind, string>> = {
  desktop: 'Desktop',
  phone: 'Phone',
  tablet: 'Tablet',
  tv: 'TV',
  program: 'Program',
  unknown: 'Unknown device type',
};

// C0/C1 controls, DEL, and the bidi embeddings/overrides/isolates that could reorder the text around them.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Text safe to show: whitespace runs become one space, other unprintable characters U+FFFD, at most `max` characters. */
export function printable(text: string, max: number): string {
  const clean = text.replace(/\s+/g, ' ').trim().replace(UNPRINTABLE, '\uFFFD');
  return clean.length <= max ? clean : `${clean.slice(0, max - 1)}…`;
}

function kindOf(platformType: string | undefined): DeviceKind {
  switch (platformType) {
    case 'desktop':
      return 'desktop';
    case 'mobile':
      return 'phone';
    case 'tablet':
      return 'tablet';
    case 'tv':
      return 'tv';
    case 'bot':
      return 'program';
    default:
      return 'unknown';
  }
}

/** "131" from "131.0.0.0": a major version is what a person recognises (and it stays short). */
const majorVersion = (version: string | undefined): string =>
  /^\d{1,6}/.exec(version ?? '')?.[0] ?? '';

export function describeUserAgent(userAgent: string): DeviceDescription {
  const ua = printable(userAgent.slice(0, USER_AGENT_PARSE_LIMIT), USER_AGENT_PARSE_LIMIT);
  if (ua === '') return { label: 'Unknown device', kind: 'unknown', kindLabel: KIND_WORDS.unknown };
  const parsed = Bowser.parse(ua);
  const browser = printable(
    [parsed.browser.name ?? '', majorVersion(parsed.browser.version)]
      .filter((p) => p !== '')
      .join(' '),
    40,
  );
  const os = printable(parsed.os.name ?? '', 40);
  let kind = kindOf(parsed.platform.type);
  let label: string;
  if (browser !== '' && os !== '') label = `${browser} on ${os}`;
  else if (browser !== '') label = browser;
  else if (os !== '') label = `Browser on ${os}`;
  else {
    // Not a browser bowser knows: most programs lead with "name/version" (curl/8.5.0, okhttp/4.12.0).
    const product = /^[^\s/;()]{1,40}(?:\/[^\s;()]{1,20})?/.exec(ua)?.[0];
    label = product === undefined ? 'Unknown device' : product.replace('/', ' ');
    if (product !== undefined && kind === 'unknown') kind = 'program';
  }
  if (kind === 'unknown' && browser !== '') kind = 'desktop';
  const model = printable(
    [parsed.platform.vendor ?? '', parsed.platform.model ?? ''].filter((p) => p !== '').join(' '),
    40,
  );
  const kindLabel =
    model === '' || kind === 'desktop' ? KIND_WORDS[kind] : `${KIND_WORDS[kind]} · ${model}`;
  return { label, kind, kindLabel };
}
