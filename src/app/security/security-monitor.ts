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
 * - a canary API token or decoy account touched → CRITICAL and the IP is blocked at once — unless a
 *   client relayed it (introspection): a resource server passes on what it was handed, so the alert
 *   names the client and nothing is blocked (else anyone could block a resource server by sending
 *   it the canary)
 *
 * Addresses are counted by their counting key (an IPv6 client's /64); blocks go through autoBlock,
 * which never blocks loopback, trusted proxies or REVOKD_NEVER_BLOCK and is capped per hour.
 */
import { countingKey } from '../../core/containment/ip-address.js';
import type { AppContext } from '../context.js';
import { raiseAlert } from './alerts.js';
import { autoBlock } from './auto-block.js';
import type { ActiveBlocks } from './ip-blocks.js';
import { ReplayAuditLog } from './replay-audit.js';

const HOUR_MS = 3_600_000;

export class SecurityMonitor {
  private readonly pending = new Set<Promise<void>>();
  private readonly replays: ReplayAuditLog;

  constructor(
    private readonly ctx: AppContext,
    private readonly blocks: ActiveBlocks,
  ) {
    this.replays = new ReplayAuditLog(ctx.stores.audit, ctx.log);
  }

  attach(): void {
    const { events, config } = this.ctx;
    this.replays.start();
    events.on('revoked_token_used', (e) =>
      this.track(async () => {
        // Later replays in the window are only counted: the alert (deduplicated per token anyway)
        // was raised by the first, so a flood does not take the write lock once per request.
        if (!this.replays.record(`${e.kind}:${e.tokenId}`, e.audit, this.ctx.now())) return;
        await raiseAlert(this.ctx, {
          severity: 'CRITICAL',
          type: 'revoked_token_replay',
          subject: e.subject,
          ip: e.ip,
          details: { kind: e.kind, token: e.tokenId.slice(0, 12) },
          dedupeKey: `replay:${e.kind}:${e.tokenId}`,
        });
      }),
    );
    events.on('refresh_reused', (e) =>
      this.track(async () => {
        await raiseAlert(this.ctx, {
          severity: 'CRITICAL',
          type: 'refresh_token_reuse',
          subject: e.userId,
          ip: e.ip,
          details: { session: e.sessionId },
          dedupeKey: `reuse:${e.sessionId}`,
        });
      }),
    );
    events.on('login_failed', (e) =>
      this.track(async () => {
        const nowMs = this.ctx.now();
        // A login refused by the per-(email, IP) limit reports no user id (it is refused before any
        // lookup); resolve it here, off the request path, so it counts against the same user.
        const userId =
          e.userId ?? (await this.ctx.stores.records.findUserByEmail(e.email))?.id ?? null;
        const subject = userId ?? `email:${e.email.toLowerCase()}`;
        const perUser = await this.ctx.counters.incrementCounter(
          `login_fail:user:${subject}`,
          HOUR_MS,
          nowMs,
        );
        if (perUser > config.failedLoginsPerUserPerHour) {
          await raiseAlert(this.ctx, {
            severity: 'HIGH',
            type: 'brute_force_user',
            subject: userId ?? e.email,
            ip: e.ip,
            details: { failures_in_window: perUser },
            dedupeKey: `brute_user:${subject}:${windowOf(nowMs)}`,
          });
        }
        const ipKey = countingKey(e.ip);
        const perIp = await this.ctx.counters.incrementCounter(
          `login_fail:ip:${ipKey}`,
          HOUR_MS,
          nowMs,
        );
        if (perIp > config.failedLoginsPerIpPerHour) {
          const outcome = await autoBlock(
            this.ctx,
            this.blocks,
            e.ip,
            'brute_force',
            `more than ${config.failedLoginsPerIpPerHour} failed logins within an hour`,
          );
          await raiseAlert(this.ctx, {
            severity: 'HIGH',
            type: 'brute_force_ip',
            ip: e.ip,
            details: {
              failures_in_window: perIp,
              blocked: outcome.kind === 'blocked' || outcome.kind === 'already_blocked',
            },
            dedupeKey: `brute_ip:${ipKey}:${windowOf(nowMs)}`,
          });
        }
      }),
    );
    events.on('token_issued', (e) =>
      this.track(async () => {
        const nowMs = this.ctx.now();
        const count = await this.ctx.counters.incrementCounter(
          `token_req:${e.subject}`,
          HOUR_MS,
          nowMs,
        );
        if (count > config.tokenRequestsPerUserPerHour) {
          await raiseAlert(this.ctx, {
            severity: 'MEDIUM',
            type: 'token_request_rate',
            subject: e.subject,
            ip: e.ip,
            details: { requests_in_window: count },
            dedupeKey: `token_rate:${e.subject}:${windowOf(nowMs)}`,
          });
        }
      }),
    );
    events.on('deception_hit', (e) =>
      this.track(async () => {
        const nowMs = this.ctx.now();
        const relayedBy = e.via.kind === 'relayed_by_client' ? e.via.clientId : null;
        await this.ctx.stores.audit.appendAudit(
          [
            {
              type: 'deception.triggered',
              actorType: relayedBy === null ? 'anonymous' : 'client',
              actorId: relayedBy,
              targetType: e.kind,
              targetId: e.detail.slice(0, 100),
              ip: e.ip,
              details: { kind: e.kind, via: e.via.kind },
            },
          ],
          nowMs,
        );
        if (relayedBy !== null) {
          // The client only passed it on: whoever handed it the canary is the one to find.
          await raiseAlert(this.ctx, {
            severity: 'CRITICAL',
            type: `${e.kind}_triggered`,
            subject: `client:${relayedBy}`,
            ip: e.ip,
            details: {
              relayed_by_client: relayedBy,
              detail: e.detail.slice(0, 100),
              blocked: false,
            },
            dedupeKey: `deception:${e.kind}:client:${relayedBy}:${e.detail.slice(0, 100)}:${windowOf(nowMs)}`,
          });
          return;
        }
        const ipKey = countingKey(e.ip);
        const threshold = e.kind === 'honeypot' ? config.honeypotThreshold : config.canaryThreshold;
        const hits = await this.ctx.counters.incrementCounter(
          `deception:${e.kind}:${ipKey}`,
          HOUR_MS,
          nowMs,
        );
        if (hits < threshold) return;
        const outcome = await autoBlock(
          this.ctx,
          this.blocks,
          e.ip,
          e.kind,
          `${e.kind} touched ${hits} time(s): ${e.detail.slice(0, 100)}`,
        );
        await raiseAlert(this.ctx, {
          severity: e.kind === 'honeypot' ? 'HIGH' : 'CRITICAL',
          type: `${e.kind}_triggered`,
          ip: e.ip,
          details: {
            hits,
            detail: e.detail.slice(0, 100),
            blocked: outcome.kind === 'blocked' || outcome.kind === 'already_blocked',
          },
          dedupeKey: `deception:${e.kind}:${ipKey}:${windowOf(nowMs)}`,
        });
      }),
    );
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
    const p = work()
      .catch((err: unknown) => this.ctx.log.warn({ err }, 'security monitor failed'))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }
}

/** Dedupe keys per hour-long window, so a sustained attack alerts once an hour, not per attempt. */
function windowOf(nowMs: number): number {
  return Math.floor(nowMs / HOUR_MS);
}
