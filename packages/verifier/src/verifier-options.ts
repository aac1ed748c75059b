/**
 * The options of {@link createVerifier}, checked once at creation: a wrong option is a programming
 * error, so it throws a TypeError naming the option, before any network traffic.
 */
import { DEFAULT_VERIFIED_TOKEN_CACHE_SIZE } from '#core/tokens/verified-token-cache.js';
import type { PublicJwk } from './jwks.js';
import type { MetricsRegistry } from './metrics.js';

export interface StreamOptions {
  /** `https://revokd.example/api/v1/revocations/stream` */
  readonly url: string;
  /** A client created with `revokd client create --name <n> --scope revocations:read`. */
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface VerifierOptions {
  /** The service's `REVOKD_ISSUER` (the `iss` of its tokens). */
  readonly issuer: string;
  /** The `aud` tokens must carry. */
  readonly audience: string;
  /** The issuer's JWKS (`<issuer>/.well-known/jwks.json`). Give this or `keys`. */
  readonly jwksUri?: string;
  /** Fixed public JWKs (or a JWKS document) instead of fetching them. */
  readonly keys?: readonly PublicJwk[] | { readonly keys: readonly PublicJwk[] };
  readonly stream: StreamOptions;
  /**
   * The staleness bound: once the stream has not shown the view to be current (an event or a
   * heartbeat) for longer than this, `verify` follows `failMode`.
   */
  readonly maxStalenessMs: number;
  /** `closed`: refuse to decide (503) when stale. `open`: accept, count, and stop after one token lifetime. */
  readonly failMode: 'closed' | 'open';
  /**
   * Allowed clock skew for `exp`/`nbf`/`iat`. Default: the service's (announced on the stream;
   * 5 when it announces none). Larger than the service's is refused at start: the service drops a
   * revoked token's entry `tolerance + 1 s` after its `exp`, so a laxer verifier could accept it.
   */
  readonly clockToleranceSeconds?: number;
  /** The service's `REVOKD_ACCESS_TTL_SECONDS` (default 900): longer-lived tokens are refused; bounds fail-open. */
  readonly maxTokenLifetimeSeconds?: number;
  /** How long `createVerifier` waits for the keys and the first snapshot (default 10 000). */
  readonly startTimeoutMs?: number;
  /**
   * Verified tokens remembered by their exact string (default 10 000; 0 turns it off): a repeat
   * token costs a hash lookup, not a signature check. `exp`, the key and revocation are still
   * checked on every call.
   */
  readonly verifiedTokenCacheSize?: number;
  /** Register Prometheus metrics in this prom-client registry. */
  readonly metrics?: { readonly registry: MetricsRegistry };
  /**
   * Allow plain `http:` URLs to hosts that are not loopback (default false). Without TLS the client
   * secret (sent on every stream connection) and the JWKS travel in clear: only for a private
   * network you trust; a warning is emitted at start when it is used.
   */
  readonly allowInsecureHttp?: boolean;
}

/** The options with defaults applied. */
export interface ResolvedOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUri: string | undefined;
  readonly keys: readonly PublicJwk[] | undefined;
  readonly stream: StreamOptions;
  readonly maxStalenessMs: number;
  readonly failMode: 'closed' | 'open';
  readonly clockToleranceSeconds: number;
  /** False when clockToleranceSeconds is the default (then the service's announced one is used). */
  readonly clockToleranceGiven: boolean;
  readonly maxTokenLifetimeSeconds: number;
  readonly startTimeoutMs: number;
  readonly verifiedTokenCacheSize: number;
  readonly registry: MetricsRegistry | undefined;
  /** The `http:` URLs to non-loopback hosts that allowInsecureHttp let through (warned about at start). */
  readonly insecureUrls: readonly string[];
}

/** The service's own default (REVOKD_CLOCK_TOLERANCE_SECONDS), used until the stream announces the real one. */
const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5;

const fail = (message: string): never => {
  throw new TypeError(`createVerifier: ${message}`);
};

function text(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    fail(`options.${name} must be a non-empty string`);
  return value as string;
}

/**
 * Loopback hosts, where cleartext never leaves the machine. By address only (`localhost` also, as
 * RFC 6761 reserves it for loopback); any other name could resolve anywhere.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || host === '[::1]') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** An http(s) URL; `http:` only to loopback unless `allowInsecure` (then it is listed in `insecure`). */
function httpUrl(value: unknown, name: string, allowInsecure: boolean, insecure: string[]): string {
  text(value, name);
  let url: URL | undefined;
  try {
    url = new URL(value as string);
  } catch {
    // reported below
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:'))
    fail(`options.${name} must be an http(s) URL`);
  if (url!.username !== '' || url!.password !== '')
    fail(`options.${name} must not carry credentials (use options.stream.clientId/clientSecret)`);
  if (url!.protocol === 'http:' && !isLoopbackHost(url!.hostname)) {
    if (!allowInsecure) {
      fail(
        `options.${name} must be an https: URL (plain http: is accepted for loopback hosts only; set options.allowInsecureHttp: true to send the client secret and the JWKS in clear)`,
      );
    }
    insecure.push(value as string);
  }
  return value as string;
}

function wholeNumber(
  value: unknown,
  name: string,
  min: number,
  max: number,
  fallback?: number,
): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    fail(`options.${name} must be a whole number from ${min} to ${max}`);
  }
  return value as number;
}

export function resolveOptions(input: unknown): ResolvedOptions {
  if (typeof input !== 'object' || input === null) fail('options must be an object');
  const o = input as Record<string, unknown>;
  const stream = o.stream as Record<string, unknown> | undefined;
  if (typeof stream !== 'object' || stream === null)
    fail('options.stream must be { url, clientId, clientSecret }');
  if (o.jwksUri !== undefined && o.keys !== undefined)
    fail('give options.jwksUri or options.keys, not both');
  if (o.jwksUri === undefined && o.keys === undefined)
    fail('options.jwksUri or options.keys is required');
  let keys: readonly PublicJwk[] | undefined;
  if (o.keys !== undefined) {
    const given = o.keys as unknown[] | { keys?: unknown } | null;
    const list = Array.isArray(given) ? given : given?.keys;
    if (!Array.isArray(list) || list.length === 0)
      fail('options.keys must be a non-empty array of JWKs or a JWKS { keys: [...] }');
    keys = list as PublicJwk[];
  }
  if (o.failMode !== 'closed' && o.failMode !== 'open')
    fail(`options.failMode must be 'closed' or 'open'`);
  const metrics = o.metrics as { registry?: unknown } | undefined;
  if (metrics !== undefined) {
    const registry = metrics?.registry as Partial<MetricsRegistry> | undefined;
    if (typeof registry?.registerMetric !== 'function')
      fail('options.metrics.registry must be a prom-client Registry');
  }
  if (o.allowInsecureHttp !== undefined && typeof o.allowInsecureHttp !== 'boolean')
    fail('options.allowInsecureHttp must be a boolean');
  const allowInsecure = o.allowInsecureHttp === true;
  const insecureUrls: string[] = [];
  return {
    issuer: text(o.issuer, 'issuer'),
    audience: text(o.audience, 'audience'),
    jwksUri:
      o.jwksUri === undefined
        ? undefined
        : httpUrl(o.jwksUri, 'jwksUri', allowInsecure, insecureUrls),
    keys,
    stream: {
      url: httpUrl(stream!.url, 'stream.url', allowInsecure, insecureUrls),
      clientId: text(stream!.clientId, 'stream.clientId'),
      clientSecret: text(stream!.clientSecret, 'stream.clientSecret'),
    },
    maxStalenessMs: wholeNumber(o.maxStalenessMs, 'maxStalenessMs', 100, 86_400_000),
    failMode: o.failMode as 'closed' | 'open',
    clockToleranceSeconds: wholeNumber(
      o.clockToleranceSeconds,
      'clockToleranceSeconds',
      0,
      300,
      DEFAULT_CLOCK_TOLERANCE_SECONDS,
    ),
    clockToleranceGiven: o.clockToleranceSeconds !== undefined,
    maxTokenLifetimeSeconds: wholeNumber(
      o.maxTokenLifetimeSeconds,
      'maxTokenLifetimeSeconds',
      1,
      86_400,
      900,
    ),
    startTimeoutMs: wholeNumber(o.startTimeoutMs, 'startTimeoutMs', 1, 600_000, 10_000),
    verifiedTokenCacheSize: wholeNumber(
      o.verifiedTokenCacheSize,
      'verifiedTokenCacheSize',
      0,
      1_000_000,
      DEFAULT_VERIFIED_TOKEN_CACHE_SIZE,
    ),
    registry: metrics?.registry as MetricsRegistry | undefined,
    insecureUrls,
  };
}
