/** Address ranges as the fixed-width hex bounds both schemas index (ip_hex columns). */
import { cidrHexBounds, parseCidr } from '../../core/containment/ip-address.js';

/** The range as hex bounds; throws on text that is not a CIDR (callers validated it). */
export function hexBoundsOf(cidr: string): { start: string; end: string; text: string } {
  const range = parseCidr(cidr);
  if (range === undefined) throw new TypeError(`not an IP address or CIDR range: ${cidr}`);
  return { ...cidrHexBounds(range), text: range.text };
}
