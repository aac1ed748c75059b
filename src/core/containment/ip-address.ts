/**
 * IP addresses and CIDR ranges: parsing, normalisation (IPv4-mapped IPv6 becomes IPv4, IPv6 is
 * zero-compressed lowercase) and matching, over node:net's BlockList so IPv4 and IPv6 follow one
 * set of rules. Also the fixed-width hex form stores range-query on, and the counting key.
 */
import { BlockList, SocketAddress, isIP } from 'node:net';

export interface CidrRange {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
  /** Canonical text, e.g. `203.0.113.0/24`. */
  readonly text: string;
}

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/**
 * The canonical form of an address, so one address is one key everywhere: IPv4-mapped IPv6 (in
 * any spelling, e.g. `::ffff:1.2.3.4` or `0:0:0:0:0:ffff:0102:0304`) becomes `1.2.3.4`; other IPv6
 * becomes its RFC 5952 text (lowercase, longest zero run compressed). A zone id (`%eth0`) is refused.
 */
export function normaliseIp(value: string): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  const family = isIP(trimmed);
  if (family === 0) return undefined;
  if (family === 4) return trimmed;
  if (trimmed.includes('%')) return undefined;
  const bytes = ipv6Bytes(trimmed);
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  return formatIpv6(bytes);
}

/** The 16 bytes of a valid IPv6 address (any spelling node accepts, dotted tail included). */
function ipv6Bytes(address: string): Buffer {
  const mapped = MAPPED_V4.exec(address);
  if (mapped !== null) return ipv4MappedBytes(mapped[1] as string);
  // SocketAddress parses and re-serialises in canonical (compressed, lowercase) form.
  const canonical = new SocketAddress({ address, family: 'ipv6' }).address;
  const [head = '', tail = ''] = canonical.split('::');
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':'));
  let left = groups(head);
  let right = groups(tail);
  const expand = (gs: string[]): string[] =>
    gs.flatMap((g) => (g.includes('.') ? dottedGroups(g) : [g]));
  left = expand(left);
  right = expand(right);
  const zeros = canonical.includes('::')
    ? Array<string>(8 - left.length - right.length).fill('0')
    : [];
  return Buffer.from([...left, ...zeros, ...right].map((g) => g.padStart(4, '0')).join(''), 'hex');
}

function dottedGroups(dotted: string): string[] {
  const [a = 0, b = 0, c = 0, d = 0] = dotted.split('.').map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}

function ipv4MappedBytes(v4: string): Buffer {
  const bytes = Buffer.alloc(16);
  bytes[10] = 0xff;
  bytes[11] = 0xff;
  v4.split('.').forEach((octet, i) => {
    bytes[12 + i] = Number(octet);
  });
  return bytes;
}

/** RFC 5952 text of 16 bytes: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
function formatIpv6(bytes: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** 16 bytes for any canonical address; IPv4 is placed in ::ffff:0:0/96 so both families share one order. */
function addressBytes(canonical: string): Buffer {
  return isIP(canonical) === 4 ? ipv4MappedBytes(canonical) : ipv6Bytes(canonical);
}

/**
 * The fixed-width (32 lowercase hex digits) form of an address that stores index and compare: the
 * text order of these equals the numeric order, so a CIDR is `BETWEEN start AND end`.
 */
export function ipHex(value: string): string | undefined {
  const canonical = normaliseIp(value);
  return canonical === undefined ? undefined : addressBytes(canonical).toString('hex');
}

/** The first and last address of a range, in the `ipHex` form. */
export function cidrHexBounds(range: CidrRange): { start: string; end: string } {
  const base = addressBytes(range.address);
  const bits = range.family === 'ipv4' ? 96 + range.prefix : range.prefix;
  const start = Buffer.from(base);
  const end = Buffer.from(base);
  for (let bit = bits; bit < 128; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    start[byte] = (start[byte] as number) & ~mask;
    end[byte] = (end[byte] as number) | mask;
  }
  return { start: start.toString('hex'), end: end.toString('hex') };
}

/** Prefix length at which IPv6 clients are counted and auto-blocked: one /64 is one subscriber. */
export const IPV6_COUNTING_PREFIX = 64;

/**
 * The range an address is counted (and automatically blocked) as: an IPv4 address is itself, an
 * IPv6 address its /64 — a single host usually holds a whole /64, so per-address counting would
 * let it rotate through 2^64 addresses.
 */
export function countingRange(ip: string): CidrRange | undefined {
  const canonical = normaliseIp(ip);
  if (canonical === undefined) return undefined;
  if (isIP(canonical) === 4)
    return { address: canonical, prefix: 32, family: 'ipv4', text: `${canonical}/32` };
  const bytes = ipv6Bytes(canonical);
  bytes.fill(0, IPV6_COUNTING_PREFIX / 8);
  const address = formatIpv6(bytes);
  return {
    address,
    prefix: IPV6_COUNTING_PREFIX,
    family: 'ipv6',
    text: `${address}/${IPV6_COUNTING_PREFIX}`,
  };
}

/** The key rate limits, detector counters and honeypot counts use for an address (see countingRange). */
export function countingKey(ip: string): string {
  const range = countingRange(ip);
  if (range === undefined) return ip;
  return range.family === 'ipv4' ? range.address : range.text;
}

/** Parses `1.2.3.4`, `1.2.3.0/24`, `2001:db8::/32`; undefined when it is not an address or range. */
export function parseCidr(value: string): CidrRange | undefined {
  if (typeof value !== 'string' || value.length > 64) return undefined;
  const [addrPart, prefixPart, extra] = value.trim().split('/');
  if (extra !== undefined || addrPart === undefined) return undefined;
  const address = normaliseIp(addrPart);
  if (address === undefined) return undefined;
  const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
  const max = family === 'ipv4' ? 32 : 128;
  let prefix = max;
  if (prefixPart !== undefined) {
    if (!/^\d{1,3}$/.test(prefixPart)) return undefined;
    prefix = Number(prefixPart);
    if (prefix > max) return undefined;
  }
  return { address, prefix, family, text: `${address}/${prefix}` };
}

/** True when the address lies inside the range. */
export function rangeContains(range: CidrRange, ip: string): boolean {
  return new IpMatcher([range]).matches(ip);
}

/** True when `inner` lies wholly inside `outer` (same family, no shorter prefix, start inside). */
export function rangeCovers(outer: CidrRange, inner: CidrRange): boolean {
  return (
    outer.family === inner.family &&
    inner.prefix >= outer.prefix &&
    rangeContains(outer, inner.address)
  );
}

/** A matcher over a set of ranges; `matches` takes any address form and never throws. */
export class IpMatcher {
  private readonly list = new BlockList();
  private count = 0;

  constructor(ranges: Iterable<CidrRange> = []) {
    for (const range of ranges) this.add(range);
  }

  add(range: CidrRange): void {
    this.list.addSubnet(range.address, range.prefix, range.family);
    this.count++;
  }

  get size(): number {
    return this.count;
  }

  matches(ip: string): boolean {
    if (this.count === 0) return false;
    const address = normaliseIp(ip);
    if (address === undefined) return false;
    return this.list.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
  }
}
