/**
 * Last-use bookkeeping without a write per request: uses are kept in memory (the latest per token)
 * and written in one transaction every REVOKD_API_TOKEN_USAGE_FLUSH_MS, and on close.
 */
import type { Logger } from 'pino';
import type { ApiTokenRecords } from '../../stores/types.js';

export class ApiTokenUsageRecorder {
  private pending = new Map<string, { atMs: number; ip: string }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Pick<ApiTokenRecords, 'recordApiTokenUse'>,
    private readonly log: Logger,
  ) {}

  record(id: string, atMs: number, ip: string): void {
    this.pending.set(id, { atMs, ip });
  }

  start(flushMs: number): void {
    this.timer = setInterval(() => void this.flush(), flushMs);
    this.timer.unref();
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.store.recordApiTokenUse([...batch].map(([id, use]) => ({ id, ...use })));
    } catch (err) {
      // Keep what could not be written (newer uses win) and try again next time.
      for (const [id, use] of batch) if (!this.pending.has(id)) this.pending.set(id, use);
      this.log.warn({ err }, 'could not record API token use');
    }
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.flush();
  }
}
