/**
 * Configuration: read once from the environment, every problem reported together, then frozen.
 * Option names carry their units. `docs/configuration.md` documents each variable.
 */
import path from 'node:path';
import { parseCidr } from './containment/ip-address.js';
import { corsOriginProblem } from './cors-origin.js';
import { MIN_PASSWORD_CHARACTERS, characterCount } from './passwords.js';
import { parseStoreUrl } from './database-url.js';
import type { JwtAlg } from './tokens/key-ring.js';
import { DEFAULT_VERIFIED_TOKEN_CACHE_SIZE } from './tokens/verified-token-cache.js';

// Defined beside the keys (the verifier package compiles key-ring.ts without this module).
export type { JwtAlg } from './tokens/key-ring.js';
export type FailMode = 'closed' | 'open';
/** notify: PostgreSQL LISTEN/NOTIFY; redis: Redis pub/sub; none: the poll alone. */
export type FeedWakeup = 'notify' | 'redis' | 'none';

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** `sqlite:<path>` (default `sqlite:<dataDir>/revokd.db`) or `postgres://…`. */
  readonly databaseUrl: string;
  readonly redisUrl: string | undefined;
  readonly issuer: string;
  readonly audience: string;
  readonly adminEmail: string | undefined;
  readonly adminPassword: string | undefined;
  readonly accessTtlSeconds: number;
  readonly refreshTtlSeconds: number;
  readonly sessionMaxSeconds: number;
  readonly refreshGraceSeconds: number;
  readonly clockToleranceSeconds: number;
  /** Verified access tokens remembered by their exact string (0 = verify every signature). */
  readonly verifiedTokenCacheSize: number;
  readonly trustedProxies: readonly string[];
  /** Browser origins allowed to call the API cross-origin (bearer only, no cookies); empty = CORS off. */
  readonly corsOrigins: readonly string[];
  readonly failMode: FailMode;
  readonly smtpUrl: string | undefined;
  /** Sender of owner notifications (`addr@host` or `Name <addr@host>`); the mail worker defaults it. */
  readonly mailFrom: string | undefined;
  /** How often the mail worker looks for outbox messages that are due. */
  readonly mailPollMs: number;
  readonly honeypotPaths: readonly string[];
  readonly honeypotThreshold: number;
  readonly autoBlockSeconds: number;
  /** Addresses and ranges never blocked automatically (loopback and trusted proxies never are either). */
  readonly neverBlock: readonly string[];
  /** Automatic blocks allowed per hour (counted in the store); beyond it, one alert and no more blocks. */
  readonly autoBlocksPerHour: number;
  readonly jwtAlg: JwtAlg;
  readonly jwtSecret: string | undefined;
  readonly jwtPreviousSecret: string | undefined;
  /** How long the in-process revocation view may go without a successful sync before checks fail. */
  readonly maxStalenessMs: number;
  /** How often the in-process view reads the change feed (also the catch-up after a missed wake-up). */
  readonly feedPollMs: number;
  /** What wakes the view to read the feed at once after another process commits (besides the poll). */
  readonly feedWakeup: FeedWakeup;
  /** How often expired revocation entries are dropped from the store and the in-process view. */
  readonly pruneIntervalMs: number;
  readonly logLevel: string;
  /** Live API tokens a user may hold at once (null: no limit). */
  readonly apiTokenMaxPerUser: number | null;
  /** Revoke API tokens unused for this many days (null: never). */
  readonly apiTokenUnusedDays: number | null;
  /** How often batched API-token last-use times are written. */
  readonly apiTokenUsageFlushMs: number;
  /** Detector thresholds (per hour) and the login limit per (email, IP) pair. */
  readonly failedLoginsPerUserPerHour: number;
  readonly failedLoginsPerIpPerHour: number;
  readonly tokenRequestsPerUserPerHour: number;
  readonly loginAttemptsPerUserAndIp: number;
  readonly canaryThreshold: number;
  /** Requests per minute per client IP (and per user on bearer routes); 0 turns that limit off. */
  readonly rateLimits: RateLimitConfig;
  /** Prefix of every Redis key revokd writes (rate-limit counters), so deployments can share a Redis. */
  readonly redisPrefix: string;
  /** When set, GET /metrics requires `Authorization: Bearer <this>`; unset: /metrics is open. */
  readonly metricsToken: string | undefined;
  /** How long one store operation may wait for another process's SQLite write lock before a 503. */
  readonly storeTimeoutMs: number;
  /** Connection limits (docs/architecture.md, "Connection limits"). */
  readonly http: HttpLimitsConfig;
  /**
   * Service secret the audit keys and the signing-key seal are derived from; unset (SQLite only): a
   * secret generated into `<dataDir>/audit-secret`.
   */
  readonly secret: string | undefined;
  /** How often a signed checkpoint of the audit head is written to the service log. */
  readonly auditCheckpointIntervalMs: number;
  /** The push stream, GET /api/v1/revocations/stream (docs/architecture.md, "The push stream"). */
  readonly stream: StreamConfig;
}

/** Heartbeats, back-pressure and connection caps of the push stream. */
export interface StreamConfig {
  /** A heartbeat is sent when nothing else was for this long (only while this instance's view is current). */
  readonly heartbeatMs: number;
  /** A connection whose unsent output exceeds this is closed (the consumer resumes with Last-Event-ID). */
  readonly maxBufferBytes: number;
  /** A connection that accepts nothing for this long while output waits is closed. */
  readonly stallTimeoutMs: number;
  /** Streams one client may hold open at once on this instance. */
  readonly maxPerClient: number;
  /** Streams this instance serves at once, all clients together. */
  readonly maxTotal: number;
}

/** Timeouts and the connection cap of the HTTP server. */
export interface HttpLimitsConfig {
  /** A whole request (headers and body) must arrive within this; a stalled body is cut with 408. */
  readonly requestTimeoutMs: number;
  /** The request line and headers must arrive within this (at most requestTimeoutMs). */
  readonly headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveTimeoutMs: number;
  /** Open connections accepted at once; further ones are closed as they arrive. */
  readonly maxConnections: number;
  /** On SIGTERM/SIGINT, requests in flight get this long to finish before their connections are cut. */
  readonly shutdownGraceMs: number;
}

/** Per-minute request budgets (SPEC §5.4); see src/http/rate-limits.ts for the routes in each. */
export interface RateLimitConfig {
  /** POST /api/v1/auth/login, per IP. */
  readonly loginPerMinute: number;
  /** POST /api/v1/auth/refresh and POST /oauth/token, per IP. */
  readonly refreshPerMinute: number;
  /** The revoke routes (revoke, revoke-all, logout-all, /oauth/revoke, API-token revocation), per IP and per user. */
  readonly revokePerMinute: number;
  /** POST /api/v1/tokens (API-token creation), per IP and per user. */
  readonly tokenCreatePerMinute: number;
  /** Every route that takes a bearer token (access or API token), per IP. */
  readonly bearerPerMinute: number;
}

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Env = Record<string, string | undefined>;

/**
 * Why PostgreSQL needs REVOKD_SECRET: on SQLite the secret can be generated into the data
 * directory, but instances on one PostgreSQL database share no directory, and each must derive the
 * same audit-chain key and open the signing keys the others sealed.
 */
export const SECRET_REQUIRED_WITH_POSTGRES =
  'REVOKD_SECRET is required with a PostgreSQL REVOKD_DATABASE_URL: ' +
  'instances share no data directory to generate it in, and every instance needs the same one, since it keys the audit chain ' +
  'and seals the signing keys in the database (set the same value, at least 32 bytes, on every instance)';

const DEFAULT_HONEYPOT_PATHS = [
  '/.env',
  '/wp-login.php',
  '/wp-admin',
  '/.git/config',
  '/phpmyadmin',
  '/admin.php',
];

/** Parses and validates the environment; throws one ConfigError listing every problem. */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const problems: string[] = [];
  const str = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    if (!/^-?\d+$/.test(raw)) {
      problems.push(`${name} must be a whole number, got "${raw}"`);
      return fallback;
    }
    const n = Number(raw);
    if (n < min || n > max) problems.push(`${name} must be between ${min} and ${max}, got ${n}`);
    return n;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      problems.push(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
      return fallback;
    }
    return raw as T;
  };
  const list = (name: string, fallback: readonly string[]): string[] => {
    const raw = str(name);
    if (raw === undefined) return [...fallback];
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  };

  const port = int('PORT', 8080, 0, 65535);
  const host = str('HOST') ?? '127.0.0.1';
  const dataDir = path.resolve(cwd, str('REVOKD_DATA_DIR') ?? './data');
  const databaseUrl = str('REVOKD_DATABASE_URL') ?? `sqlite:${path.join(dataDir, 'revokd.db')}`;
  const storeLocation = parseStoreUrl(databaseUrl);
  if ('problem' in storeLocation) problems.push(`REVOKD_DATABASE_URL ${storeLocation.problem}`);
  // Decided on what the backend declares it can do, not on its name (StoreCapabilities).
  const capabilities = 'problem' in storeLocation ? undefined : storeLocation.capabilities;
  const notifies = capabilities?.feedNotifications === true;
  const redisUrl = str('REVOKD_REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    problems.push(`REVOKD_REDIS_URL must start with redis:// or rediss://`);
  }
  // The store's own notifications (PostgreSQL NOTIFY) by default: delivered on commit, so no
  // crash window, and nothing more to run.
  const feedWakeup = oneOf<FeedWakeup>(
    'REVOKD_FEED_WAKEUP',
    ['notify', 'redis', 'none'],
    notifies ? 'notify' : 'none',
  );
  if (feedWakeup === 'notify' && !notifies && env.REVOKD_FEED_WAKEUP !== undefined) {
    problems.push(
      'REVOKD_FEED_WAKEUP=notify needs a postgres:// REVOKD_DATABASE_URL (SQLite has no NOTIFY; use redis or none)',
    );
  }
  if (feedWakeup === 'redis' && redisUrl === undefined)
    problems.push('REVOKD_FEED_WAKEUP=redis needs REVOKD_REDIS_URL');
  const issuer = str('REVOKD_ISSUER') ?? `http://${host}:${port}`;
  if (!/^https?:\/\/[^\s]+$/.test(issuer))
    problems.push(`REVOKD_ISSUER must be an http(s) URL, got "${issuer}"`);
  const audience = str('REVOKD_AUDIENCE') ?? issuer;

  const adminEmail = str('REVOKD_ADMIN_EMAIL');
  const adminPassword = env.REVOKD_ADMIN_PASSWORD === '' ? undefined : env.REVOKD_ADMIN_PASSWORD;
  if ((adminEmail === undefined) !== (adminPassword === undefined)) {
    problems.push('REVOKD_ADMIN_EMAIL and REVOKD_ADMIN_PASSWORD must be set together');
  }
  if (adminEmail !== undefined && !/^[^\s@]+@[^\s@]+$/.test(adminEmail)) {
    problems.push(`REVOKD_ADMIN_EMAIL is not an email address: "${adminEmail}"`);
  }
  if (adminPassword !== undefined && characterCount(adminPassword) < MIN_PASSWORD_CHARACTERS) {
    problems.push('REVOKD_ADMIN_PASSWORD must be at least 8 characters');
  }

  const accessTtlSeconds = int('REVOKD_ACCESS_TTL_SECONDS', 900, 1, 86_400);
  const refreshTtlSeconds = int('REVOKD_REFRESH_TTL_SECONDS', 604_800, 60, 31_536_000);
  const sessionMaxSeconds = int('REVOKD_SESSION_MAX_SECONDS', 2_592_000, 60, 31_536_000);
  const refreshGraceSeconds = int('REVOKD_REFRESH_GRACE_SECONDS', 10, 0, 60);
  const clockToleranceSeconds = int('REVOKD_CLOCK_TOLERANCE_SECONDS', 5, 0, 300);
  const verifiedTokenCacheSize = int(
    'REVOKD_VERIFIED_TOKEN_CACHE_SIZE',
    DEFAULT_VERIFIED_TOKEN_CACHE_SIZE,
    0,
    1_000_000,
  );
  const trustedProxies = list('REVOKD_TRUSTED_PROXIES', []);
  for (const entry of trustedProxies) {
    if (parseCidr(entry) === undefined)
      problems.push(`REVOKD_TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR range`);
  }
  const corsOrigins = list('REVOKD_CORS_ORIGINS', []);
  for (const entry of corsOrigins) {
    const problem = corsOriginProblem(entry);
    if (problem !== undefined) problems.push(`REVOKD_CORS_ORIGINS: ${problem}`);
  }
  const failMode = oneOf<FailMode>('REVOKD_FAIL_MODE', ['closed', 'open'], 'closed');
  const smtpUrl = str('REVOKD_SMTP_URL');
  if (smtpUrl !== undefined && !/^smtps?:\/\//.test(smtpUrl))
    problems.push('REVOKD_SMTP_URL must start with smtp:// or smtps://');
  const mailFrom = str('REVOKD_MAIL_FROM');
  if (
    mailFrom !== undefined &&
    (/[\u0000-\u001f\u007f]/.test(mailFrom) ||
      !/^(?:[^\s@<>]+@[^\s@<>]+|[^<>]*<[^\s@<>]+@[^\s@<>]+>)$/.test(mailFrom))
  ) {
    problems.push(
      `REVOKD_MAIL_FROM must be an email address (addr@host or "Name <addr@host>"), got "${mailFrom}"`,
    );
  }
  const mailPollMs = int('REVOKD_MAIL_POLL_MS', 500, 10, 60_000);
  const honeypotPaths = list('REVOKD_HONEYPOT_PATHS', DEFAULT_HONEYPOT_PATHS);
  const honeypotThreshold = int('REVOKD_HONEYPOT_THRESHOLD', 3, 1, 1000);
  const autoBlockSeconds = int('REVOKD_AUTO_BLOCK_SECONDS', 86_400, 1, 31_536_000);
  const neverBlock = list('REVOKD_NEVER_BLOCK', []);
  for (const entry of neverBlock) {
    if (parseCidr(entry) === undefined)
      problems.push(`REVOKD_NEVER_BLOCK: "${entry}" is not an IP address or CIDR range`);
  }
  const autoBlocksPerHour = int('REVOKD_AUTO_BLOCKS_PER_HOUR', 100, 1, 100_000);
  const jwtAlg = oneOf<JwtAlg>('REVOKD_JWT_ALG', ['EdDSA', 'ES256', 'HS256'], 'EdDSA');
  const jwtSecret = env.REVOKD_JWT_SECRET === '' ? undefined : env.REVOKD_JWT_SECRET;
  const jwtPreviousSecret =
    env.REVOKD_JWT_PREVIOUS_SECRET === '' ? undefined : env.REVOKD_JWT_PREVIOUS_SECRET;
  if (jwtAlg === 'HS256') {
    // RFC 7518 §3.2: an HMAC key must be at least as long as the hash output (32 bytes for HS256).
    if (jwtSecret === undefined)
      problems.push('REVOKD_JWT_SECRET is required when REVOKD_JWT_ALG=HS256');
    else if (Buffer.byteLength(jwtSecret) < 32)
      problems.push('REVOKD_JWT_SECRET must be at least 32 bytes');
    if (jwtPreviousSecret !== undefined && Buffer.byteLength(jwtPreviousSecret) < 32) {
      problems.push('REVOKD_JWT_PREVIOUS_SECRET must be at least 32 bytes');
    }
  } else if (jwtSecret !== undefined || jwtPreviousSecret !== undefined) {
    problems.push(
      'REVOKD_JWT_SECRET / REVOKD_JWT_PREVIOUS_SECRET are only used with REVOKD_JWT_ALG=HS256',
    );
  }
  const maxStalenessMs = int('REVOKD_MAX_STALENESS_MS', 5_000, 100, 600_000);
  const feedPollMs = int('REVOKD_FEED_POLL_MS', 100, 10, 60_000);
  const pruneIntervalMs = int('REVOKD_PRUNE_INTERVAL_MS', 60_000, 100, 86_400_000);
  const logLevel = oneOf(
    'REVOKD_LOG_LEVEL',
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    'info',
  );

  const maxPerUser = int('REVOKD_API_TOKEN_MAX_PER_USER', 100, 0, 100_000);
  const unusedDays = int('REVOKD_API_TOKEN_UNUSED_DAYS', 0, 0, 3650);
  const apiTokenUsageFlushMs = int('REVOKD_API_TOKEN_USAGE_FLUSH_MS', 5_000, 10, 600_000);

  const failedLoginsPerUserPerHour = int('REVOKD_ALERT_FAILED_LOGINS_PER_USER', 10, 1, 100_000);
  const failedLoginsPerIpPerHour = int('REVOKD_ALERT_FAILED_LOGINS_PER_IP', 50, 1, 1_000_000);
  const tokenRequestsPerUserPerHour = int(
    'REVOKD_ALERT_TOKEN_REQUESTS_PER_USER',
    100,
    1,
    1_000_000,
  );
  const loginAttemptsPerUserAndIp = int('REVOKD_LOGIN_FAILURES_PER_USER_AND_IP', 10, 1, 100_000);
  const canaryThreshold = int('REVOKD_CANARY_THRESHOLD', 1, 1, 1000);
  const rateLimits: RateLimitConfig = Object.freeze({
    loginPerMinute: int('REVOKD_RATE_LIMIT_LOGIN_PER_MINUTE', 60, 0, 1_000_000),
    refreshPerMinute: int('REVOKD_RATE_LIMIT_REFRESH_PER_MINUTE', 120, 0, 1_000_000),
    revokePerMinute: int('REVOKD_RATE_LIMIT_REVOKE_PER_MINUTE', 120, 0, 1_000_000),
    tokenCreatePerMinute: int('REVOKD_RATE_LIMIT_TOKEN_CREATE_PER_MINUTE', 30, 0, 1_000_000),
    bearerPerMinute: int('REVOKD_RATE_LIMIT_BEARER_PER_MINUTE', 600, 0, 1_000_000),
  });
  const redisPrefix = str('REVOKD_REDIS_PREFIX') ?? 'revokd:';
  if (redisPrefix.length > 64 || /[\s\u0000-\u001f\u007f]/.test(redisPrefix)) {
    problems.push(
      'REVOKD_REDIS_PREFIX must be at most 64 characters, without spaces or control characters',
    );
  }
  const metricsToken = str('REVOKD_METRICS_TOKEN');
  // Never echo the value: it is a credential.
  if (
    metricsToken !== undefined &&
    (metricsToken.length < 16 || !/^[\x21-\x7e]+$/.test(metricsToken))
  ) {
    problems.push(
      'REVOKD_METRICS_TOKEN must be at least 16 printable ASCII characters without spaces',
    );
  }

  const storeTimeoutMs = int('REVOKD_STORE_TIMEOUT_MS', 5_000, 0, 60_000);
  const http: HttpLimitsConfig = Object.freeze({
    requestTimeoutMs: int('REVOKD_REQUEST_TIMEOUT_MS', 30_000, 1_000, 600_000),
    headersTimeoutMs: int('REVOKD_HEADERS_TIMEOUT_MS', 10_000, 1_000, 600_000),
    keepAliveTimeoutMs: int('REVOKD_KEEP_ALIVE_TIMEOUT_MS', 5_000, 1_000, 600_000),
    maxConnections: int('REVOKD_MAX_CONNECTIONS', 1_024, 1, 1_000_000),
    shutdownGraceMs: int('REVOKD_SHUTDOWN_GRACE_MS', 3_000, 0, 60_000),
  });
  if (http.headersTimeoutMs > http.requestTimeoutMs) {
    problems.push(
      `REVOKD_HEADERS_TIMEOUT_MS (${http.headersTimeoutMs}) must not exceed REVOKD_REQUEST_TIMEOUT_MS (${http.requestTimeoutMs})`,
    );
  }
  const secret = str('REVOKD_SECRET');
  // Never echo the value: it is the root of the audit keys.
  if (secret !== undefined && Buffer.byteLength(secret, 'utf8') < 32)
    problems.push('REVOKD_SECRET must be at least 32 bytes long');
  if (secret === undefined && capabilities?.sharedAcrossHosts === true)
    problems.push(SECRET_REQUIRED_WITH_POSTGRES);
  const auditCheckpointIntervalMs = int(
    'REVOKD_AUDIT_CHECKPOINT_INTERVAL_MS',
    300_000,
    1000,
    86_400_000,
  );
  const stream: StreamConfig = Object.freeze({
    heartbeatMs: int('REVOKD_STREAM_HEARTBEAT_MS', 1_000, 100, 60_000),
    maxBufferBytes: int('REVOKD_STREAM_MAX_BUFFER_BYTES', 4_194_304, 65_536, 1_073_741_824),
    stallTimeoutMs: int('REVOKD_STREAM_STALL_TIMEOUT_MS', 30_000, 1_000, 600_000),
    maxPerClient: int('REVOKD_STREAM_MAX_PER_CLIENT', 16, 1, 10_000),
    // By default half the connection cap (at most 512): streams hold their connections, the other routes need the rest.
    maxTotal: int(
      'REVOKD_STREAM_MAX_TOTAL',
      Math.max(1, Math.min(512, Math.floor(http.maxConnections / 2))),
      1,
      1_000_000,
    ),
  });
  if (str('REVOKD_STREAM_MAX_TOTAL') !== undefined && stream.maxTotal >= http.maxConnections) {
    problems.push(
      `REVOKD_STREAM_MAX_TOTAL (${stream.maxTotal}) must be below REVOKD_MAX_CONNECTIONS (${http.maxConnections}): streams hold their connections, and the other routes need some`,
    );
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    port,
    host,
    dataDir,
    databaseUrl,
    redisUrl,
    issuer,
    audience,
    adminEmail,
    adminPassword,
    accessTtlSeconds,
    refreshTtlSeconds,
    sessionMaxSeconds,
    refreshGraceSeconds,
    clockToleranceSeconds,
    verifiedTokenCacheSize,
    trustedProxies: Object.freeze(trustedProxies),
    failMode,
    smtpUrl,
    mailFrom,
    mailPollMs,
    corsOrigins: Object.freeze([...new Set(corsOrigins)]),
    honeypotPaths: Object.freeze(honeypotPaths),
    honeypotThreshold,
    autoBlockSeconds,
    neverBlock: Object.freeze(neverBlock),
    autoBlocksPerHour,
    jwtAlg,
    jwtSecret,
    jwtPreviousSecret,
    maxStalenessMs,
    feedPollMs,
    feedWakeup,
    pruneIntervalMs,
    logLevel,
    apiTokenMaxPerUser: maxPerUser === 0 ? null : maxPerUser,
    apiTokenUnusedDays: unusedDays === 0 ? null : unusedDays,
    apiTokenUsageFlushMs,
    failedLoginsPerUserPerHour,
    failedLoginsPerIpPerHour,
    tokenRequestsPerUserPerHour,
    loginAttemptsPerUserAndIp,
    canaryThreshold,
    rateLimits,
    redisPrefix,
    metricsToken,
    storeTimeoutMs,
    http,
    secret,
    auditCheckpointIntervalMs,
    stream,
  });
}
