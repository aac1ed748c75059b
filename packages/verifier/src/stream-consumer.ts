/**
 * The consumer side of stream protocol 2 (docs/stream-protocol.md), without the transport: it is
 * handed the stream's events in order and keeps a replica (a ReplicaSink) exactly as current as the
 * service proves it to be. The SSE driver (sse-driver.ts) owns the connection — reconnects,
 * backoff, Last-Event-ID — and the conformance vectors (conformance/stream/) are run against this
 * class directly, one event at a time.
 *
 * The rules it keeps:
 * - a snapshot is assembled part by part, its parts' data hashed; it is applied only when the final
 *   part's proof verifies and signs for that digest, its cursor and its chain;
 * - each revocation's exact `data` text advances the feed chain (feed-chain.ts) and is applied;
 * - only a proof makes the view current — as of the proof's `at` — and only when it names the chain
 *   this consumer holds: a proof for another chain means an event was lost, altered, reordered or
 *   replayed on the way (StreamTamperedError: the caller marks the view stale and starts afresh);
 * - event types, fields and reasons it does not know are ignored; a revocation scope it does not
 *   know stops it for good (StreamHaltedError): it cannot enforce what it cannot read.
 */
import { createHash, type Hash } from 'node:crypto';
import type { FeedCursor } from '#core/revocation/feed.js';
import { nextChain } from '#core/revocation/feed-chain.js';
import { STREAM_PROTOCOL_VERSION } from '#core/revocation/stream-protocol.js';
import {
  StreamProofError,
  readStreamProof,
  type StreamProof,
} from '#core/revocation/stream-proof.js';
import type { RevocationRecord } from '#core/revocation/types.js';
import {
  UnknownScopeError,
  fromWire,
  heartbeatProofFromWire,
  snapshotPartFromWire,
  type WireServiceLimits,
} from '#core/revocation/wire-format.js';
import type { VerificationKey } from '#core/tokens/key-ring.js';
import type { ReplicaSink, SnapshotBuilder } from '#replica/revocation-replica.js';
import type { SseEvent } from './sse-parser.js';

export interface StreamConsumerOptions {
  readonly sink: ReplicaSink;
  /** The issuer whose key signs the stream's proofs (the `iss` they must name). */
  readonly issuer: string;
  /** The issuer's verification key for a kid (the verifier's JWKS; may refetch once). */
  readonly resolveKey: (
    kid: string,
  ) => VerificationKey | undefined | Promise<VerificationKey | undefined>;
  /** Told what each snapshot announces about the service, just before it is loaded. */
  readonly onServiceLimits?: (limits: WireServiceLimits | undefined) => void;
  /** Told when a proof is signed by a key not published (yet): it proved nothing. */
  readonly onUnprovenProof?: (message: string) => void;
}

/**
 * The most token entries a snapshot's announced count (`token_entries`, a hint no proof covers
 * yet) sizes the jti table for up front: ~60 MiB of table. A forged count costs no more than that;
 * a larger true one just grows the table as the parts arrive.
 */
export const PRESIZED_TOKEN_ENTRIES_MAX = 2_000_000;

/** Anything the stream sent that does not follow its format. */
export class StreamProtocolError extends Error {
  constructor(message: string) {
    super(`revocation stream: ${message}`);
    this.name = 'StreamProtocolError';
  }
}
/**
 * What was received is not what the service sent (a proof that does not match the events, or
 * that does not verify): the view is stale from now on and the next connection starts afresh.
 */
export class StreamTamperedError extends Error {
  constructor(message: string) {
    super(`revocation stream: ${message}; resynchronising from a fresh snapshot`);
    this.name = 'StreamTamperedError';
  }
}
/** The service cannot be followed by this code at all: the view stops deciding (it is not retried). */
export class StreamHaltedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StreamHaltedError';
  }
}
interface SnapshotInProgress {
  nextPart: number;
  limits: WireServiceLimits | undefined;
  /**
   * A fresh state the parts are applied to as they arrive (bounded: no array of every record),
   * swapped in only once the final part's proof verifies.
   */
  builder: SnapshotBuilder;
  /** Over each part's data text and a line feed (docs/stream-protocol.md, "Snapshots"). */
  digest: Hash;
}

export class StreamConsumer {
  private readonly options: StreamConsumerOptions;
  private readonly sink: ReplicaSink;
  private snapshot: SnapshotInProgress | undefined;
  private snapshotLoaded = false;
  /** The feed chain over every event applied since the snapshot (undefined before one). */
  private chain: string | undefined;
  /** Where to resume from (the last event id applied); undefined: ask for a snapshot. */
  private cursor: FeedCursor | undefined;
  /** The protocol the service announced (header or snapshot; undefined: protocol 1). */
  private serviceProtocol: number | undefined;

  /** Proofs verified for the chain held (the driver tells a healthy connection by them). */
  proofs = 0;

  constructor(options: StreamConsumerOptions) {
    this.options = options;
    this.sink = options.sink;
  }

  /** The `Last-Event-ID` to connect with (undefined: none, a snapshot is wanted). */
  get position(): FeedCursor | undefined {
    return this.cursor;
  }

  /** Whether a snapshot has been applied (since the last resync). */
  get hasSnapshot(): boolean {
    return this.snapshotLoaded;
  }

  /** A new connection: a snapshot half-received on the last one is dropped; `protocol` as its header announced. */
  connected(protocol: number | undefined): void {
    this.snapshot = undefined;
    this.serviceProtocol = protocol;
  }

  /** After StreamTamperedError: the view is stale now, and the next connection asks for a snapshot. */
  resync(): void {
    this.sink.markStale();
    this.cursor = undefined;
    this.chain = undefined;
    this.snapshot = undefined;
    this.snapshotLoaded = false;
  }

  /** Handles one event; throws StreamProtocolError, StreamTamperedError or StreamHaltedError (see the module comment). */
  async receive(event: SseEvent): Promise<void> {
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
    if (this.snapshot !== undefined)
      throw new StreamProtocolError('a revocation arrived in the middle of a snapshot');
    if (!this.snapshotLoaded || this.chain === undefined)
      throw new StreamProtocolError('a revocation arrived before any snapshot');
    if (event.id === undefined || event.id === '')
      throw new StreamProtocolError('a revocation event has no id');
    let record: RevocationRecord;
    try {
      record = fromWire(parseJson(event));
    } catch (err) {
      if (err instanceof UnknownScopeError) throw this.tooOld(err);
      throw err;
    }
    // The exact bytes received: an altered event makes a chain the next proof does not match.
    this.chain = nextChain(this.chain, event.data);
    this.sink.applyCommitted({ records: [record], cursors: [event.id], cursor: event.id });
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
      throw new StreamTamperedError(
        `a heartbeat proves feed chain ${proof.chain.slice(0, 12)}… at ${proof.head}, but the events received make ${this.chain.slice(0, 12)}… (an event was lost, altered, reordered or replayed on the way)`,
      );
    }
    this.sink.markCurrent(proof.at);
    this.proofs++;
  }

  /** A verified proof; undefined when its key is not (yet) known; throws StreamTamperedError when it does not verify. */
  private async readProof(jws: unknown): Promise<StreamProof | undefined> {
    try {
      return await readStreamProof(jws, this.options.issuer, this.options.resolveKey);
    } catch (err) {
      if (!(err instanceof StreamProofError)) throw err;
      // A kid not published yet (a rotation under way): this proof proves nothing; the next may.
      if (err.unknownKey) {
        this.options.onUnprovenProof?.(err.message);
        return undefined;
      }
      throw new StreamTamperedError(err.message);
    }
  }

  private async snapshotPart(event: SseEvent): Promise<void> {
    let part: ReturnType<typeof snapshotPartFromWire>;
    try {
      part = snapshotPartFromWire(parseJson(event));
    } catch (err) {
      // A snapshot holding a scope this code does not know is as unenforceable as an event of one.
      if (err instanceof UnknownScopeError) throw this.tooOld(err);
      throw err;
    }
    const current = this.snapshot ?? {
      nextPart: 0,
      limits: undefined,
      builder: this.sink.snapshotBuilder(),
      digest: createHash('sha256'),
    };
    if (part.part !== current.nextPart)
      throw new StreamProtocolError(
        `snapshot part ${part.part} arrived, ${current.nextPart} expected`,
      );
    if (part.part === 0) {
      const generations = part.generations ?? { global: 0, users: [], clients: [] };
      // The jti table is sized once from the announced count, up to a bound (the count is unproven
      // until the final part: a forged one must not make this process allocate much); past that
      // it grows as parts arrive, in a state nobody reads yet. Cursor and chain come at the end.
      current.builder.begin({
        tokenEntries: Math.min(part.tokenEntries ?? 0, PRESIZED_TOKEN_ENTRIES_MAX),
        globalGeneration: generations.global,
        userGenerations: generations.users,
        clientGenerations: generations.clients,
        cursor: '',
        chain: '',
      });
      current.limits = part.limits;
      if (part.protocol !== undefined) this.serviceProtocol = part.protocol;
    }
    current.nextPart++;
    if (!part.final) {
      current.digest.update(event.data, 'utf8').update('\n');
      current.builder.records(part.records);
      this.snapshot = current;
      return;
    }
    this.snapshot = undefined;
    if (event.id === undefined || event.id === '')
      throw new StreamProtocolError('the final snapshot part has no id');
    if (part.proof === undefined || part.chain === undefined) throw this.unprovable();
    // The proof covers the parts before this one: revocations here would be unproven.
    if (part.records.length > 0)
      throw new StreamProtocolError('the final snapshot part carries revocations');
    const proof = await this.readProof(part.proof);
    if (proof === undefined)
      throw new StreamProtocolError(
        'the snapshot is signed by a key the issuer does not publish (yet)',
      );
    const digest = current.digest.digest('hex');
    if (
      proof.snapshot === undefined ||
      proof.snapshot.parts !== part.part ||
      proof.snapshot.digest !== digest ||
      proof.head !== event.id ||
      proof.chain !== part.chain
    ) {
      throw new StreamTamperedError('the snapshot received is not the one its proof signs for');
    }
    this.options.onServiceLimits?.(current.limits);
    const sink = this.sink;
    current.builder.install({ cursor: event.id, chain: proof.chain });
    // loadSnapshot marked it current now; the proof says since when it really is.
    sink.markStale();
    sink.markCurrent(proof.at);
    this.proofs++;
    this.cursor = event.id;
    this.chain = proof.chain;
    this.snapshotLoaded = true;
  }

  /** A service that sends no proofs (protocol 1) can never show this view current: say so once. */
  private unprovable(): StreamHaltedError {
    return new StreamHaltedError(
      `the revocation service speaks stream protocol ${this.serviceProtocol ?? 1}, which cannot prove a consumer current; ` +
        `this verifier needs protocol ${STREAM_PROTOCOL_VERSION}: upgrade revokd`,
    );
  }

  private tooOld(err: UnknownScopeError): StreamHaltedError {
    const needs =
      this.serviceProtocol !== undefined && this.serviceProtocol > STREAM_PROTOCOL_VERSION
        ? `the service speaks protocol ${this.serviceProtocol}`
        : `a newer protocol than ${STREAM_PROTOCOL_VERSION}`;
    return new StreamHaltedError(
      `${err.message}; ${needs}: upgrade @revokd/verifier to a release that speaks it. Until then every token is refused (503).`,
    );
  }
}

function parseJson(event: SseEvent): unknown {
  try {
    return JSON.parse(event.data);
  } catch {
    throw new StreamProtocolError(`"${event.event}" event data is not JSON`);
  }
}
