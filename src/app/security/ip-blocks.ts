/**
 * IP blocks: creating one revokes every session created or refreshed from a matching address, and
 * every API token created or last used from one, in the same commit (owners are mailed through the
 * outbox); the lockdown hook answers 403 to a blocked address before any route (the health probes
 * excepted). The rules for a manual block (not your own address; nothing broader than /8 or /32
 * without `force`) live here, so the API, the web UI and the CLI all apply them.
 *
 * The set of active blocks is held in memory (checked on every request). It is loaded once at
 * start and then follows the change feed: creating or lifting a block appends a record to the feed
 * in the same commit (core/revocation/ip-block-change.ts), so every instance applies it as soon as
 * its replica reads the feed (woken by NOTIFY or Redis), in commit order — as fast as a token
 * revocation, and never after a revocation committed later. Expired blocks drop out by themselves.
 */
import { randomUUID } from 'node:crypto';
import { RevokdError } from '../../core/errors.js';
import {
  type CidrRange,
  IpMatcher,
  parseCidr,
  rangeContains,
} from '../../core/containment/ip-address.js';
import type { FeedRecord } from '../../core/revocation/feed.js';
import { type IpBlockChange, isIpBlockChange } from '../../core/revocation/ip-block-change.js';
import { apiTokenRevokedMessage } from '../../mail/api-token-revoked-message.js';
import type { Actor, BlockSource, IpBlockRecord, IpBlockReport } from '../../stores/types.js';
import { type AppContext, type UsesStores, accessCoverMs } from '../context.js';

/** What enforcing a block needs to know of it. */
export interface ActiveBlock {
  readonly id: string;
  /** Canonical CIDR text. */
  readonly cidr: string;
  /** Ms since the epoch; null: until lifted. */
  readonly expiresAtMs: number | null;
}

/** Where the blocks' changes come from (RevocationReplica fits). */
export interface BlockChangeSource {
  onCommitted(listener: (record: FeedRecord) => void): () => void;
}

export class ActiveBlocks {
  private readonly active = new Map<string, { block: ActiveBlock; range: CidrRange }>();
  /** Ids of lifted blocks: a feed lagging behind a local lift must not bring the block back. */
  private readonly lifted = new Set<string>();
  private matcher = new IpMatcher();
  /** Changes the feed brought while the initial load was under way (replayed on top of it). */
  private duringLoad: IpBlockChange[] | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly ctx: Pick<AppContext, 'now'> & UsesStores<'containment'>,
    private readonly feed: BlockChangeSource,
  ) {}

  /**
   * Follows the feed, then loads the active blocks. In that order, with what the feed brings during
   * the load replayed after it, no change can fall between the load and the feed.
   */
  async start(): Promise<void> {
    this.duringLoad = [];
    this.unsubscribe = this.feed.onCommitted((record) => {
      if (!isIpBlockChange(record)) return;
      this.duringLoad?.push(record);
      this.applyChange(record);
    });
    try {
      const blocks = await this.ctx.stores.containment.listIpBlocks(this.ctx.now());
      for (const b of blocks) this.add(b);
      for (const change of this.duringLoad) this.applyChange(change);
    } finally {
      this.duringLoad = undefined;
    }
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Applies a block change (from the feed, or from this process's own commit). Idempotent. */
  applyChange(change: IpBlockChange): void {
    if (change.scope === 'ip_block')
      this.add({ id: change.target, cidr: change.cidr, expiresAtMs: change.expiresAtMs });
    else this.lift(change.target);
  }

  /** Starts enforcing a block (unless it was lifted already). */
  add(block: ActiveBlock): void {
    if (this.lifted.has(block.id) || this.active.has(block.id)) return;
    const range = parseCidr(block.cidr);
    if (range === undefined) return;
    this.dropExpired();
    this.active.set(block.id, {
      block: { id: block.id, cidr: block.cidr, expiresAtMs: block.expiresAtMs },
      range,
    });
    this.matcher.add(range);
  }

  /** Stops enforcing a block. */
  lift(id: string): void {
    this.lifted.add(id);
    if (this.active.delete(id)) this.rebuildMatcher();
  }

  /** The block covering this address, if any (expired blocks never match). */
  blockFor(ip: string): ActiveBlock | undefined {
    if (!this.matcher.matches(ip)) return undefined;
    const nowMs = this.ctx.now();
    for (const { block, range } of this.active.values()) {
      if ((block.expiresAtMs === null || block.expiresAtMs > nowMs) && rangeContains(range, ip))
        return block;
    }
    return undefined;
  }

  private dropExpired(): void {
    const nowMs = this.ctx.now();
    let dropped = false;
    for (const [id, { block }] of this.active) {
      if (block.expiresAtMs !== null && block.expiresAtMs <= nowMs) {
        this.active.delete(id);
        dropped = true;
      }
    }
    if (dropped) this.rebuildMatcher();
  }

  private rebuildMatcher(): void {
    this.matcher = new IpMatcher([...this.active.values()].map((a) => a.range));
  }
}

export interface BlockRequest {
  readonly target: unknown;
  readonly reason: unknown;
  readonly durationSeconds?: unknown;
  readonly source: BlockSource;
  readonly actor: Actor;
  /** The caller's address (API, UI); a manual block may not contain it. The CLI has none. */
  readonly ip?: string;
  /** Allows a manual block broader than MIN_PREFIX. */
  readonly force?: unknown;
}

/** The broadest manual block allowed without `force`: a /8 of IPv4 or a /32 of IPv6. */
export const MIN_PREFIX = { ipv4: 8, ipv6: 32 } as const;

/** The rules every manual block obeys, wherever it is asked for (API, web UI, CLI). */
function checkManualBlock(range: CidrRange, request: BlockRequest): void {
  if (request.force !== undefined && request.force !== null && typeof request.force !== 'boolean') {
    throw new RevokdError('ERR_VALIDATION', 'force must be true or false');
  }
  if (range.prefix < MIN_PREFIX[range.family] && request.force !== true) {
    throw new RevokdError(
      'ERR_VALIDATION',
      `${range.text} is broader than /${MIN_PREFIX.ipv4} (IPv4) or /${MIN_PREFIX.ipv6} (IPv6); to block it anyway, ask again with force (API: "force": true, CLI: --force)`,
    );
  }
  // Blocking your own address would lock you out of the admin API and console at once.
  if (request.ip !== undefined && rangeContains(range, request.ip)) {
    throw new RevokdError(
      'ERR_VALIDATION',
      `${range.text} contains your own address (${request.ip}); blocking it would lock you out. Block it from another network, or with the CLI.`,
    );
  }
}

export async function blockIp(
  ctx: AppContext,
  blocks: ActiveBlocks,
  request: BlockRequest,
): Promise<{ block: IpBlockRecord; report: IpBlockReport }> {
  const range = typeof request.target === 'string' ? parseCidr(request.target) : undefined;
  if (range === undefined)
    throw new RevokdError('ERR_VALIDATION', 'ip/cidr must be an IP address or CIDR range');
  if (request.source === 'manual') checkManualBlock(range, request);
  if (
    typeof request.reason !== 'string' ||
    request.reason.trim() === '' ||
    request.reason.length > 500
  ) {
    throw new RevokdError('ERR_VALIDATION', 'reason is required (1 to 500 characters)');
  }
  let expiresAtMs: number | null = null;
  const nowMs = ctx.now();
  if (request.durationSeconds !== undefined && request.durationSeconds !== null) {
    const d = request.durationSeconds;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > 31_536_000) {
      throw new RevokdError(
        'ERR_VALIDATION',
        'duration_seconds must be a whole number from 1 to 31536000',
      );
    }
    expiresAtMs = nowMs + d * 1000;
  }
  const block = {
    id: randomUUID(),
    cidr: range.text,
    reason: request.reason.trim(),
    source: request.source,
    createdAtMs: nowMs,
    expiresAtMs,
    createdBy: request.actor.id,
  };
  // API-token last use is batched: write what is pending so a token used from the range a moment
  // ago is found by the block's own commit.
  await ctx.apiTokenUsage.flush();
  const report = await ctx.stores.containment.createIpBlock(
    block,
    {
      initiator: request.source === 'manual' ? 'admin' : 'system',
      reason: 'ip_block',
      note: block.reason,
      actor: request.actor,
      ip: request.ip,
      nowMs,
      accessCoverMs: accessCoverMs(ctx.config),
    },
    { notify: (token, owner) => apiTokenRevokedMessage(token, owner, block.reason) },
  );
  // Enforced here at once; the feed brings the same change to every instance (this one again, harmlessly).
  blocks.add(block);
  ctx.replica.applyLocal(report.records);
  ctx.introspectionView.forgetApiTokens(report.apiTokens);
  // applyLocal tells the other instances only when the block revoked something; the block itself is news too.
  if (report.records.length === 0) ctx.replica.committedLocally();
  const initiator = request.source === 'manual' ? 'admin' : 'system';
  ctx.events.emit('revoked', {
    scope: 'ip',
    reason: 'ip_block',
    initiator,
    count: report.sessions,
  });
  if (report.apiTokens.length > 0)
    ctx.events.emit('revoked', {
      scope: 'api_token',
      reason: 'ip_block',
      initiator,
      count: report.apiTokens.length,
    });
  // An automatic block is an alarm (warn); a manual one is an operator's own action, already
  // answered to them and audited (info: in the server log, not echoed again by the CLI).
  const fields = {
    cidr: block.cidr,
    source: block.source,
    sessions: report.sessions,
    api_tokens: report.apiTokens.length,
  };
  if (request.source === 'manual') ctx.log.info(fields, 'IP blocked');
  else ctx.log.warn(fields, 'IP blocked');
  const revoked = {
    sessions: report.sessions,
    refreshTokens: report.refreshTokens,
    apiTokens: report.apiTokens.length,
  };
  return { block: { ...block, liftedAtMs: null, liftedBy: null, revoked }, report };
}

/** Lifts an active block (404 when there is none); `note`, the operator's reason, goes into the audit entry. */
export async function unblockIp(
  ctx: AppContext,
  blocks: ActiveBlocks,
  id: string,
  actor: Actor,
  ip?: string,
  note?: string,
): Promise<IpBlockRecord> {
  const lifted = await ctx.stores.containment.liftIpBlock(id, ctx.now(), actor.id, {
    type: 'ip.unblocked',
    actorType: actor.type,
    actorId: actor.id,
    targetType: 'ip',
    targetId: null,
    ip: ip ?? null,
    details: note === undefined ? {} : { note },
  });
  if (lifted === undefined) throw new RevokdError('ERR_NOT_FOUND', 'no such active block');
  blocks.lift(lifted.id);
  ctx.replica.committedLocally();
  return lifted;
}
