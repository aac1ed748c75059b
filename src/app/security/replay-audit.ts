/**
 * Audit entries for revoked tokens presented again, coalesced: at most one entry per token per
 * window (10 minutes). The first replay in a window is written at once (the forensic trail starts
 * immediately); later replays in that window are only counted, and one entry carrying their count
 * (`details.replays`, with the window's start and end) is written when the window closes — on the
 * next replay after it, on the periodic sweep, or when the process stops.
 *
 * Bounded: at most MAX_TRACKED tokens are tracked; beyond that the oldest window is closed early
 * (its count written), so an attacker holding many revoked tokens cannot grow the map, and costs
 * at most two entries per token per window either way. Before this, a single client replaying one
 * token wrote ~300 fsync'd audit rows a second.
 */
import type { Logger } from 'pino';
import type { AuditEventInput } from '../../core/audit/audit-event.js';
import type { AuditLogPort } from '../../stores/types.js';

export const REPLAY_WINDOW_MS = 10 * 60_000;
export const MAX_TRACKED = 10_000;
const SWEEP_MS = 60_000;

interface Window {
  readonly startMs: number;
  /** Replays seen after the first, not yet written. */
  suppressed: number;
  /** The latest of them (its address and time are what the closing entry reports). */
  last: AuditEventInput;
  lastMs: number;
}

export class ReplayAuditLog {
  private readonly windows = new Map<string, Window>();
  private readonly pending = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Pick<AuditLogPort, 'appendAudit'>,
    private readonly log: Pick<Logger, 'warn'>,
    private readonly maxTracked = MAX_TRACKED,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.sweep(Date.now()), SWEEP_MS);
    this.timer.unref();
  }

  /** Records one replay of the token `key`; true when it opened a new window (written at once). */
  record(key: string, audit: AuditEventInput, nowMs: number): boolean {
    const open = this.windows.get(key);
    if (open !== undefined && nowMs - open.startMs < REPLAY_WINDOW_MS) {
      open.suppressed++;
      open.last = audit;
      open.lastMs = nowMs;
      return false;
    }
    if (open !== undefined) this.close(key, open);
    else if (this.windows.size >= this.maxTracked) {
      const [oldestKey, oldest] = this.windows.entries().next().value as [string, Window];
      this.close(oldestKey, oldest);
    }
    this.windows.set(key, { startMs: nowMs, suppressed: 0, last: audit, lastMs: nowMs });
    this.write({ ...audit, details: { ...audit.details, replays: 1 } }, nowMs);
    return true;
  }

  /** Closes every window that has ended. */
  sweep(nowMs: number): void {
    for (const [key, w] of this.windows)
      if (nowMs - w.startMs >= REPLAY_WINDOW_MS) this.close(key, w);
  }

  /** Writes every open count and waits for the writes (process stopping). */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    for (const [key, w] of this.windows) this.close(key, w);
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  get tracked(): number {
    return this.windows.size;
  }

  private close(key: string, w: Window): void {
    this.windows.delete(key);
    if (w.suppressed === 0) return;
    this.write(
      {
        ...w.last,
        details: {
          ...w.last.details,
          replays: w.suppressed,
          window_start: new Date(w.startMs).toISOString(),
          window_end: new Date(w.startMs + REPLAY_WINDOW_MS).toISOString(),
        },
      },
      w.lastMs,
    );
  }

  private write(audit: AuditEventInput, atMs: number): void {
    const p = this.store
      .appendAudit([audit], atMs)
      .catch((err: unknown) => this.log.warn({ err }, 'could not record revoked-token use'))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }
}
