/**
 * IP blocks: creating one revokes every session created or refreshed from a matching address in
 * the same commit; the lockdown hook answers 403 to a blocked address before any route. The set of
 * active blocks is held in memory (checked on every request), reloaded on each local change and
 * every second for changes made by other processes; expired blocks drop out by themselves.
 */
import { randomUUID } from 'node:crypto';
import { RevokdError } from '../../core/errors.js';
import { IpMatcher, parseCidr } from '../../core/containment/ip-address.js';
import type { Actor, BlockSource, IpBlockRecord, RevocationReport } from '../../stores/types.js';
import { type AppContext, accessCoverMs } from '../context.js';

const RELOAD_EVERY_MS = 1000;

export class ActiveBlocks {
  private matcher = new IpMatcher();
  private blocks: IpBlockRecord[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ctx: Pick<AppContext, 'store' | 'now' | 'log'>) {}

  async start(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => {
      this.reload().catch((err: unknown) => this.ctx.log.warn({ err }, 'could not reload IP blocks'));
    }, RELOAD_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  async reload(): Promise<void> {
    const blocks = await this.ctx.store.listIpBlocks(this.ctx.now());
    const matcher = new IpMatcher();
    for (const b of blocks) {
      const range = parseCidr(b.cidr);
      if (range !== undefined) matcher.add(range);
    }
    this.blocks = blocks;
    this.matcher = matcher;
  }

  /** The block covering this address, if any (expired blocks never match, even between reloads). */
  blockFor(ip: string): IpBlockRecord | undefined {
    if (!this.matcher.matches(ip)) return undefined;
    const nowMs = this.ctx.now();
    return this.blocks.find((b) => (b.expiresAtMs === null || b.expiresAtMs > nowMs) && new IpMatcher([parseCidr(b.cidr)!]).matches(ip));
  }
}

export interface BlockRequest {
  readonly target: unknown;
  readonly reason: unknown;
  readonly durationSeconds?: unknown;
  readonly source: BlockSource;
  readonly actor: Actor;
  readonly ip?: string;
}

export async function blockIp(ctx: AppContext, blocks: ActiveBlocks, request: BlockRequest): Promise<{ block: IpBlockRecord; report: RevocationReport }> {
  const range = typeof request.target === 'string' ? parseCidr(request.target) : undefined;
  if (range === undefined) throw new RevokdError('ERR_VALIDATION', 'ip/cidr must be an IP address or CIDR range');
  if (typeof request.reason !== 'string' || request.reason.trim() === '' || request.reason.length > 500) {
    throw new RevokdError('ERR_VALIDATION', 'reason is required (1 to 500 characters)');
  }
  let expiresAtMs: number | null = null;
  const nowMs = ctx.now();
  if (request.durationSeconds !== undefined && request.durationSeconds !== null) {
    const d = request.durationSeconds;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > 31_536_000) {
      throw new RevokdError('ERR_VALIDATION', 'duration_seconds must be a whole number from 1 to 31536000');
    }
    expiresAtMs = nowMs + d * 1000;
  }
  const block = {
    id: randomUUID(), cidr: range.text, reason: request.reason.trim(), source: request.source, createdAtMs: nowMs, expiresAtMs,
    createdBy: request.actor.id,
  };
  const report = await ctx.store.createIpBlock(block, {
    initiator: request.source === 'manual' ? 'admin' : 'system', reason: 'ip_block', note: block.reason, actor: request.actor,
    ip: request.ip, nowMs, accessCoverMs: accessCoverMs(ctx.config),
  });
  ctx.replica.applyLocal(report.records);
  await blocks.reload();
  ctx.events.emit('revoked', { scope: 'ip', reason: 'ip_block', initiator: request.source === 'manual' ? 'admin' : 'system', count: report.sessions });
  ctx.log.warn({ cidr: block.cidr, source: block.source, sessions: report.sessions }, 'IP blocked');
  return { block: { ...block, liftedAtMs: null, liftedBy: null }, report };
}

/** Lifts an active block (404 when there is none); `note`, the operator's reason, goes into the audit entry. */
export async function unblockIp(ctx: AppContext, blocks: ActiveBlocks, id: string, actor: Actor, ip?: string, note?: string): Promise<IpBlockRecord> {
  const lifted = await ctx.store.liftIpBlock(id, ctx.now(), actor.id, {
    type: 'ip.unblocked', actorType: actor.type, actorId: actor.id, targetType: 'ip', targetId: null, ip: ip ?? null, details: note === undefined ? {} : { note },
  });
  if (lifted === undefined) throw new RevokdError('ERR_NOT_FOUND', 'no such active block');
  await blocks.reload();
  return lifted;
}

/** Blocks an address automatically (deception, brute force) unless it is already blocked. */
export async function autoBlock(ctx: AppContext, blocks: ActiveBlocks, ip: string, source: BlockSource, reason: string): Promise<IpBlockRecord | undefined> {
  if (blocks.blockFor(ip) !== undefined) return undefined;
  const { block } = await blockIp(ctx, blocks, {
    target: ip, reason, durationSeconds: ctx.config.autoBlockSeconds, source, actor: { type: 'system', id: null },
  });
  return block;
}
