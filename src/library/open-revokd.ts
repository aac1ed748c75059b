/**
 * The library entry point for services that are not HTTP (a TCP server, a job runner): open the
 * same store the revokd server uses, authenticate API tokens, and hear about revocations as they
 * reach the change feed — so a long-lived connection can be dropped when its token is revoked.
 *
 * Only what verification needs is opened: the store, the revocation replica (snapshot + change
 * feed) and the batched last-use recorder. Unlike the server, opening the library never writes
 * bootstrap state (no admin, no first-party client, no signing keys): a library process pointed at
 * the server's database must not, for instance, rotate the server's signing key because its own
 * `REVOKD_JWT_ALG` or data directory differs.
 *
 * This module is what `import 'revokd'` loads: the types, and a façade that reads the
 * configuration and only then loads the implementation (revokd-handle.ts) — so importing the
 * package loads no database driver, no logger and no metrics, and opening it loads the driver of
 * the backend its URL names (stores/open-store.ts) and never the server's app context.
 */
import { loadConfig } from '../core/config.js';

/** Options for {@link openRevokd}. */
export interface OpenRevokdOptions {
  /**
   * The environment to read the configuration from (default `process.env`). Use the same
   * `REVOKD_DATA_DIR` / `REVOKD_DATABASE_URL` as the revokd server to share its data.
   */
  readonly env?: Record<string, string | undefined>;
}

/** Options for {@link Revokd.verifyApiToken}. */
export interface VerifyApiTokenOptions {
  /** The client's address, recorded as the token's last-use IP (`unknown` when omitted). */
  readonly ip?: string;
}

/** Who an accepted API token belongs to, and what it may do. */
export interface VerifiedApiToken {
  /** The token's id (a UUID): what {@link Revokd.onApiTokenRevoked} reports. */
  readonly tokenId: string;
  /** The owner's id: what {@link Revokd.onUserRevoked} reports. */
  readonly userId: string;
  readonly email: string;
  readonly scopes: readonly string[];
  /** The name the owner gave the token. */
  readonly name: string;
  /** When the token expires, or null if it lives until revoked. */
  readonly expiresAt: Date | null;
}

/** An open revokd library handle; see {@link openRevokd}. */
export interface Revokd {
  /**
   * Authenticates an API token (`rvk_…`): checksum first (no database work for a mistyped or
   * invented token), then the hash lookup, revocation, expiry and the owner's status. A token
   * presented after its revocation is recorded in the audit log, as over HTTP.
   *
   * @throws {RevokdError} `ERR_INVALID_TOKEN` (malformed or unknown), `ERR_TOKEN_REVOKED` (revoked,
   *   or its owner is disabled), `ERR_TOKEN_EXPIRED`, or `ERR_STORE_UNAVAILABLE`.
   * @example
   * const { email, scopes } = await revokd.verifyApiToken(token, { ip: socket.remoteAddress });
   */
  verifyApiToken(token: string, options?: VerifyApiTokenOptions): Promise<VerifiedApiToken>;

  /**
   * Re-checks a token that was already verified (by its id), for long-lived connections: throws
   * exactly when {@link Revokd.verifyApiToken} would now reject it (`ERR_TOKEN_REVOKED`,
   * `ERR_TOKEN_EXPIRED`, `ERR_INVALID_TOKEN` if it no longer exists, `ERR_STORE_UNAVAILABLE`). It is
   * not a new presentation of the token: it records neither a use nor a "used after revoke" event.
   *
   * @example
   * try { await revokd.recheckApiToken(conn.tokenId); } catch (err) { if (isRevokdError(err) && err.status === 401) conn.drop(); }
   */
  recheckApiToken(tokenId: string): Promise<void>;

  /**
   * Calls `listener` with the id of every API token revoked from now on, in this process or any
   * other sharing the store (through the change feed, within `REVOKD_FEED_POLL_MS`). Disabling a
   * user revokes each of their API tokens, so it is reported here too. Returns the unsubscribe
   * function.
   *
   * @example
   * const stop = revokd.onApiTokenRevoked((tokenId) => connectionsByToken.get(tokenId)?.forEach((c) => c.destroy()));
   */
  onApiTokenRevoked(listener: (tokenId: string) => void): () => void;

  /**
   * Calls `listener` with the user id of every user-scope revocation from now on (an admin revoking
   * a user, "log out everywhere", disabling a user). A user-scope revocation ends that user's
   * sessions and access tokens; whether their API tokens remain valid is what
   * {@link Revokd.recheckApiToken} answers (a disabled user's tokens are rejected). Returns the
   * unsubscribe function.
   *
   * @example
   * revokd.onUserRevoked((userId) => recheckConnectionsOf(userId));
   */
  onUserRevoked(listener: (userId: string) => void): () => void;

  /**
   * Stops following the feed, writes pending last-use times and closes the store. Idempotent.
   *
   * @example
   * process.once('SIGTERM', () => void revokd.close());
   */
  close(): Promise<void>;
}

/**
 * Opens revokd as a library: reads the configuration from `options.env` (default `process.env`),
 * opens (and migrates) the store the server uses, loads the revocation snapshot and follows the
 * change feed. Logs only warnings, to stderr; never to stdout.
 *
 * @throws {ConfigError} when the environment is invalid (every problem listed at once).
 * @example
 * import { openRevokd, isRevokdError } from 'revokd';
 *
 * const revokd = await openRevokd({ env: { ...process.env, REVOKD_DATA_DIR: '/var/lib/revokd' } });
 * try {
 *   const who = await revokd.verifyApiToken(presented, { ip: '203.0.113.7' });
 *   console.error(`${who.email} connected with token ${who.tokenId}`);
 * } catch (err) {
 *   if (isRevokdError(err)) console.error(err.code); // ERR_INVALID_TOKEN, ERR_TOKEN_REVOKED, …
 * } finally {
 *   await revokd.close();
 * }
 */
export async function openRevokd(options: OpenRevokdOptions = {}): Promise<Revokd> {
  const config = loadConfig(options.env ?? process.env);
  const { openRevokdHandle } = await import('./revokd-handle.js');
  return openRevokdHandle(config);
}
