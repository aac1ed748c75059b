/**
 * Which address a request comes from. `X-Forwarded-For` is believed only when the socket peer is a
 * trusted proxy, and then only up to the right-most hop that is not itself trusted: everything left
 * of that hop was written by the client and can be forged.
 */
import { IpMatcher, normaliseIp, parseCidr } from './ip-address.js';

export function trustedProxyMatcher(entries: readonly string[]): IpMatcher {
  const matcher = new IpMatcher();
  for (const entry of entries) {
    const range = parseCidr(entry);
    if (range === undefined)
      throw new TypeError(`REVOKD_TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR range`);
    matcher.add(range);
  }
  return matcher;
}

/**
 * The canonical client address (see normaliseIp): every consumer — rate limits, detectors, blocks,
 * sessions, audit — gets this one form. `onIgnoredForwardedFor` is told when the request carried
 * `X-Forwarded-For` from a peer that is not a trusted proxy (behind an unlisted proxy every client
 * looks like the proxy, which is worth a warning).
 */
export function resolveClientIp(
  socketIp: string | undefined,
  forwardedFor: string | string[] | undefined,
  trusted: IpMatcher,
  onIgnoredForwardedFor?: (peer: string) => void,
): string {
  const peer = normaliseIp(socketIp ?? '') ?? '0.0.0.0';
  if (forwardedFor === undefined) return peer;
  if (!trusted.matches(peer)) {
    onIgnoredForwardedFor?.(peer);
    return peer;
  }
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
  const hops = header
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h.length > 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normaliseIp(hops[i] as string);
    if (hop === undefined) return peer; // a garbled chain: trust nothing beyond our own proxy
    if (!trusted.matches(hop)) return hop;
  }
  return peer;
}
