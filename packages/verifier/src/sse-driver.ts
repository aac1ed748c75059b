/**
 * The replica driver that follows revokd's push stream (`GET /api/v1/revocations/stream`, SPEC
 * §5.6), speaking stream protocol 2 as docs/stream-protocol.md defines it. It hands the replica
 * what the service's poll driver hands it: a snapshot, then committed records in commit order with
 * their cursors — and "you are current as of t" ONLY when a proof signed by the issuer's key says
 * so for exactly the feed chain this driver holds (the running hash over the events it received).
 * Events prove nothing by themselves: a proxy that withholds, alters, reorders or replays one
 * leaves this driver with a chain the next proof does not match, and the view is then marked stale
 * at once and resynchronised from a fresh snapshot. Nothing read from the network is trusted:
 * every event is decoded by wire-format's validators, lines and events are bounded, and a
 * malformed stream is dropped and reconnected. A revocation of a scope this code does not know
 * halts the view (it fails closed, whatever the fail mode) instead of reconnecting to meet it again.
 *
 * Reconnects send `Last-Event-ID`, so the service resumes with no loss and no duplicates (or sends
 * a fresh snapshot, which replaces the view whole). When: reconnect-backoff.ts — soon after a
 * healthy stream is lost (a restart of the service), growing on repeated failures.
 */
import { STREAM_PROTOCOL_HEADER } from '#core/revocation/stream-protocol.js';
import type { WireServiceLimits } from '#core/revocation/wire-format.js';
import type { VerificationKey } from '#core/tokens/key-ring.js';
import type { ReplicaDriver, ReplicaSink, WakeupStatus } from '#replica/revocation-replica.js';
import { abortReason, cancelOnAbort, discard, raceAbort } from './abortable.js';
import { ReconnectBackoff } from './reconnect-backoff.js';
import { SseParser, type SseEvent } from './sse-parser.js';
import {
  StreamConsumer,
  StreamHaltedError,
  StreamProtocolError,
  StreamTamperedError,
} from './stream-consumer.js';

export interface SseDriverOptions {
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /**
   * Reconnection delay until the server's `retry:` replaces it; doubles on repeated failures up to
   * `maxBackoffMs` (reconnect-backoff.ts).
   */
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
  /** The issuer whose key signs the stream's proofs (the `iss` they must name). */
  readonly issuer: string;
  /** The issuer's verification key for a kid (the verifier's JWKS; may refetch once). */
  readonly resolveKey: (
    kid: string,
  ) => VerificationKey | undefined | Promise<VerificationKey | undefined>;
}

/** The credentials were refused: retrying cannot help until an operator fixes them. */
export class StreamAuthError extends Error {
  constructor(status: number) {
    super(
      `the revocation stream refused the client credentials (HTTP ${status}); the client needs scope revocations:read`,
    );
    this.name = 'StreamAuthError';
  }
}

const MAX_LINE_LENGTH = 1 << 20;
/** A snapshot part (the largest event) is bounded by the service; this is a generous ceiling. */
const MAX_EVENT_LENGTH = 32 << 20;
const DEFAULT_INITIAL_BACKOFF_MS = 100;
const DEFAULT_MAX_BACKOFF_MS = 5_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/** How far a connection got before it ended: what decides the next delay (reconnect-backoff.ts). */
type ConnectionOutcome = 'failed' | 'unproven' | 'proven';

export class SseDriver implements ReplicaDriver {
  private readonly options: SseDriverOptions;
  private readonly authorization: string;
  private sink: ReplicaSink | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private wakeSleep: (() => void) | undefined;
  private consumer: StreamConsumer | undefined;
  /** Proofs that did not match what was received (each caused a resynchronisation). */
  mismatches = 0;
  private readonly backoff: ReconnectBackoff;
  private connected = false;
  private problem = 'not connected yet';
  private firstSnapshot: { resolve: () => void; reject: (err: Error) => void } | undefined;
  /** How far the current connection got, kept as it goes: a reset mid-stream throws. */
  private progress: ConnectionOutcome = 'failed';
  /** Connections made (the first one included): a reconnect is visible in status. */
  connections = 0;

  constructor(options: SseDriverOptions) {
    this.options = options;
    this.backoff = new ReconnectBackoff({
      initialMs: options.initialBackoffMs ?? DEFAULT_INITIAL_BACKOFF_MS,
      maxMs: options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS,
    });
    // RFC 6749 §2.3.1: form-urlencode id and secret, then Basic.
    const encode = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+');
    this.authorization = `Basic ${Buffer.from(`${encode(options.clientId)}:${encode(options.clientSecret)}`).toString('base64')}`;
  }

  start(sink: ReplicaSink): Promise<void> {
    if (this.sink !== undefined) throw new Error('SseDriver.start called twice');
    this.sink = sink;
    this.consumer = new StreamConsumer({
      sink,
      issuer: this.options.issuer,
      resolveKey: this.options.resolveKey,
      ...(this.options.onServiceLimits === undefined
        ? {}
        : { onServiceLimits: this.options.onServiceLimits }),
      onUnprovenProof: (message) => {
        this.problem = message;
      },
    });
    const first = new Promise<void>((resolve, reject) => {
      this.firstSnapshot = { resolve, reject };
    });
    this.loop = this.run();
    return first;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    this.wakeSleep?.();
    this.firstSnapshot?.reject(
      new Error('the verifier was closed before the first snapshot arrived'),
    );
    this.firstSnapshot = undefined;
    await this.loop;
  }

  wakeupStatus(): WakeupStatus[] {
    return [
      this.connected
        ? { name: 'stream', connected: true }
        : { name: 'stream', connected: false, problem: this.problem },
    ];
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let tampered = false;
      let malformed = false;
      this.progress = 'failed';
      try {
        await this.connectOnce();
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
        malformed = err instanceof StreamProtocolError;
        if (err instanceof StreamTamperedError) {
          tampered = true;
          this.mismatches++;
          // What this view holds may lack a revocation: stale now, and rebuilt from a snapshot.
          this.consumer?.resync();
        }
        if (err instanceof StreamHaltedError) {
          this.sink?.halt(err);
          this.firstSnapshot?.reject(err);
          this.firstSnapshot = undefined;
          break;
        }
      } finally {
        this.connected = false;
        this.abort = undefined;
      }
      if (this.stopped) break;
      const outcome = this.outcome(tampered, malformed);
      if (outcome === 'proven') this.backoff.lostHealthy();
      else if (outcome === 'unproven') this.backoff.lostUnproven();
      else this.backoff.failed();
      await this.sleep(this.backoff.nextDelayMs());
    }
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

  /**
   * Tampering keeps the backoff growing: a proxy that alters every stream gets ever fewer
   * snapshots; a malformed event after a proof is no reason to hurry back for another.
   */
  private outcome(tampered: boolean, malformed: boolean): ConnectionOutcome {
    if (tampered) return 'failed';
    return malformed && this.progress === 'proven' ? 'unproven' : this.progress;
  }

  /** One connection, until it ends or fails; how far it got is kept in `progress` meanwhile. */
  private async connectOnce(): Promise<void> {
    const abort = new AbortController();
    this.abort = abort;
    const consumer = this.consumer as StreamConsumer;
    const headers: Record<string, string> = {
      accept: 'text/event-stream',
      'cache-control': 'no-cache',
      authorization: this.authorization,
    };
    if (consumer.position !== undefined) headers['last-event-id'] = consumer.position;
    const connectTimer = setTimeout(
      () => abort.abort(new Error('timed out connecting to the revocation stream')),
      this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    );
    let response: Response;
    try {
      // Raced against our own signal: fetch's may no longer reach the request (abortable.ts).
      response = await raceAbort(
        fetch(this.options.url, { headers, signal: abort.signal, redirect: 'error' }),
        abort.signal,
        discard,
      );
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
      throw new StreamProtocolError(
        `expected 200 text/event-stream, got ${response.status} ${type}`,
      );
    }
    this.connections++;
    this.connected = true;
    const announced = response.headers.get(STREAM_PROTOCOL_HEADER);
    consumer.connected(
      announced !== null && /^[0-9]{1,6}$/.test(announced) ? Number(announced) : undefined,
    );
    const proofsBefore = consumer.proofs;
    // Events are handled in order, one at a time (a proof may wait for a JWKS refetch): the parser
    // collects a chunk's events, and the next chunk is read only once they are handled.
    const events: SseEvent[] = [];
    const parser = new SseParser({
      maxLineLength: MAX_LINE_LENGTH,
      maxEventLength: MAX_EVENT_LENGTH,
      onRetry: (ms) => this.backoff.serverRetry(ms),
      onEvent: (event) => {
        events.push(event);
      },
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    // stop() and the idle timer abort; the abort cancels this reader, which closes the socket.
    const stopCancelling = cancelOnAbort(reader, abort.signal);
    let idleTimer: NodeJS.Timeout | undefined;
    const armIdle = (): void => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(
        () => abort.abort(new Error('the revocation stream went quiet (no heartbeat)')),
        this.options.idleTimeoutMs,
      );
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
        for (const event of events.splice(0)) {
          await consumer.receive(event);
          if (abort.signal.aborted) throw abortReason(abort.signal);
          this.progress = consumer.proofs > proofsBefore ? 'proven' : 'unproven';
          if (consumer.hasSnapshot) {
            this.firstSnapshot?.resolve();
            this.firstSnapshot = undefined;
          }
        }
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
  }
}
