/**
 * The replica driver that follows revokd's push stream (`GET /api/v1/revocations/stream`, SPEC
 * §5.6; the event format is src/core/revocation/wire-format.ts). It hands the replica exactly what
 * the service's poll driver hands it: a snapshot, then committed records in commit order with their
 * cursors, and "you are current" whenever the stream shows it is alive (any event, heartbeats
 * included). Nothing read from the network is trusted: every event is decoded by wire-format's
 * validators, lines and events are bounded, and a malformed stream is dropped and reconnected.
 *
 * Reconnects use exponential backoff with jitter and send `Last-Event-ID`, so the service resumes
 * with no loss and no duplicates (or sends a fresh snapshot, which replaces the view whole).
 */
import type { FeedCursor } from '../../../src/core/revocation/feed.js';
import { GENESIS_CHAIN } from '../../../src/core/revocation/feed-chain.js';
import type { RevocationRecord } from '../../../src/core/revocation/types.js';
import { fromWire, snapshotPartFromWire, type WireGenerations, type WireServiceLimits } from '../../../src/core/revocation/wire-format.js';
import type { ReplicaDriver, ReplicaSink, WakeupStatus } from '../../../src/replica/revocation-replica.js';
import { abortReason, cancelOnAbort, discard, raceAbort } from './abortable.js';
import { SseParser, type SseEvent } from './sse-parser.js';

export interface SseDriverOptions {
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** First reconnection delay (the server's `retry:` replaces it); doubles up to `maxBackoffMs`. */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** No byte for this long (heartbeats come every second): the connection is taken for dead. */
  readonly idleTimeoutMs: number;
  /** Headers not received within this: the attempt is abandoned. */
  readonly connectTimeoutMs?: number;
  /**
   * Told what each snapshot announces about the service (undefined: a service that announces
   * nothing), just before the snapshot is loaded.
   */
  readonly onServiceLimits?: (limits: WireServiceLimits | undefined) => void;
}

/** The credentials were refused: retrying cannot help until an operator fixes them. */
export class StreamAuthError extends Error {
  constructor(status: number) {
    super(`the revocation stream refused the client credentials (HTTP ${status}); the client needs scope revocations:read`);
    this.name = 'StreamAuthError';
  }
}

/** Anything the stream sent that does not follow its format. */
class StreamProtocolError extends Error {
  constructor(message: string) {
    super(`revocation stream: ${message}`);
    this.name = 'StreamProtocolError';
  }
}

const MAX_LINE_LENGTH = 1 << 20;
/** A snapshot part (the largest event) is bounded by the service; this is a generous ceiling. */
const MAX_EVENT_LENGTH = 32 << 20;
const DEFAULT_INITIAL_BACKOFF_MS = 100;
const DEFAULT_MAX_BACKOFF_MS = 5_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

interface SnapshotInProgress {
  nextPart: number;
  generations: WireGenerations | undefined;
  limits: WireServiceLimits | undefined;
  records: RevocationRecord[];
}

export class SseDriver implements ReplicaDriver {
  private readonly options: SseDriverOptions;
  private readonly authorization: string;
  private sink: ReplicaSink | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private wakeSleep: (() => void) | undefined;
  private cursor: FeedCursor | undefined;
  private snapshotLoaded = false;
  private snapshot: SnapshotInProgress | undefined;
  private serverRetryMs: number | undefined;
  private connected = false;
  private problem = 'not connected yet';
  private firstSnapshot: { resolve: () => void; reject: (err: Error) => void } | undefined;
  /** Connections made (the first one included): a reconnect is visible in status. */
  connections = 0;

  constructor(options: SseDriverOptions) {
    this.options = options;
    // RFC 6749 §2.3.1: form-urlencode id and secret, then Basic.
    const encode = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+');
    this.authorization = `Basic ${Buffer.from(`${encode(options.clientId)}:${encode(options.clientSecret)}`).toString('base64')}`;
  }

  start(sink: ReplicaSink): Promise<void> {
    if (this.sink !== undefined) throw new Error('SseDriver.start called twice');
    this.sink = sink;
    const first = new Promise<void>((resolve, reject) => { this.firstSnapshot = { resolve, reject }; });
    this.loop = this.run();
    return first;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    this.wakeSleep?.();
    this.firstSnapshot?.reject(new Error('the verifier was closed before the first snapshot arrived'));
    this.firstSnapshot = undefined;
    await this.loop;
  }

  wakeupStatus(): WakeupStatus[] {
    return [this.connected ? { name: 'stream', connected: true } : { name: 'stream', connected: false, problem: this.problem }];
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let receivedEvents = false;
      try {
        receivedEvents = await this.connectOnce();
        this.problem = 'the stream ended';
      } catch (err) {
        if (this.stopped) break;
        this.problem = err instanceof Error ? err.message : String(err);
        // Before the first snapshot, refused credentials are a configuration error: say so now
        // rather than after the start timeout. Later they may be a rotation in progress: retry.
        if (err instanceof StreamAuthError && this.firstSnapshot !== undefined) {
          this.firstSnapshot.reject(err);
          this.firstSnapshot = undefined;
        }
      } finally {
        this.connected = false;
        this.abort = undefined;
      }
      if (this.stopped) break;
      failures = receivedEvents ? 0 : failures + 1;
      await this.sleep(this.backoffMs(failures));
    }
  }

  /** Full jitter over an exponential ceiling, so verifiers restarted together do not reconnect in step. */
  private backoffMs(failures: number): number {
    const base = this.serverRetryMs ?? this.options.initialBackoffMs ?? DEFAULT_INITIAL_BACKOFF_MS;
    const ceiling = Math.min(this.options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS, base * 2 ** Math.min(failures, 16));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeSleep = done;
    });
  }

  /** One connection, until it ends or fails. Resolves whether any event was received. */
  private async connectOnce(): Promise<boolean> {
    const abort = new AbortController();
    this.abort = abort;
    this.snapshot = undefined;
    const headers: Record<string, string> = { accept: 'text/event-stream', 'cache-control': 'no-cache', authorization: this.authorization };
    if (this.cursor !== undefined) headers['last-event-id'] = this.cursor;
    const connectTimer = setTimeout(() => abort.abort(new Error('timed out connecting to the revocation stream')), this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
    let response: Response;
    try {
      // Raced against our own signal: fetch's may no longer reach the request (abortable.ts).
      response = await raceAbort(fetch(this.options.url, { headers, signal: abort.signal, redirect: 'error' }), abort.signal, discard);
    } catch (err) {
      throw abort.signal.aborted ? abortReason(abort.signal) : err;
    } finally {
      clearTimeout(connectTimer);
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw new StreamAuthError(response.status);
    }
    const type = response.headers.get('content-type') ?? '';
    if (response.status !== 200 || !/^text\/event-stream\b/i.test(type) || response.body === null) {
      await response.body?.cancel();
      throw new StreamProtocolError(`expected 200 text/event-stream, got ${response.status} ${type}`);
    }
    this.connections++;
    this.connected = true;
    let received = false;
    const parser = new SseParser({
      maxLineLength: MAX_LINE_LENGTH,
      maxEventLength: MAX_EVENT_LENGTH,
      onRetry: (ms) => { this.serverRetryMs = Math.min(Math.max(ms, 10), this.options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS); },
      onEvent: (event) => {
        this.handle(event);
        received = true;
      },
    });
    const reader = response.body.getReader();
    // stop() and the idle timer abort; the abort cancels this reader, which closes the socket.
    const stopCancelling = cancelOnAbort(reader, abort.signal);
    let idleTimer: NodeJS.Timeout | undefined;
    const armIdle = (): void => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => abort.abort(new Error('the revocation stream went quiet (no heartbeat)')), this.options.idleTimeoutMs);
    };
    try {
      armIdle();
      for (;;) {
        const { done, value } = await reader.read();
        // A cancelled reader ends its stream like the server would: tell the two apart.
        if (abort.signal.aborted) throw abortReason(abort.signal);
        if (done) break;
        armIdle();
        parser.push(value);
      }
    } catch (err) {
      throw abort.signal.aborted ? abortReason(abort.signal) : err;
    } finally {
      clearTimeout(idleTimer);
      stopCancelling();
      abort.abort();
      // Whatever ended the loop (a malformed event included), the connection goes with it.
      await reader.cancel().catch(() => {});
      reader.releaseLock();
    }
    return received;
  }

  private handle(event: SseEvent): void {
    const sink = this.sink as ReplicaSink;
    switch (event.event) {
      case 'snapshot':
        this.snapshotPart(parseJson(event), event.id);
        return;
      case 'revocation': {
        if (this.snapshot !== undefined) throw new StreamProtocolError('a revocation arrived in the middle of a snapshot');
        if (!this.snapshotLoaded) throw new StreamProtocolError('a revocation arrived before any snapshot');
        if (event.id === undefined || event.id === '') throw new StreamProtocolError('a revocation event has no id');
        const record = fromWire(parseJson(event));
        sink.applyCommitted({ records: [record], cursors: [event.id], cursor: event.id });
        this.cursor = event.id;
        sink.markCurrent();
        return;
      }
      default:
        // Heartbeats (and any event a newer server adds) prove the stream is alive and caught up.
        // Not while a snapshot is half-read or before the first one: the view is not current then.
        if (this.snapshotLoaded && this.snapshot === undefined) sink.markCurrent();
    }
  }

  private snapshotPart(data: unknown, id: string | undefined): void {
    const part = snapshotPartFromWire(data);
    const current = this.snapshot ?? { nextPart: 0, generations: undefined, limits: undefined, records: [] };
    if (part.part !== current.nextPart) throw new StreamProtocolError(`snapshot part ${part.part} arrived, ${current.nextPart} expected`);
    if (part.part === 0) {
      current.generations = part.generations;
      current.limits = part.limits;
    }
    for (const record of part.records) current.records.push(record);
    current.nextPart++;
    if (!part.final) {
      this.snapshot = current;
      return;
    }
    this.snapshot = undefined;
    if (id === undefined || id === '') throw new StreamProtocolError('the final snapshot part has no id');
    const generations = current.generations ?? { global: 0, users: [], clients: [] };
    this.options.onServiceLimits?.(current.limits);
    (this.sink as ReplicaSink).loadSnapshot({
      records: current.records,
      globalGeneration: generations.global,
      userGenerations: generations.users,
      clientGenerations: generations.clients,
      cursor: id,
      // TODO(stream v2): the chain the snapshot carries on the wire, once the stream sends it.
      chain: GENESIS_CHAIN,
    });
    this.cursor = id;
    this.snapshotLoaded = true;
    this.firstSnapshot?.resolve();
    this.firstSnapshot = undefined;
  }
}

function parseJson(event: SseEvent): unknown {
  try {
    return JSON.parse(event.data);
  } catch {
    throw new StreamProtocolError(`"${event.event}" event data is not JSON`);
  }
}
