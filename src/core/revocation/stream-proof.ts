/**
 * The stream's proofs (docs/stream-protocol.md, "Proofs"): a compact JWS, signed by the issuer's
 * current signing key — the key a consumer already trusts through the JWKS — over where the feed's
 * head is, the feed chain there (feed-chain.ts), and the time the sending instance's view was
 * current. Heartbeats carry one; the final part of a snapshot carries one that also covers the
 * digest of the snapshot's other parts. A man in the middle can withhold, alter, reorder or replay
 * events, but cannot make a proof for a chain the consumer does not hold, nor a later `at`.
 */
import type { FeedCursor } from './feed.js';
import { isChainValue } from './feed-chain.js';
import { type CompactJwsError, parseCompactJws, signCompactJws } from '../tokens/compact-jws.js';
import type { SigningKey, VerificationKey } from '../tokens/key-ring.js';

/** The JWS `typ` of a proof: never an access token's, so neither can pass for the other. */
export const STREAM_PROOF_TYPE = 'revokd-stream-proof+jws';

export interface SnapshotDigest {
  /** How many parts came before the final one. */
  readonly parts: number;
  /** Hex SHA-256 over the `data:` text of those parts, in order (snapshotDigest). */
  readonly digest: string;
}

export interface StreamProof {
  /** The protocol version of the sender. */
  readonly v: number;
  /** The issuer whose key signed it (the consumer's configured issuer). */
  readonly iss: string;
  /** The feed's head cursor this proof is about (a heartbeat: the stream's position). */
  readonly head: FeedCursor;
  /** The feed chain at `head`. */
  readonly chain: string;
  /** Ms since the epoch when the sender's view was last confirmed current. */
  readonly at: number;
  /** On a snapshot's final part only. */
  readonly snapshot?: SnapshotDigest;
}

export function signStreamProof(proof: StreamProof, key: SigningKey): string {
  return signCompactJws(proof, STREAM_PROOF_TYPE, key);
}

/** Why a proof was refused. */
export class StreamProofError extends Error {
  /** Signed by a kid the issuer does not publish (yet): unproven rather than forged. */
  readonly unknownKey: boolean;
  constructor(message: string, unknownKey = false) {
    super(`stream proof refused: ${message}`);
    this.name = 'StreamProofError';
    this.unknownKey = unknownKey;
  }
}

/**
 * Checks a proof: its JWS (signature by the key `resolveKey` finds for its kid), issuer and
 * shape. Throws StreamProofError. `resolveKey` may answer later (a JWKS refetch for a new kid).
 */
export async function readStreamProof(
  jws: unknown,
  issuer: string,
  resolveKey: (kid: string) => VerificationKey | undefined | Promise<VerificationKey | undefined>,
): Promise<StreamProof> {
  let payload: unknown;
  try {
    const parsed = parseCompactJws(jws, STREAM_PROOF_TYPE);
    const key = await resolveKey(parsed.kid);
    if (key === undefined)
      throw new StreamProofError(
        `signed by key ${parsed.kid}, which the issuer does not publish`,
        true,
      );
    payload = parsed.verifyWith(key);
  } catch (err) {
    if (err instanceof StreamProofError) throw err;
    throw new StreamProofError((err as CompactJwsError).message);
  }
  return proofFromPayload(payload, issuer);
}

function proofFromPayload(payload: unknown, issuer: string): StreamProof {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw new StreamProofError('the payload is not an object');
  const p = payload as Record<string, unknown>;
  const whole = (name: string, value: unknown): number => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
      throw new StreamProofError(`"${name}" is not a whole number`);
    return value;
  };
  if (p.iss !== issuer)
    throw new StreamProofError(`issued by ${JSON.stringify(p.iss)}, not ${issuer}`);
  if (typeof p.head !== 'string' || p.head === '' || p.head.length > 1_024)
    throw new StreamProofError('"head" is not a cursor');
  if (!isChainValue(p.chain)) throw new StreamProofError('"chain" is not a chain value');
  let snapshot: SnapshotDigest | undefined;
  if (p.snapshot !== undefined) {
    const s = p.snapshot as Record<string, unknown> | null;
    if (typeof s !== 'object' || s === null || !isChainValue(s.digest))
      throw new StreamProofError('"snapshot" is not a digest');
    snapshot = { parts: whole('snapshot.parts', s.parts), digest: s.digest };
  }
  return {
    v: whole('v', p.v),
    iss: issuer,
    head: p.head,
    chain: p.chain,
    at: whole('at', p.at),
    ...(snapshot === undefined ? {} : { snapshot }),
  };
}
