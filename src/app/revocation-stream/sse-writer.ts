/**
 * The output side of one stream: writes whole SSE frames to the HTTP response and bounds what may
 * wait in this process's memory for a slow consumer.
 *
 * - `send` (live events and heartbeats: the hub pushes them, they cannot be paused): if the bytes
 *   waiting to be sent exceed `maxBufferBytes`, the connection is closed instead — the consumer
 *   reconnects with Last-Event-ID and catches up from the store, paced by itself.
 * - `sendPaced` (snapshot parts, catch-up pages: produced by this stream, so they can wait): resolves
 *   once the socket has taken the frame, so a 10 M-entry snapshot is never in the buffer at once.
 * - Either way, output that has waited for `stallTimeoutMs` without the consumer taking any of it
 *   closes the connection (checkStall, called by the stream's timer): a consumer that stops reading
 *   does not hold memory or a slot for ever.
 */
import type { ServerResponse } from 'node:http';
import type { StreamConfig } from '../../core/config.js';

export type CloseReason =
  | 'client_gone'
  | 'slow_consumer'
  | 'stalled'
  | 'shutdown'
  | 'credentials_ended'
  | 'ip_blocked'
  | 'error';

export class SseWriter {
  private readonly res: ServerResponse;
  private readonly limits: Pick<StreamConfig, 'maxBufferBytes' | 'stallTimeoutMs'>;
  private readonly now: () => number;
  private closedReason: CloseReason | undefined;
  private readonly closeListeners: Array<(reason: CloseReason) => void> = [];
  /** When output started waiting for a drain (undefined: the socket has taken everything). */
  private waitingSince: number | undefined;
  private drainWaiters: Array<() => void> = [];
  /** When the last frame was written (what the heartbeat counts from). */
  lastWriteMs: number;
  framesSent = 0;

  constructor(
    res: ServerResponse,
    limits: Pick<StreamConfig, 'maxBufferBytes' | 'stallTimeoutMs'>,
    now: () => number = Date.now,
  ) {
    this.res = res;
    this.limits = limits;
    this.now = now;
    this.lastWriteMs = now();
    res.on('drain', () => {
      this.waitingSince = undefined;
      this.wakeDrainWaiters();
    });
    res.on('close', () => this.finish('client_gone'));
    res.on('error', () => this.finish('error'));
  }

  get isOpen(): boolean {
    return this.closedReason === undefined;
  }

  /** Told once, when the stream ends for whatever reason. */
  onClose(listener: (reason: CloseReason) => void): void {
    if (this.closedReason !== undefined) listener(this.closedReason);
    else this.closeListeners.push(listener);
  }

  /** Writes a live frame now; closes the connection (false) if too much is already waiting. */
  send(frame: string): boolean {
    if (!this.isOpen) return false;
    if (this.res.writableLength + Buffer.byteLength(frame) > this.limits.maxBufferBytes) {
      this.close('slow_consumer');
      return false;
    }
    this.write(frame);
    return this.isOpen;
  }

  /** Writes a frame this stream produces, and resolves (true) once the socket has room again. */
  async sendPaced(frame: string): Promise<boolean> {
    if (!this.isOpen) return false;
    if (!this.write(frame)) await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    return this.isOpen;
  }

  /** Whether output is waiting for the consumer to take it (a paced write is blocked on a drain). */
  get waitingForDrain(): boolean {
    return this.waitingSince !== undefined;
  }

  /** Closes the connection if its output has waited too long for the consumer (see the module comment). */
  checkStall(): void {
    if (
      this.waitingSince !== undefined &&
      this.now() - this.waitingSince > this.limits.stallTimeoutMs
    )
      this.close('stalled');
  }

  /**
   * Ends the stream. On shutdown the response is ended cleanly (the consumer sees the end of the
   * stream and reconnects elsewhere); otherwise, or if output is still waiting, the socket is
   * destroyed so nothing more is buffered for it.
   */
  close(reason: CloseReason): void {
    if (!this.isOpen) return;
    this.finish(reason);
    if (reason === 'shutdown' && this.res.writableLength === 0) this.res.end();
    else this.res.destroy();
  }

  private write(frame: string): boolean {
    this.lastWriteMs = this.now();
    this.framesSent += 1;
    const accepted = this.res.write(frame);
    if (!accepted) this.waitingSince ??= this.now();
    return accepted;
  }

  private finish(reason: CloseReason): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    this.wakeDrainWaiters();
    for (const listener of this.closeListeners.splice(0)) {
      try {
        listener(reason);
      } catch {
        // a listener's failure must not keep the others from running
      }
    }
  }

  private wakeDrainWaiters(): void {
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }
}
