/**
 * The per-process hub of the push stream: follows the replica's committed records (in commit order,
 * each with its cursor) into a {@link CommitRing} and tells every open stream; counts streams per
 * client and in all against the configured caps; closes them all on shutdown.
 *
 * There is one hub per AppContext and one subscription to the replica, whatever the number of
 * streams: a revocation costs one ring push plus one frame write per stream.
 *
 * An IP block the feed brings ends every stream whose peer address is in its range, on every
 * instance (the feed reaches them all, whichever instance made the block); the consumer's
 * reconnection then meets the lockdown's 403.
 */
import type { FeedCursor, FeedRecord } from '../../core/revocation/feed.js';
import { parseCidr, rangeContains } from '../../core/containment/ip-address.js';
import { isIpBlockChange } from '../../core/revocation/ip-block-change.js';
import type { StreamConfig } from '../../core/config.js';
import { RevokdError } from '../../core/errors.js';
import type { StreamProof } from '../../core/revocation/stream-proof.js';
import { CommitRing } from './commit-ring.js';
import { heartbeatFrame } from './sse-frames.js';

/**
 * Signs a stream proof (stream-proof.ts) with this process's current signing key, adding the
 * protocol version and issuer; undefined when there is no key to sign with.
 */
export type ProofSigner = (proof: Omit<StreamProof, 'v' | 'iss'>) => string | undefined;

/** What the hub needs of the replica (RevocationReplica fits). */
export interface CommittedSource {
  readonly cursor: FeedCursor | undefined;
  /** The feed chain at `cursor`, already past a record when listeners are told of it. */
  readonly chain: string | undefined;
  onCommitted(listener: (record: FeedRecord, cursor: FeedCursor) => void): () => void;
}

/** An open stream as the hub sees it. */
export interface HubSubscriber {
  /** The consumer's address as resolved for its request (trusted proxies applied), if known. */
  readonly peerIp?: string | undefined;
  /** Told synchronously, in commit order, after the record is in the ring. */
  committed(record: FeedRecord, cursor: FeedCursor, index: number): void;
  /** Ends the stream because its address was blocked; must not throw. */
  blocked(): void;
  /** Called every tick (heartbeats, stall checks, catch-up retries); must not throw. */
  tick(nowMs: number): void;
  /** Ends the stream (shutdown); must not throw. */
  close(): void;
}

/**
 * How many recent records are kept for resuming from memory. A consumer that reconnects within
 * this many revocations (at ~200 bytes each, 20 000 are ~4 MB) needs no store read.
 */
export const RING_CAPACITY = 20_000;

export class StreamHub {
  readonly ring: CommitRing;
  private readonly subscribers = new Set<HubSubscriber>();
  private readonly perClient = new Map<string, number>();
  private readonly limits: Pick<StreamConfig, 'maxPerClient' | 'maxTotal'>;
  private readonly unsubscribe: () => void;
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  readonly sign: ProofSigner;
  private headCursor: FeedCursor | undefined;
  private headChain: string | undefined;
  /** The last heartbeat made, for the ring head and `at` it was made for (one signature a tick, not one a stream). */
  private lastHeartbeat: { head: number; at: number; frame: string } | undefined;

  /**
   * `tickMs`: how often every stream is ticked (a fraction of the heartbeat interval, so a heartbeat
   * goes out at most a tick late). One timer for all streams, not one each.
   */
  constructor(
    source: CommittedSource,
    limits: Pick<StreamConfig, 'maxPerClient' | 'maxTotal'>,
    tickMs: number,
    sign: ProofSigner,
    capacity = RING_CAPACITY,
  ) {
    this.limits = limits;
    this.sign = sign;
    this.headCursor = source.cursor;
    this.headChain = source.chain;
    this.timer = setInterval(() => {
      const nowMs = Date.now();
      for (const subscriber of [...this.subscribers]) subscriber.tick(nowMs);
    }, tickMs);
    this.timer.unref();
    this.ring = new CommitRing(capacity, source.cursor);
    this.unsubscribe = source.onCommitted((record, cursor) => {
      if (isIpBlockChange(record) && record.scope === 'ip_block') this.endStreamsIn(record.cidr);
      this.ring.push({ record, cursor });
      this.headCursor = cursor;
      this.headChain = source.chain;
      const index = this.ring.head;
      for (const subscriber of this.subscribers) subscriber.committed(record, cursor, index);
    });
  }

  /**
   * The heartbeat for a stream joined at the ring's head, saying the view was current at `atMs`.
   * Every joined stream is at the head, so one frame (one signature) serves all of them.
   */
  heartbeat(atMs: number): string | undefined {
    if (this.headCursor === undefined || this.headChain === undefined) return undefined;
    const head = this.ring.head;
    if (this.lastHeartbeat?.head === head && this.lastHeartbeat.at === atMs)
      return this.lastHeartbeat.frame;
    const fields = { at: atMs, head: this.headCursor, chain: this.headChain };
    const frame = heartbeatFrame(fields, this.sign(fields));
    this.lastHeartbeat = { head, at: atMs, frame };
    return frame;
  }

  /** Open streams on this instance. */
  get size(): number {
    return this.subscribers.size;
  }

  /**
   * Admits a stream for `clientId` or throws 429 (too many for this client, or for the instance:
   * the consumer retries later, and no stream ever waits in memory for a slot). Returns release().
   */
  admit(clientId: string): () => void {
    if (this.closed)
      throw new RevokdError('ERR_STORE_UNAVAILABLE', 'the server is shutting down', {
        retryAfterSeconds: 1,
      });
    const held = this.perClient.get(clientId) ?? 0;
    if (held >= this.limits.maxPerClient) {
      throw new RevokdError('ERR_RATE_LIMITED', `this client already holds ${held} open streams`, {
        retryAfterSeconds: 5,
      });
    }
    if (this.total >= this.limits.maxTotal)
      throw new RevokdError('ERR_RATE_LIMITED', 'too many open streams on this instance', {
        retryAfterSeconds: 5,
      });
    this.perClient.set(clientId, held + 1);
    this.total += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total -= 1;
      const now = (this.perClient.get(clientId) ?? 1) - 1;
      if (now === 0) this.perClient.delete(clientId);
      else this.perClient.set(clientId, now);
    };
  }

  private total = 0;

  private endStreamsIn(cidr: string): void {
    const range = parseCidr(cidr);
    if (range === undefined) return;
    for (const subscriber of [...this.subscribers]) {
      if (subscriber.peerIp !== undefined && rangeContains(range, subscriber.peerIp))
        subscriber.blocked();
    }
  }

  /** Starts telling `subscriber` every committed record; returns the unsubscribe function. */
  subscribe(subscriber: HubSubscriber): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  /** Shutdown: ends every stream and refuses new ones; the replica subscription is dropped. */
  closeAll(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.unsubscribe();
    for (const subscriber of [...this.subscribers]) subscriber.close();
    this.subscribers.clear();
  }
}
