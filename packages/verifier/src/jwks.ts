/**
 * The verification keys of one issuer: fetched from its JWKS (`/.well-known/jwks.json`) and
 * cached, or given once as JWKs. A token whose `kid` is not cached triggers one refetch — shared by
 * every request waiting on it and at most one per `refetchIntervalMs`, so a flood of junk kids
 * cannot turn the verifier into a load generator against the issuer. Keys are KeyObjects built from
 * public JWKs of the algorithms revokd signs with; anything else in the set is skipped.
 */
import { createPublicKey } from 'node:crypto';
import { abortReason, cancelOnAbort, discard, raceAbort } from './abortable.js';
import { KID_PATTERN, type JwtAlg, type VerificationKey } from '#core/tokens/key-ring.js';

/** A public JSON Web Key, as a JWKS lists it. */
export type PublicJwk = Record<string, unknown>;

export interface KeySetOptions {
  /** Fetched when given; otherwise `keys` is the whole, fixed set. */
  readonly jwksUri?: string;
  readonly keys?: readonly PublicJwk[];
  readonly refetchIntervalMs: number;
  readonly fetchTimeoutMs: number;
  /** Keys revoked on the stream: never (re)admitted from a JWKS. */
  readonly isRevoked: (kid: string) => boolean;
}

/** A JWKS document larger than this is refused (a real one holds a handful of keys). */
const MAX_JWKS_BYTES = 1 << 20;

export class KeySet {
  private readonly options: KeySetOptions;
  private keys = new Map<string, VerificationKey>();
  private inFlight: Promise<void> | undefined;
  /** When an unknown kid last caused a refetch (the initial load does not count). */
  private lastUnknownKidFetchMs = Number.NEGATIVE_INFINITY;
  private readonly abort = new AbortController();

  constructor(options: KeySetOptions) {
    this.options = options;
    if (options.keys !== undefined) this.keys = toKeyMap(options.keys, options.isRevoked);
  }

  /** Loads the set once (resolves at once for fixed keys). Throws when the JWKS cannot be read. */
  async load(): Promise<void> {
    if (this.options.jwksUri !== undefined) await this.refetch();
    if (this.keys.size === 0)
      throw new Error('the issuer publishes no usable signing key (EdDSA or ES256 with a kid)');
  }

  /** The key for `kid`, refetching the JWKS once if it is unknown (rate-limited). */
  resolve(kid: string): VerificationKey | undefined | Promise<VerificationKey | undefined> {
    const key = this.keys.get(kid);
    if (key !== undefined || this.options.jwksUri === undefined) return key;
    if (this.inFlight === undefined) {
      if (Date.now() - this.lastUnknownKidFetchMs < this.options.refetchIntervalMs)
        return undefined;
      this.lastUnknownKidFetchMs = Date.now();
    }
    return this.refetch().then(
      () => this.keys.get(kid),
      () => undefined,
    );
  }

  /** Forgets a key at once (the stream said it was revoked). */
  drop(kid: string): void {
    this.keys.delete(kid);
  }

  /** Aborts a fetch in flight; resolves once it has let go of its connection. */
  async close(): Promise<void> {
    this.abort.abort(new Error('the verifier was closed'));
    await this.inFlight?.catch(() => {});
  }

  private refetch(): Promise<void> {
    this.inFlight ??= this.fetchKeys().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetchKeys(): Promise<void> {
    const signal = AbortSignal.any([
      this.abort.signal,
      AbortSignal.timeout(this.options.fetchTimeoutMs),
    ]);
    // Raced against the signal ourselves, and the body cancelled through its reader: fetch's own
    // signal may no longer reach the request (abortable.ts).
    const response = await raceAbort(
      fetch(this.options.jwksUri as string, {
        signal,
        redirect: 'error',
        headers: { accept: 'application/json' },
      }),
      signal,
      discard,
    );
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new Error(`the JWKS at ${this.options.jwksUri} answered HTTP ${response.status}`);
    }
    const text = await readBounded(response, MAX_JWKS_BYTES, signal);
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      throw new Error(`the JWKS at ${this.options.jwksUri} is not JSON`);
    }
    const list = (document as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(list))
      throw new Error(`the JWKS at ${this.options.jwksUri} has no "keys" array`);
    // Replaced whole: a key the issuer stopped publishing stops verifying here too.
    this.keys = toKeyMap(list as PublicJwk[], this.options.isRevoked);
  }
}

async function readBounded(
  response: Response,
  maxBytes: number,
  signal: AbortSignal,
): Promise<string> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const stopCancelling = cancelOnAbort(reader, signal);
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (signal.aborted) throw abortReason(signal);
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) throw new Error(`the JWKS is larger than ${maxBytes} bytes`);
      chunks.push(value);
    }
  } catch (err) {
    await reader.cancel().catch(() => {});
    throw err;
  } finally {
    stopCancelling();
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The algorithm a public JWK is for, or undefined when revokd never signs with it. */
function algorithmOf(jwk: PublicJwk): JwtAlg | undefined {
  if (
    jwk.kty === 'OKP' &&
    jwk.crv === 'Ed25519' &&
    (jwk.alg === undefined || jwk.alg === 'EdDSA' || jwk.alg === 'Ed25519')
  )
    return 'EdDSA';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256' && (jwk.alg === undefined || jwk.alg === 'ES256'))
    return 'ES256';
  return undefined;
}

/** Builds the key map, skipping what is not a usable public signing key (never a private or secret one). */
export function toKeyMap(
  jwks: readonly PublicJwk[],
  isRevoked: (kid: string) => boolean,
): Map<string, VerificationKey> {
  const keys = new Map<string, VerificationKey>();
  for (const jwk of jwks) {
    if (typeof jwk !== 'object' || jwk === null) continue;
    const kid = jwk.kid;
    if (typeof kid !== 'string' || !KID_PATTERN.test(kid) || isRevoked(kid)) continue;
    if (jwk.use !== undefined && jwk.use !== 'sig') continue;
    if ('d' in jwk) continue;
    const alg = algorithmOf(jwk);
    if (alg === undefined) continue;
    try {
      const key = createPublicKey({ key: jwk as never, format: 'jwk' });
      keys.set(kid, { kid, alg, key, publicJwk: jwk });
    } catch {
      // a malformed key is skipped, not fatal: the others still verify
    }
  }
  return keys;
}
