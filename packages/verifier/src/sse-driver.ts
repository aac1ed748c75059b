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
 * Reconnects use exponential backoff with jitter and send `Last-Event-ID`, so the service resumes
 * with no loss and no duplicates (or sends a fresh snapshot, which replaces the view whole).
 */
import { createHash, type Hash } from 'node:crypto';
import type { FeedCursor } from '../../../src/core/revocation/feed.js';
import { nextChain } from '../../../src/core/revocation/feed-chain.js';
import { STREAM_PROTOCOL_HEADER, STREAM_PROTOCOL_VERSION } from '../../../src/core/revocation/stream-protocol.js';
import { StreamProofError, readStreamProof, type StreamProof } from '../../../src/core/revocation/stream-proof.js';
import type { RevocationRecord } from '../../../src/core/revocation/types.js';
import { UnknownScopeError, fromWire, heartbeatProofFromWire, snapshotPartFromWire, type WireGenerations, type WireServiceLimits } from '../../../src/core/revocation/wire-format.js';
import type { VerificationKey } from '../../../src/core/tokens/key-ring.js';
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
  /** The issuer whose key signs the stream's proofs (the `iss` they must name). */
  readonly issuer: string;
  /** The issuer's verification key for a kid (the verifier's JWKS; may refetch once). */
  readonly resolveKey: (kid: string) => VerificationKey | undefined | Promise<VerificationKey | undefined>;
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

/**
 * What was received is not what the service sent (a proof that does not match the events, or
 * that does not verify): the view is stale from now on and the next connection starts afresh.
 */
class StreamTamperedError extends Error {
  constructor(message: string) {
    super(`revocation stream: ${message}; resynchronising from a fresh snapshot`);
    this.name = 'StreamTamperedError';
  }
}

/** The service cannot be followed by this code at all: the view stops deciding (it is not retried). */
class StreamHaltedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StreamHaltedError';
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
  /** Over each part's data text and a line feed (docs/stream-protocol.md, "Snapshots"). */
  digest: Hash;
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
  /** The feed chain over every event applied since the snapshot (undefined before one). */
  private chain: string | undefined;
  /** The protocol this connection's service announced (header; undefined: protocol 1). */
  private serviceProtocol: number | undefined;
  private halted: StreamHaltedError | undefined;
  /** Proofs that did not match what was received (each caused a resynchronisation). */
  mismatches = 0;
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
      let tampered = false;
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
        if (err instanceof StreamTamperedError) {
          tampered = true;
          this.mismatches++;
          // What this view holds may lack a revocation: stale now, and rebuilt from a snapshot.
          this.sink?.markStale();
          this.cursor = undefined;
          this.chain = undefined;
        }
        if (err instanceof StreamHaltedError) {
          this.halted = err;
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
      // Tampering keeps the backoff growing: a proxy that alters every stream gets ever fewer snapshots.
      failures = receivedEvents && !tampered ? 0 : failures + 1;
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
    const announced = response.headers.get(STREAM_PROTOCOL_HEADER);
    this.serviceProtocol = announced !== null && /^[0-9]{1,6}$/.test(announced) ? Number(announced) : undefined;
    let received = false;
    // Events are handled in order, one at a time (a proof may wait for a JWKS refetch): the parser
    // collects a chunk's events, and the next chunk is read only once they are handled.
    const events: SseEvent[] = [];
    const parser = new SseParser({
      maxLineLength: MAX_LINE_LENGTH,
      maxEventLength: MAX_EVENT_LENGTH,
      onRetry: (ms) => { this.serverRetryMs = Math.min(Math.max(ms, 10), this.options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS); },
      onEvent: (event) => { events.push(event); },
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
        for (const event of events.splice(0)) {
          await this.handle(event);
          if (abort.signal.aborted) throw abortReason(abort.signal);
          received = true;
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
    return received;
  }

  private async handle(event: SseEvent): Promise<void> {
    switch (event.event) {
      case 'snapshot':
        await this.snapshotPart(event);
        return;
      case 'revocation':
        this.revocation(event);
        return;
      case 'heartbeat':
        await this.heartbeat(event);
        return;
      default:
        // An event type of a newer protocol: ignored (docs/stream-protocol.md, "Versions"). It proves nothing.
    }
  }

  private revocation(event: SseEvent): void {
    if (this.snapshot !== undefined) throw new StreamProtocolError('a revocation arrived in the middle of a snapshot');
    if (!this.snapshotLoaded || this.chain === undefined) throw new StreamProtocolError('a revocation arrived before any snapshot');
    if (event.id === undefined || event.id === '') throw new StreamProtocolError('a revocation event has no id');
    let record: RevocationRecord;
    try {
      record = fromWire(parseJson(event));
    } catch (err) {
      if (err instanceof UnknownScopeError) throw this.tooOld(err);
      throw err;
    }
    // The exact bytes received: an altered event makes a chain the next proof does not match.
    this.chain = nextChain(this.chain, event.data);
    (this.sink as ReplicaSink).applyCommitted({ records: [record], cursors: [event.id], cursor: event.id });
    this.cursor = event.id;
  }

  private async heartbeat(event: SseEvent): Promise<void> {
    // A heartbeat vouches for a stream at its head: never mid-snapshot or before one.
    if (!this.snapshotLoaded || this.snapshot !== undefined || this.chain === undefined) return;
    const jws = heartbeatProofFromWire(parseJson(event));
    if (jws === undefined) {
      if (this.serviceProtocol === undefined) throw this.unprovable();
      return; // a service with no key to sign with: the connection is alive, the view no fresher
    }
    const proof = await this.readProof(jws);
    if (proof === undefined) return;
    if (proof.chain !== this.chain) {
      throw new StreamTamperedError(`a heartbeat proves feed chain ${proof.chain.slice(0, 12)}… at ${proof.head}, but the events received make ${this.chain.slice(0, 12)}… (an event was lost, altered, reordered or replayed on the way)`);
    }
    (this.sink as ReplicaSink).markCurrent(proof.at);
  }

  /** A verified proof; undefined when its key is not (yet) known; throws StreamTamperedError when it does not verify. */
  private async readProof(jws: unknown): Promise<StreamProof | undefined> {
    try {
      return await readStreamProof(jws, this.options.issuer, this.options.resolveKey);
    } catch (err) {
      if (!(err instanceof StreamProofError)) throw err;
      // A kid not published yet (a rotation under way): this proof proves nothing; the next may.
      if (err.unknownKey) {
        this.problem = err.message;
        return undefined;
      }
      throw new StreamTamperedError(err.message);
    }
  }

  private async snapshotPart(event: SseEvent): Promise<void> {
    const part = snapshotPartFromWire(parseJson(event));
    const current = this.snapshot ?? { nextPart: 0, generations: undefined, limits: undefined, records: [], digest: createHash('sha256') };
    if (part.part !== current.nextPart) throw new StreamProtocolError(`snapshot part ${part.part} arrived, ${current.nextPart} expected`);
    if (part.part === 0) {
      current.generations = part.generations;
      current.limits = part.limits;
      if (part.protocol !== undefined) this.serviceProtocol = part.protocol;
    }
    current.nextPart++;
    if (!part.final) {
      current.digest.update(event.data, 'utf8').update('\n');
      for (const record of part.records) current.records.push(record);
      this.snapshot = current;
      return;
    }
    this.snapshot = undefined;
    if (event.id === undefined || event.id === '') throw new StreamProtocolError('the final snapshot part has no id');
    if (part.proof === undefined || part.chain === undefined) throw this.unprovable();
    // The proof covers the parts before this one: revocations here would be unproven.
    if (part.records.length > 0) throw new StreamProtocolError('the final snapshot part carries revocations');
    const proof = await this.readProof(part.proof);
    if (proof === undefined) throw new StreamProtocolError('the snapshot is signed by a key the issuer does not publish (yet)');
    const digest = current.digest.digest('hex');
    if (proof.snapshot === undefined || proof.snapshot.parts !== part.part || proof.snapshot.digest !== digest || proof.head !== event.id || proof.chain !== part.chain) {
      throw new StreamTamperedError('the snapshot received is not the one its proof signs for');
    }
    const generations = current.generations ?? { global: 0, users: [], clients: [] };
    this.options.onServiceLimits?.(current.limits);
    const sink = this.sink as ReplicaSink;
    sink.loadSnapshot({
      records: current.records,
      globalGeneration: generations.global,
      userGenerations: generations.users,
      clientGenerations: generations.clients,
      cursor: event.id,
      chain: proof.chain,
    });
    // loadSnapshot marked it current now; the proof says since when it really is.
    sink.markStale();
    sink.markCurrent(proof.at);
    this.cursor = event.id;
    this.chain = proof.chain;
    this.snapshotLoaded = true;
    this.firstSnapshot?.resolve();
    this.firstSnapshot = undefined;
  }

  /** A service that sends no proofs (protocol 1) can never show this view current: say so once. */
  private unprovable(): StreamHaltedError {
    return new StreamHaltedError(
      `the revocation service speaks stream protocol ${this.serviceProtocol ?? 1}, which cannot prove a consumer current; ` +
      `this verifier needs protocol ${STREAM_PROTOCOL_VERSION}: upgrade revokd`,
    );
  }

  private tooOld(err: UnknownScopeError): StreamHaltedError {
    const needs = this.serviceProtocol !== undefined && this.serviceProtocol > STREAM_PROTOCOL_VERSION
      ? `the service speaks protocol ${this.serviceProtocol}` : `a newer protocol than ${STREAM_PROTOCOL_VERSION}`;
    return new StreamHaltedError(`${err.message}; ${needs}: upgrade @revokd/verifier to a release that speaks it. Until then every token is refused (503).`);
  }
}

function parseJson(event: SseEvent): unknown {
  try {
    return JSON.parse(event.data);
  } catch {
    throw new StreamProtocolError(`"${event.event}" event data is not JSON`);
  }
}
