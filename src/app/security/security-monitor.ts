/**
 * Detectors → alerts (SPEC §5.4, thresholds from the seeds, configurable). Listens to the event bus;
 * its work is asynchronous (store writes), tracked so a caller that must see the outcome (a
 * honeypot route, a failed login) can wait for it with settled().
 *
 * - revoked token presented again → CRITICAL, once per token; its audit entry coalesced (replay-audit.ts)
 * - refresh-token reuse → CRITICAL, once per session
 * - failed logins for one user above the limit within an hour → HIGH, once per window
 * - failed logins from one IP above the limit within an hour → HIGH and the IP is blocked
 * - token requests for one user above the limit within an hour → MEDIUM, once per window
 * - a honeypot path hit REVOKD_HONEYPOT_THRESHOLD times from one IP → HIGH and the IP is blocked
 * - a canary API token or decoy account touched → CRITICAL and the IP is blocked at once
 */
import type { AppContext } from '../context.js';
import { raiseAlert } from './alerts.js';
import { type ActiveBlocks, autoBlock } from './ip-blocks.js';
import { ReplayAuditLog } from './replay-audit.js';

const HOUR_MS = 3_600_000;

export class SecurityMonitor {
  private readonly pending = new Set<Promise<void>>();
  private readonly replays: ReplayAuditLog;

  constructor(private readonly ctx: AppContext, private readonly blocks: ActiveBlocks) {
    this.replays = new ReplayAuditLog(ctx.store, ctx.log);
  }

  attach(): void {
    const { events, config } = this.ctx;
    this.replays.start();
    events.on('revoked_token_used', (e) => this.track(async () => {
      // Later replays in the window are only counted: the alert (deduplicated per token anyway)
      // was raised by the first, so a flood does not take the write lock once per request.
      if (!this.replays.record(`${e.kind}:${e.tokenId}`, e.audit, this.ctx.now())) return;
      await raiseAlert(this.ctx, {
        severity: 'CRITICAL', type: 'revoked_token_replay', subject: e.subject, ip: e.ip,
        details: { kind: e.kind, token: e.tokenId.slice(0, 12) }, dedupeKey: `replay:${e.kind}:${e.tokenId}`,
      });
    }));
    events.on('refresh_reused', (e) => this.track(async () => {
      await raiseAlert(this.ctx, {
        severity: 'CRITICAL', type: 'refresh_token_reuse', subject: e.userId, ip: e.ip,
        details: { session: e.sessionId }, dedupeKey: `reuse:${e.sessionId}`,
      });
    }));
    events.on('login_failed', (e) => this.track(async () => {
      const nowMs = this.ctx.now();
      // A login refused by the per-(email, IP) limit reports no user id (it is refused before any
      // lookup); resolve it here, off the request path, so it counts against the same user.
      const userId = e.userId ?? (await this.ctx.store.findUserByEmail(e.email))?.id ?? null;
      const subject = userId ?? `email:${e.email.toLowerCase()}`;
      const perUser = await this.ctx.store.incrementCounter(`login_fail:user:${subject}`, HOUR_MS, nowMs);
      if (perUser > config.failedLoginsPerUserPerHour) {
        await raiseAlert(this.ctx, {
          severity: 'HIGH', type: 'brute_force_user', subject: userId ?? e.email, ip: e.ip,
          details: { failures_in_window: perUser }, dedupeKey: `brute_user:${subject}:${windowOf(nowMs)}`,
        });
      }
      const perIp = await this.ctx.store.incrementCounter(`login_fail:ip:${e.ip}`, HOUR_MS, nowMs);
      if (perIp > config.failedLoginsPerIpPerHour) {
        await autoBlock(this.ctx, this.blocks, e.ip, 'brute_force', `more than ${config.failedLoginsPerIpPerHour} failed logins within an hour`);
        await raiseAlert(this.ctx, {
          severity: 'HIGH', type: 'brute_force_ip', ip: e.ip, details: { failures_in_window: perIp, blocked: true },
          dedupeKey: `brute_ip:${e.ip}:${windowOf(nowMs)}`,
        });
      }
    }));
    events.on('token_issued', (e) => this.track(async () => {
      const nowMs = this.ctx.now();
      const count = await this.ctx.store.incrementCounter(`token_req:${e.subject}`, HOUR_MS, nowMs);
      if (count > config.tokenRequestsPerUserPerHour) {
        await raiseAlert(this.ctx, {
          severity: 'MEDIUM', type: 'token_request_rate', subject: e.subject, ip: e.ip, details: { requests_in_window: count },
          dedupeKey: `token_rate:${e.subject}:${windowOf(nowMs)}`,
        });
      }
    }));
    events.on('deception_hit', (e) => this.track(async () => {
      const nowMs = this.ctx.now();
      await this.ctx.store.appendAudit([{
        type: 'deception.triggered', actorType: 'anonymous', actorId: null, targetType: e.kind, targetId: e.detail.slice(0, 100), ip: e.ip,
        details: { kind: e.kind },
      }], nowMs);
      const threshold = e.kind === 'honeypot' ? config.honeypotThreshold : config.canaryThreshold;
      const hits = await this.ctx.store.incrementCounter(`deception:${e.kind}:${e.ip}`, HOUR_MS, nowMs);
      if (hits < threshold) return;
      const block = await autoBlock(this.ctx, this.blocks, e.ip, e.kind, `${e.kind} touched ${hits} time(s): ${e.detail.slice(0, 100)}`);
      await raiseAlert(this.ctx, {
        severity: e.kind === 'honeypot' ? 'HIGH' : 'CRITICAL', type: `${e.kind}_triggered`, ip: e.ip,
        details: { hits, detail: e.detail.slice(0, 100), blocked: block !== undefined || this.blocks.blockFor(e.ip) !== undefined },
        dedupeKey: `deception:${e.kind}:${e.ip}:${windowOf(nowMs)}`,
      });
    }));
  }

  /** Resolves when all work started so far has finished. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Writes the replay counts still open (process stopping); call after settled(). */
  async stop(): Promise<void> {
    await this.replays.stop();
  }

  private track(work: () => Promise<void>): void {
    const p = work().catch((err: unknown) => this.ctx.log.warn({ err }, 'security monitor failed'))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }
}

/** Dedupe keys per hour-long window, so a sustained attack alerts once an hour, not per attempt. */
function windowOf(nowMs: number): number {
  return Math.floor(nowMs / HOUR_MS);
}
