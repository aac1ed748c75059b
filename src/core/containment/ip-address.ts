/**
 * IP addresses and CIDR ranges: parsing, normalisation (IPv4-mapped IPv6 becomes IPv4) and
 * matching, over node:net's BlockList so IPv4 and IPv6 follow one set of rules.
 */
import { BlockList, isIP } from 'node:net';

export interface CidrRange {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
  /** Canonical text, e.g. `203.0.113.0/24`. */
  readonly text: string;
}

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** The canonical form of an address: IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes `1.2.3.4`. */
export function normaliseIp(value: string): string | undefined {
  const trimmed = value.trim();
  const mapped = MAPPED_V4.exec(trimmed);
  const candidate = mapped?.[1] ?? trimmed;
  const family = isIP(candidate);
  if (family === 0) return undefined;
  return family === 6 ? candidate.toLowerCase() : candidate;
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
