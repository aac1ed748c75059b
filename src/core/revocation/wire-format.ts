/**
 * A revocation as the push stream carries it (SPEC §5.6, `GET /api/v1/revocations/stream`), named
 * the way the token's claims name its target — `jti` (with `iss`), `sid`, `sub`, `client_id`,
 * `kid`, a window of `iat`s, global — with the generation where one applies, so a consumer needs
 * nothing but this to decide. The service encodes with {@link toWire}; the verifier decodes with
 * {@link fromWire}, which validates everything it reads (the stream crosses a network).
 *
 * The whole protocol — events, the feed chain, proofs, versioning, what a consumer must do at each
 * error — is docs/stream-protocol.md (protocol 2); in short:
 * - `event: snapshot` — one or more parts; `data` is a {@link WireSnapshotPart}; only the final
 *   part carries an `id:` (the cursor to resume from), and with protocol 2 it carries no
 *   revocations but the feed chain at the cursor and a signed proof over the other parts' digest;
 * - `event: revocation` — one per revocation in commit order; `id:` is the cursor just past it;
 *   `data` is a {@link WireRevocation}; its exact text advances the feed chain (feed-chain.ts);
 * - `event: heartbeat` — no `id:`; `data` is a {@link WireHeartbeat}: the head, the chain there and
 *   a proof signed by the issuer's key. Only a proof makes a consumer current.
 */
import type { Initiator, ReasonCode, RevocationRecord, RevocationScope } from './types.js';
import { INITIATORS } from './types.js';
import { SCOPE_RULES, isRevocationScope } from './scope-rules.js';
import { STREAM_PROTOCOL_VERSION } from './stream-protocol.js';

/**
 * The reason codes every published @revokd/verifier (0.1.x) accepts: it refuses a revocation with
 * any other, and drops the connection. Frozen: a reason added to REASON_CODES since is sent as its
 * nearest code here (WIRE_REASON_FOR), so a verifier installed before it keeps working. The exact
 * reason stays in the store and the audit log; resource servers do not act on reasons.
 */
export const WIRE_REASON_CODES = [
  'logout',
  'logout_all',
  'password_change',
  'password_reset',
  'admin',
  'compromised',
  'refresh_reuse',
  'ip_block',
  'key_revoked',
  'user_disabled',
  'client_disabled',
  'user_request',
  'policy',
  'unused',
  'expired_policy',
] as const satisfies readonly ReasonCode[];
export type WireReasonCode = (typeof WIRE_REASON_CODES)[number];

/** How each reason newer than the wire's vocabulary is sent (one entry per such reason: checked by the compiler). */
export const WIRE_REASON_FOR: Record<Exclude<ReasonCode, WireReasonCode>, WireReasonCode> = {
  // What the owner's revoke-all was recorded as before it had a reason of its own.
  revoke_all_api_tokens: 'logout_all',
};

function wireReason(reason: ReasonCode): WireReasonCode {
  return reason in WIRE_REASON_FOR
    ? WIRE_REASON_FOR[reason as keyof typeof WIRE_REASON_FOR]
    : (reason as WireReasonCode);
}

/** What every revocation event carries besides its target. */
interface WireMeta {
  /** The record's id in the store's feed (an identity, not a position: resume with the event id). */
  readonly seq: number;
  readonly initiator: Initiator;
  /** One of {@link WIRE_REASON_CODES} (a newer reason is sent as its nearest one). */
  readonly reason: WireReasonCode;
  /** When it was committed, ms since the epoch (propagation latency is measured from it). */
  readonly created_at: number;
}

/** When an entry stops mattering (its tokens have all expired), ms since the epoch; null: never. */
type Expiry = { readonly expires_at: number | null };

export type WireRevocation = WireMeta &
  (
    | ({ readonly scope: 'token'; readonly jti: string; readonly iss: string | null } & Expiry)
    | ({ readonly scope: 'session'; readonly sid: string } & Expiry)
    | { readonly scope: 'user'; readonly sub: string; readonly generation: number }
    | { readonly scope: 'client'; readonly client_id: string; readonly generation: number }
    | { readonly scope: 'key'; readonly kid: string }
    | ({ readonly scope: 'window'; readonly iat_from: number; readonly iat_to: number } & Expiry)
    | { readonly scope: 'global'; readonly generation: number }
    | ({ readonly scope: 'api_token'; readonly api_token_id: string } & Expiry)
  );

/**
 * Every feed scope must have a member above: toWire builds events from SCOPE_RULES and casts, so
 * without this a scope added to REVOCATION_SCOPES would go out untyped. The error names the scope.
 */
type NoneMissing<Missing extends never> = Missing;
// Exported only so noUnusedLocals keeps this compile-time check (nothing imports it).
export type EveryScopeOnTheWire = NoneMissing<Exclude<RevocationScope, WireRevocation['scope']>>;

/** The counters a snapshot starts from (the revocations carry the rest). */
export interface WireGenerations {
  readonly global: number;
  readonly users: ReadonlyArray<readonly [string, number]>;
  readonly clients: ReadonlyArray<readonly [string, number]>;
}

export interface WireSnapshotPart {
  /** 0, 1, 2, … in order. */
  readonly part: number;
  /** The last part: apply the snapshot now; its event carries the cursor as `id:`. */
  readonly final: boolean;
  /** In part 0 only. */
  readonly generations?: WireGenerations;
  /**
   * In part 0 only, from services that announce them (older ones do not; older verifiers ignore
   * them): the service's REVOKD_CLOCK_TOLERANCE_SECONDS — a token entry leaves the snapshot at
   * `exp + this + 1 s`, so a consumer accepting tokens past `exp + this` could accept a revoked
   * one — and its REVOKD_ACCESS_TTL_SECONDS.
   */
  readonly clock_tolerance_seconds?: number;
  readonly access_ttl_seconds?: number;
  /**
   * In part 0 only, optional: about how many token entries the snapshot holds, so a consumer can
   * size its jti table once. A hint from a part no proof covers yet: bounded by whoever allocates
   * on it, never relied on.
   */
  readonly token_entries?: number;
  /** In part 0 only (protocol ≥ 2): the protocol the service speaks. */
  readonly protocol?: number;
  /** On the final part only (protocol ≥ 2): the feed chain at the snapshot's cursor. */
  readonly chain?: string;
  /** On the final part only (protocol ≥ 2): a proof (stream-proof.ts) covering the other parts. */
  readonly proof?: string;
  readonly revocations: readonly WireRevocation[];
}

/** A heartbeat's data (protocol ≥ 2; a protocol-1 heartbeat holds `at` only). */
export interface WireHeartbeat {
  /** Informative copies of the proof's fields (a consumer reads the proof's, never these). */
  readonly at: number;
  readonly head: string;
  readonly chain: string;
  /** The proof (stream-proof.ts) that the sender's view was current at `at` with `chain` at `head`. */
  readonly proof: string;
}

/** What a service announces about the tokens it accepts (see {@link WireSnapshotPart}). */
export interface WireServiceLimits {
  readonly clockToleranceSeconds: number;
  readonly accessTtlSeconds: number;
}

export function toWire(record: RevocationRecord): WireRevocation {
  const shape = SCOPE_RULES[record.scope].wire;
  // Built field by field in WireShape's order: the feed chain hashes this exact JSON text, so the
  // key order is part of the protocol (test/unit/wire-format.test.ts and conformance/stream pin it).
  const wire: Record<string, unknown> = {
    seq: record.seq,
    initiator: record.initiator,
    reason: wireReason(record.reason),
    created_at: record.createdAtMs,
    scope: record.scope,
  };
  if (shape.target !== null) wire[shape.target] = record.target;
  if (shape.issuer) wire.iss = record.issuer;
  if (shape.window) {
    wire.iat_from = record.windowFrom ?? 0;
    wire.iat_to = record.windowTo ?? 0;
  }
  if (shape.generation) wire.generation = record.generation ?? 0;
  if (shape.expires) wire.expires_at = record.expiresAtMs;
  return wire as unknown as WireRevocation;
}

/** Thrown for anything that is not a well-formed wire revocation (a programming or transport error). */
export class WireFormatError extends TypeError {
  constructor(message: string) {
    super(`malformed revocation on the stream: ${message}`);
    this.name = 'WireFormatError';
  }
}

const ID = /^[A-Za-z0-9_.:@*-]{1,255}$/;

function field(value: Record<string, unknown>, name: string): unknown {
  if (!(name in value)) throw new WireFormatError(`missing "${name}"`);
  return value[name];
}

function idField(value: Record<string, unknown>, name: string): string {
  const v = field(value, name);
  if (typeof v !== 'string' || !ID.test(v)) throw new WireFormatError(`"${name}" must be an id`);
  return v;
}

function wholeNumber(value: Record<string, unknown>, name: string): number {
  const v = field(value, name);
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw new WireFormatError(`"${name}" must be a whole number ≥ 0`);
  return v;
}

function expiry(value: Record<string, unknown>): number | null {
  const v = field(value, 'expires_at');
  if (v === null) return null;
  return wholeNumber(value, 'expires_at');
}

function oneOf<T extends string>(
  value: Record<string, unknown>,
  name: string,
  allowed: readonly T[],
): T {
  const v = field(value, name);
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
    throw new WireFormatError(`"${name}" is not one of ${allowed.join(', ')}`);
  return v as T;
}

/**
 * A revocation of a scope this code does not know: a newer service revokes something this consumer
 * cannot tell apart, so it must stop deciding (fail closed) rather than skip it or reconnect in a
 * loop to meet it again. Not a WireFormatError: the event is well formed, the consumer is too old.
 */
export class UnknownScopeError extends Error {
  readonly scope: string;
  constructor(scope: string) {
    super(
      `the revocation stream carries revocations of scope "${scope}", which stream protocol ${STREAM_PROTOCOL_VERSION} does not define`,
    );
    this.name = 'UnknownScopeError';
    this.scope = scope;
  }
}

const REASON = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * Reasons are informative (nothing decides on them) and a newer service may add some: any
 * well-formed one is accepted. Kept as sent; the type claims a known code, which is only as true
 * as the service's version — nothing in a consumer switches on it.
 */
function reasonField(value: Record<string, unknown>): ReasonCode {
  const v = field(value, 'reason');
  if (typeof v !== 'string' || !REASON.test(v))
    throw new WireFormatError('"reason" is not a reason code');
  return v as ReasonCode;
}

/** Reads a wire revocation back into the record the replica applies. Throws WireFormatError. */
export function fromWire(input: unknown): RevocationRecord {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new WireFormatError('not an object');
  const v = input as Record<string, unknown>;
  // Checked in this order (the first problem found is the one reported); built as one literal at
  // the end, in the store's field order: a snapshot decodes millions of these (issue 21).
  const seq = wholeNumber(v, 'seq');
  const initiator = oneOf(v, 'initiator', INITIATORS);
  const reason = reasonField(v);
  const createdAtMs = wholeNumber(v, 'created_at');
  const scope = field(v, 'scope');
  if (typeof scope !== 'string' || !isRevocationScope(scope)) {
    if (typeof scope === 'string' && ID.test(scope)) throw new UnknownScopeError(scope);
    throw new WireFormatError('"scope" is not a scope');
  }
  const shape = SCOPE_RULES[scope].wire;
  // `iss` is checked before the target, as it always was: the first problem found is the one reported.
  let issuer: string | null = null;
  if (shape.issuer) {
    const iss = field(v, 'iss');
    if (iss !== null && typeof iss !== 'string')
      throw new WireFormatError('"iss" must be a string or null');
    issuer = iss;
  }
  const target = shape.target === null ? '*' : idField(v, shape.target);
  let windowFrom: number | null = null;
  let windowTo: number | null = null;
  if (shape.window) {
    windowFrom = wholeNumber(v, 'iat_from');
    windowTo = wholeNumber(v, 'iat_to');
    if (windowTo <= windowFrom) throw new WireFormatError('"iat_to" must be after "iat_from"');
  }
  const generation = shape.generation ? wholeNumber(v, 'generation') : null;
  const expiresAtMs = shape.expires ? expiry(v) : null;
  // An operator's free-text note stays in the audit log: it is not for every resource server.
  return {
    seq,
    scope,
    target,
    issuer,
    generation,
    windowFrom,
    windowTo,
    expiresAtMs,
    initiator,
    reason,
    note: null,
    createdAtMs,
  };
}

/** Reads a snapshot part (validating every revocation in it). */
export function snapshotPartFromWire(input: unknown): {
  part: number;
  final: boolean;
  generations: WireGenerations | undefined;
  limits: WireServiceLimits | undefined;
  tokenEntries: number | undefined;
  records: RevocationRecord[];
  protocol: number | undefined;
  chain: string | undefined;
  proof: unknown;
} {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new WireFormatError('snapshot part is not an object');
  const v = input as Record<string, unknown>;
  const part = wholeNumber(v, 'part');
  const final = field(v, 'final');
  if (typeof final !== 'boolean') throw new WireFormatError('"final" must be a boolean');
  const revocations = field(v, 'revocations');
  if (!Array.isArray(revocations)) throw new WireFormatError('"revocations" must be an array');
  let generations: WireGenerations | undefined;
  if (v.generations !== undefined) {
    const g = v.generations as Record<string, unknown>;
    const pairs = (name: string): Array<[string, number]> => {
      const list = field(g, name);
      if (!Array.isArray(list)) throw new WireFormatError(`"generations.${name}" must be an array`);
      return list.map((pair) => {
        if (!Array.isArray(pair) || pair.length !== 2)
          throw new WireFormatError(`"generations.${name}" entries are [id, generation]`);
        return [idField({ id: pair[0] }, 'id'), wholeNumber({ generation: pair[1] }, 'generation')];
      });
    };
    generations = {
      global: wholeNumber(g, 'global'),
      users: pairs('users'),
      clients: pairs('clients'),
    };
  }
  // Announced together or not at all (a service before the announcement sends neither).
  let limits: WireServiceLimits | undefined;
  if (v.clock_tolerance_seconds !== undefined || v.access_ttl_seconds !== undefined) {
    limits = {
      clockToleranceSeconds: wholeNumber(v, 'clock_tolerance_seconds'),
      accessTtlSeconds: wholeNumber(v, 'access_ttl_seconds'),
    };
  }
  const protocol = v.protocol === undefined ? undefined : wholeNumber(v, 'protocol');
  const tokenEntries = v.token_entries === undefined ? undefined : wholeNumber(v, 'token_entries');
  const chain = v.chain;
  if (chain !== undefined && (typeof chain !== 'string' || !/^[0-9a-f]{64}$/.test(chain)))
    throw new WireFormatError('"chain" is not a chain value');
  return {
    part,
    final,
    generations,
    limits,
    tokenEntries,
    records: revocations.map(fromWire),
    protocol,
    chain,
    proof: v.proof,
  };
}

/** Reads a heartbeat: its proof, unread (undefined from a protocol-1 service, which proves nothing). */
export function heartbeatProofFromWire(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new WireFormatError('heartbeat is not an object');
  return (input as Record<string, unknown>).proof;
}
