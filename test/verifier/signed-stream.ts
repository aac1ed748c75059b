/**
 * The frames of a protocol-2 stream (docs/stream-protocol.md) for the test stream servers: the
 * service's own frame builders and proof signer over an in-memory feed, so a test server proves
 * exactly what the service proves (the feed chain, signed heartbeats and snapshot proofs).
 */
import { snapshotFrames } from '../../src/app/revocation-stream/snapshot-parts.js';
import { heartbeatFrame, revocationFrame } from '../../src/app/revocation-stream/sse-frames.js';
import { GENESIS_CHAIN, chainAfter } from '../../src/core/revocation/feed-chain.js';
import { STREAM_PROTOCOL_VERSION } from '../../src/core/revocation/stream-protocol.js';
import { type StreamProof, signStreamProof } from '../../src/core/revocation/stream-proof.js';
import type { RevocationRecord } from '../../src/core/revocation/types.js';
import type { SigningKey } from '../../src/core/tokens/key-ring.js';

export class SignedStream {
  readonly records: RevocationRecord[] = [];
  /** The feed chain after the last record. */
  chain = GENESIS_CHAIN;
  private readonly key: SigningKey;
  private readonly issuer: string;

  constructor(key: SigningKey, issuer: string) {
    this.key = key;
    this.issuer = issuer;
  }

  get head(): string {
    return String(this.records.at(-1)?.seq ?? 0);
  }

  sign(proof: Omit<StreamProof, 'v' | 'iss'>): string {
    return signStreamProof({ v: STREAM_PROTOCOL_VERSION, iss: this.issuer, ...proof }, this.key);
  }

  /** Commits a record; returns its frame. */
  append(record: RevocationRecord): string {
    this.records.push(record);
    this.chain = chainAfter(this.chain, record);
    return revocationFrame(record, String(record.seq));
  }

  /** The frames of a snapshot of every record so far (`partSize` per part), proven as of `atMs`. */
  snapshot(atMs = Date.now(), partSize = 2): string {
    const snapshot = {
      records: this.records,
      globalGeneration: 0,
      userGenerations: [],
      clientGenerations: [],
      cursor: this.head,
      chain: this.chain,
    };
    return [...snapshotFrames(snapshot, { atMs, sign: (p) => this.sign(p), partSize })].join('');
  }

  /** A heartbeat proving the head as of `atMs`. */
  heartbeat(atMs = Date.now()): string {
    const fields = { at: atMs, head: this.head, chain: this.chain };
    return heartbeatFrame(fields, this.sign(fields));
  }
}
