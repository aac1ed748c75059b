/**
 * IP blocks: creating one revokes every session created or refreshed from a matching address, and
 * every API token created or last used from one, in the same commit (owners are mailed through the
 * outbox); the lockdown hook answers 403 to a blocked address before any route (the health probes
 * excepted). The rules for a manual block (not your own address; nothing broader than /8 or /32
 * without `force`) live here, so the API, the web UI and the CLI all apply them. The set of
 * active blocks is held in memory (checked on every request), reloaded on each local change and
 * every second for changes made by other processes; expired blocks drop out by themselves.
 */
import { randomUUID } from 'node:crypto';
import { RevokdError } from '../../core/errors.js';
import { type CidrRange, IpMatcher, parseCidr, rangeContains } from '../../core/containment/ip-address.js';
import { apiTokenRevokedMessage } from '../../mail/api-token-revoked-message.js';
import type { Actor, BlockSource, IpBlockRecord, IpBlockReport } from '../../stores/types.js';
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
    throw new RevokdError('ERR_VALIDATION',
      `${range.text} is broader than /${MIN_PREFIX.ipv4} (IPv4) or /${MIN_PREFIX.ipv6} (IPv6); to block it anyway, ask again with force (API: "force": true, CLI: --force)`);
  }
  // Blocking your own address would lock you out of the admin API and console at once.
  if (request.ip !== undefined && rangeContains(range, request.ip)) {
    throw new RevokdError('ERR_VALIDATION',
      `${range.text} contains your own address (${request.ip}); blocking it would lock you out. Block it from another network, or with the CLI.`);
  }
}

export async function blockIp(ctx: AppContext, blocks: ActiveBlocks, request: BlockRequest): Promise<{ block: IpBlockRecord; report: IpBlockReport }> {
  const range = typeof request.target === 'string' ? parseCidr(request.target) : undefined;
  if (range === undefined) throw new RevokdError('ERR_VALIDATION', 'ip/cidr must be an IP address or CIDR range');
  if (request.source === 'manual') checkManualBlock(range, request);
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
  // API-token last use is batched: write what is pending so a token used from the range a moment
  // ago is found by the block's own commit.
  await ctx.apiTokenUsage.flush();
  const report = await ctx.store.createIpBlock(block, {
    initiator: request.source === 'manual' ? 'admin' : 'system', reason: 'ip_block', note: block.reason, actor: request.actor,
    ip: request.ip, nowMs, accessCoverMs: accessCoverMs(ctx.config),
  }, { notify: (token, owner) => apiTokenRevokedMessage(token, owner, block.reason) });
  ctx.replica.applyLocal(report.records);
  await blocks.reload();
  const initiator = request.source === 'manual' ? 'admin' : 'system';
  ctx.events.emit('revoked', { scope: 'ip', reason: 'ip_block', initiator, count: report.sessions });
  if (report.apiTokens.length > 0) ctx.events.emit('revoked', { scope: 'api_token', reason: 'ip_block', initiator, count: report.apiTokens.length });
  // An automatic block is an alarm (warn); a manual one is an operator's own action, already
  // answered to them and audited (info: in the server log, not echoed again by the CLI).
  const fields = { cidr: block.cidr, source: block.source, sessions: report.sessions, api_tokens: report.apiTokens.length };
  if (request.source === 'manual') ctx.log.info(fields, 'IP blocked');
  else ctx.log.warn(fields, 'IP blocked');
  const revoked = { sessions: report.sessions, refreshTokens: report.refreshTokens, apiTokens: report.apiTokens.length };
  return { block: { ...block, liftedAtMs: null, liftedBy: null, revoked }, report };
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
