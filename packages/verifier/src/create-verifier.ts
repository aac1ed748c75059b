/**
 * `createVerifier`: offline verification of revokd access tokens that still honours revocation.
 * The signature and claim checks are the service's own (verifyAccessToken); the revocation
 * decision is the service's own replica (RevocationReplica over one RevocationState), fed by the
 * push stream through the SSE driver instead of the store. So a token the service would reject,
 * this rejects — within the stream's propagation delay, and never silently past `maxStalenessMs`.
 */
import { RevokdError, isRevokdError } from '#core/errors.js';
import type { AccessClaims, VerifyOptions } from '#core/tokens/access-token.js';
import { RevocationReplica } from '#replica/revocation-replica.js';
import type { RevocationRecord } from '#core/revocation/types.js';
import { VerifiedTokenCache } from '#core/tokens/verified-token-cache.js';
import { ClockTolerance } from './clock-tolerance.js';
import type { VerificationKey } from '#core/tokens/key-ring.js';
import { KeySet } from './jwks.js';
import { decideClaims, revokedKeysRefused } from './decide.js';
import { NO_METRICS, type CheckOutcomeLabel, createVerifierMetrics } from './metrics.js';
import { SseDriver } from './sse-driver.js';
import { retryUntilAborted } from './start-retry.js';
import { type VerifierOptions, resolveOptions } from './verifier-options.js';

export type { AccessClaims } from '#core/tokens/access-token.js';

/** A revocation as {@link Verifier.onRevocation} reports it (the stream's record). */
export interface AppliedRevocation {
  readonly scope: RevocationRecord['scope'];
  readonly target: string;
  readonly generation: number | null;
  /** When the service committed it (ms since 1970, the service's clock). */
  readonly createdAtMs: number;
}

/** What {@link Verifier.status} reports. */
export interface VerifierStatus {
  /** Milliseconds since the stream last showed the view current. */
  readonly stalenessMs: number;
  readonly stale: boolean;
  /** False when a stale verifier would refuse to decide (503). */
  readonly canDecide: boolean;
  readonly streamConnected: boolean;
  /** Why the stream is not connected, when it is not. */
  readonly streamProblem: string | undefined;
  /** Tokens accepted while stale in fail mode `open` (also `revokd_verifier_checks_total{outcome="fail_open"}`). */
  readonly failOpenAccepted: number;
  /** Stream connections made so far (1 + reconnects). */
  readonly streamConnections: number;
  /**
   * Proofs that did not match the events received (lost, altered, reordered or replayed on the
   * way): each made the view stale at once and was followed by a fresh snapshot. Not 0: look at
   * what stands between this process and revokd.
   */
  readonly streamProofMismatches: number;
}

export interface Verifier {
  /**
   * The token's claims, or throws a {@link RevokdError}: `ERR_INVALID_TOKEN`, `ERR_TOKEN_EXPIRED`,
   * `ERR_TOKEN_REVOKED` (status 401); `ERR_STORE_UNAVAILABLE` (503, `retryAfterSeconds`) when the
   * view is stale and fail mode is closed (or fail-open has lasted a token lifetime).
   */
  verify(token: unknown): Promise<AccessClaims>;
  status(): VerifierStatus;
  /**
   * Calls `listener` with each revocation right after the verifier applied it (so `verify` already
   * refuses what it covers): to drop sessions or caches of your own. Returns the unsubscribe.
   */
  onRevocation(listener: (revocation: AppliedRevocation) => void): () => void;
  /** Stops the stream and every timer; verify() answers 503 afterwards. */
  close(): Promise<void>;
}

/**
 * How often an unknown `kid` may refetch the JWKS: short, because after `revokd keys rotate` the
 * new kid is used at once; bounded, so junk kids cost the issuer at most one request per interval.
 */
const JWKS_REFETCH_INTERVAL_MS = 2_000;
const JWKS_FETCH_TIMEOUT_MS = 5_000;
/** Expired entries are dropped from memory at most this often (on a heartbeat). */
const PRUNE_INTERVAL_MS = 60_000;
/** A stream this quiet is dead (heartbeats are ≤ 1 s apart): reconnect rather than wait for TCP. */
const MIN_IDLE_TIMEOUT_MS = 3_000;

/**
 * Resolves once the keys and the first snapshot are loaded, waiting (with backoff) for an issuer
 * that is not up yet; rejects after `startTimeoutMs`, at once when the stream refuses the
 * credentials, and when `clockToleranceSeconds` exceeds the service's announced tolerance.
 */
export async function createVerifier(options: VerifierOptions): Promise<Verifier> {
  const o = resolveOptions(options);
  if (o.insecureUrls.length > 0) {
    process.emitWarning(
      `@revokd/verifier: options.allowInsecureHttp lets the client secret and the JWKS travel in clear to ${o.insecureUrls.join(' and ')}`,
      { code: 'REVOKD_VERIFIER_INSECURE_HTTP' },
    );
  }
  let failOpenAccepted = 0;
  /** Set by the replica when it decides while stale (fail mode open): read right after a check. */
  let decidedWhileStale = false;
  const tolerance = new ClockTolerance(o.clockToleranceSeconds, o.clockToleranceGiven);
  // The stream's proofs are checked with the issuer's keys (declared below; only called once events arrive).
  const proofKey = (
    kid: string,
  ): VerificationKey | undefined | Promise<VerificationKey | undefined> => keys.resolve(kid);
  const driver = new SseDriver({
    ...o.stream,
    idleTimeoutMs: Math.max(MIN_IDLE_TIMEOUT_MS, o.maxStalenessMs),
    onServiceLimits: (limits) => tolerance.announced(limits),
    issuer: o.issuer,
    resolveKey: proofKey,
  });
  const replica = new RevocationReplica({
    driver,
    maxStalenessMs: o.maxStalenessMs,
    pruneIntervalMs: PRUNE_INTERVAL_MS,
    failMode: o.failMode,
    // Every token that could be wrongly accepted was issued before the outage began; after one
    // token lifetime all of them have expired, and fail-open would only protect new ones: stop.
    failOpenMaxMs: o.maxTokenLifetimeSeconds * 1000,
    // The stream consumer keeps the chain over the bytes it received; the replica need not.
    followChain: false,
    onFailOpen: () => {
      decidedWhileStale = true;
    },
  });
  const keys = new KeySet({
    jwksUri: o.jwksUri,
    keys: o.keys,
    refetchIntervalMs: JWKS_REFETCH_INTERVAL_MS,
    fetchTimeoutMs: JWKS_FETCH_TIMEOUT_MS,
    isRevoked: (kid) => replica.state.isKeyRevoked(kid),
  });
  const metrics =
    o.registry === undefined
      ? NO_METRICS
      : await createVerifierMetrics(o.registry, () => replica.stalenessMs());
  const unsubscribe = replica.onRecord((record) => {
    if (record.scope === 'key') keys.drop(record.target);
    metrics.propagated(record, Date.now());
  });
  const verifiedTokens = new VerifiedTokenCache(o.verifiedTokenCacheSize);
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    unsubscribe();
    verifiedTokens.clear();
    await Promise.all([replica.stop(), keys.close()]);
  };

  // Until startTimeoutMs, an issuer that is not up yet is waited for: the stream driver reconnects
  // with backoff by itself, the JWKS is retried here. Refused credentials still fail at once.
  const starting = new AbortController();
  let keysProblem: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const stream = driver
        .wakeupStatus()
        .map((s) => (s.connected ? 'connected' : s.problem))
        .join('');
      reject(
        new Error(
          `createVerifier: the keys and the first revocation snapshot were not loaded within ${o.startTimeoutMs} ms ` +
            `(stream: ${stream}${keysProblem === undefined ? '' : `; keys: ${keysProblem}`})`,
        ),
      );
    }, o.startTimeoutMs);
  });
  const loadKeys = retryUntilAborted(
    () => keys.load(),
    starting.signal,
    (err) => {
      keysProblem = err instanceof Error ? err.message : String(err);
    },
  );
  try {
    await Promise.race([Promise.all([replica.start(), loadKeys]), timeout]);
    tolerance.assertSafeAtStart();
  } catch (err) {
    starting.abort(new Error('start abandoned'));
    await Promise.all([close(), loadKeys.catch(() => {})]);
    throw err instanceof Error && err.message.startsWith('createVerifier:')
      ? err
      : new Error(`createVerifier: ${(err as Error).message}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }

  const count = (outcome: CheckOutcomeLabel): void => metrics.check(outcome);
  // One options object for every call, its clock and tolerance set before each: built per call
  // (with its closure), it was most of what a repeat token allocated (issue 21).
  const verifyOptions: { -readonly [K in keyof VerifyOptions]: VerifyOptions[K] } = {
    issuer: o.issuer,
    audience: o.audience,
    clockToleranceSeconds: tolerance.seconds,
    maxLifetimeSeconds: o.maxTokenLifetimeSeconds,
    nowSec: 0,
    resolveKey: revokedKeysRefused(replica, (kid) => keys.resolve(kid)),
  };

  return {
    async verify(token: unknown): Promise<AccessClaims> {
      if (closed)
        throw new RevokdError('ERR_STORE_UNAVAILABLE', 'the verifier is closed', {
          retryAfterSeconds: 1,
        });
      try {
        verifyOptions.nowSec = Math.floor(Date.now() / 1000);
        verifyOptions.clockToleranceSeconds = tolerance.seconds;
        decidedWhileStale = false;
        const decided = decideClaims(token, replica, verifyOptions, verifiedTokens);
        // Synchronous: the flag is this call's (no clock read). After a key fetch other calls may
        // have run in between: ask the replica, as decide() does.
        let claims: AccessClaims;
        let failOpen: boolean;
        if (decided instanceof Promise) {
          claims = await decided;
          failOpen = replica.isStale();
        } else {
          claims = decided;
          failOpen = decidedWhileStale;
        }
        if (failOpen) failOpenAccepted++;
        count(failOpen ? 'fail_open' : 'valid');
        return claims;
      } catch (err) {
        count(outcomeOf(err));
        throw err;
      }
    },
    status(): VerifierStatus {
      const stream = driver.wakeupStatus()[0];
      return {
        stalenessMs: replica.stalenessMs(),
        stale: replica.isStale(),
        canDecide: replica.canDecide(),
        streamConnected: stream?.connected === true,
        streamProblem: stream?.connected === false ? stream.problem : undefined,
        failOpenAccepted,
        streamConnections: driver.connections,
        streamProofMismatches: driver.mismatches,
      };
    },
    onRevocation(listener) {
      return replica.onRecord((record) => {
        listener({
          scope: record.scope,
          target: record.target,
          generation: record.generation,
          createdAtMs: record.createdAtMs,
        });
      });
    },
    close,
  };
}

function outcomeOf(err: unknown): CheckOutcomeLabel {
  if (!isRevokdError(err)) return 'invalid';
  switch (err.code) {
    case 'ERR_TOKEN_REVOKED':
      return 'revoked';
    case 'ERR_TOKEN_EXPIRED':
      return 'expired';
    case 'ERR_STORE_UNAVAILABLE':
      return 'unavailable';
    default:
      return 'invalid';
  }
}
