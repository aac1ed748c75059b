/**
 * Automatic blocks (deception, brute force) and the bounds that keep an outsider from aiming them:
 *
 * - the target is the address's counting range (an IPv4 address, an IPv6 client's /64), so one
 *   host cannot dodge by rotating addresses inside its /64;
 * - loopback, every REVOKD_TRUSTED_PROXIES entry and every REVOKD_NEVER_BLOCK entry are never
 *   blocked automatically: a block that would hit one raises a HIGH `auto_block_suppressed` alert
 *   instead (once per address per hour) — with no trusted proxy configured behind a proxy, every
 *   client *is* the proxy, and blocking it would take the service offline;
 * - at most REVOKD_AUTO_BLOCKS_PER_HOUR automatic blocks an hour across every instance, counted in
 *   `ctx.counters` (Redis, or the store without it: either way shared by the instances and kept
 *   across restarts of revokd); beyond it, one HIGH `auto_block_cap_reached` alert an hour and no
 *   more blocks. While Redis is down the cap holds per instance (its memory fallback).
 */
import {
  type CidrRange,
  countingRange,
  parseCidr,
  rangeCovers,
} from '../../core/containment/ip-address.js';
import type { Config } from '../../core/config.js';
import type { BlockSource, IpBlockRecord } from '../../stores/types.js';
import type { AppContext } from '../context.js';
import { raiseAlert } from './alerts.js';
import { type ActiveBlocks, blockIp } from './ip-blocks.js';

const HOUR_MS = 3_600_000;
const LOOPBACK = ['127.0.0.0/8', '::1/128'];
/** Counter of automatic blocks in the current hour-long window (one for all instances). */
export const AUTO_BLOCK_COUNTER = 'auto_blocks';

export type AutoBlockOutcome =
  | { readonly kind: 'blocked'; readonly block: IpBlockRecord }
  | { readonly kind: 'already_blocked' }
  | { readonly kind: 'never_block' }
  | { readonly kind: 'capped' };

const exemptCache = new WeakMap<Config, CidrRange[]>();

/** Loopback, trusted proxies and REVOKD_NEVER_BLOCK, parsed once per configuration. */
export function neverAutoBlocked(config: Config): CidrRange[] {
  let ranges = exemptCache.get(config);
  if (ranges === undefined) {
    ranges = [...LOOPBACK, ...config.trustedProxies, ...config.neverBlock]
      .map((entry) => parseCidr(entry))
      .filter((r): r is CidrRange => r !== undefined);
    exemptCache.set(config, ranges);
  }
  return ranges;
}

/** True when blocking `target` would hit an exempt address (the ranges overlap either way). */
function hitsExempt(config: Config, target: CidrRange): boolean {
  return neverAutoBlocked(config).some(
    (exempt) => rangeCovers(exempt, target) || rangeCovers(target, exempt),
  );
}

/** Blocks the counting range of an address automatically, within the bounds above. */
export async function autoBlock(
  ctx: AppContext,
  blocks: ActiveBlocks,
  ip: string,
  source: BlockSource,
  reason: string,
): Promise<AutoBlockOutcome> {
  const target = countingRange(ip);
  if (target === undefined) return { kind: 'never_block' };
  if (blocks.blockFor(ip) !== undefined) return { kind: 'already_blocked' };
  const nowMs = ctx.now();
  const window = Math.floor(nowMs / HOUR_MS);
  if (hitsExempt(ctx.config, target)) {
    await raiseAlert(ctx, {
      severity: 'HIGH',
      type: 'auto_block_suppressed',
      ip,
      details: {
        source,
        range: target.text,
        reason: reason.slice(0, 200),
        why: 'loopback, a trusted proxy or REVOKD_NEVER_BLOCK',
      },
      dedupeKey: `auto_block_suppressed:${target.text}:${window}`,
    });
    return { kind: 'never_block' };
  }
  const made = await ctx.counters.incrementCounter(AUTO_BLOCK_COUNTER, HOUR_MS, nowMs);
  if (made > ctx.config.autoBlocksPerHour) {
    await raiseAlert(ctx, {
      severity: 'HIGH',
      type: 'auto_block_cap_reached',
      ip,
      details: {
        limit_per_hour: ctx.config.autoBlocksPerHour,
        first_refused: { source, range: target.text },
      },
      dedupeKey: `auto_block_cap:${window}`,
    });
    return { kind: 'capped' };
  }
  const { block } = await blockIp(ctx, blocks, {
    target: target.text,
    reason,
    durationSeconds: ctx.config.autoBlockSeconds,
    source,
    actor: { type: 'system', id: null },
  });
  return { kind: 'blocked', block };
}
