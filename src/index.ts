/**
 * `revokd` — the library surface (SPEC §7). Named exports only: everything a caller may rely on is
 * listed here; anything else under `src/` is internal and may change.
 *
 * @example
 * import { openRevokd, isRevokdError } from 'revokd';
 *
 * const revokd = await openRevokd(); // reads REVOKD_DATA_DIR / REVOKD_DATABASE_URL from process.env
 * const who = await revokd.verifyApiToken('rvk_…');
 * revokd.onApiTokenRevoked((tokenId) => { if (tokenId === who.tokenId) hangUp(); });
 */

/**
 * Opens revokd as a library over the server's store: API-token verification and revocation events.
 *
 * @example
 * const revokd = await openRevokd({ env: { REVOKD_DATA_DIR: '/var/lib/revokd' } });
 * const { email, scopes } = await revokd.verifyApiToken(token, { ip: '203.0.113.7' });
 * await revokd.close();
 */
export { openRevokd } from './library/open-revokd.js';

/**
 * The handle {@link openRevokd} returns, its options, and what a verified token resolves to.
 *
 * @example
 * import type { Revokd, VerifiedApiToken } from 'revokd';
 * const sessions = new Map<string, VerifiedApiToken>();
 * function watch(revokd: Revokd) { revokd.onApiTokenRevoked((id) => sessions.delete(id)); }
 */
export type {
  OpenRevokdOptions,
  Revokd,
  VerifiedApiToken,
  VerifyApiTokenOptions,
} from './library/open-revokd.js';

/**
 * The coded error every revokd failure is reported as: `code` is stable (see `docs/errors.md`),
 * `status` the HTTP status it maps to, `message` is for people.
 *
 * @example
 * try { await revokd.verifyApiToken(token); }
 * catch (err) { if (err instanceof RevokdError && err.code === 'ERR_TOKEN_REVOKED') reply('revoked'); }
 */
export { RevokdError } from './core/errors.js';

/**
 * Type guard for {@link RevokdError}.
 *
 * @example
 * catch (err) { if (isRevokdError(err) && err.status === 401) socket.end('ERR unauthorized\n'); else throw err; }
 */
export { isRevokdError } from './core/errors.js';

/**
 * The stable error codes (`ERR_INVALID_TOKEN`, `ERR_TOKEN_REVOKED`, `ERR_TOKEN_EXPIRED`, …).
 *
 * @example
 * import type { ErrorCode } from 'revokd';
 * const retryable: ErrorCode[] = ['ERR_STORE_UNAVAILABLE', 'ERR_RATE_LIMITED'];
 */
export type { ErrorCode } from './core/errors.js';

/**
 * Reads and validates revokd's configuration from an environment (default `process.env`);
 * throws one {@link ConfigError} listing every problem. The result is frozen.
 *
 * @example
 * const config = loadConfig({ REVOKD_DATA_DIR: '/var/lib/revokd' });
 * console.error(config.databaseUrl); // sqlite:/var/lib/revokd/revokd.db
 */
export { loadConfig } from './core/config.js';

/**
 * Thrown by {@link loadConfig} (and {@link openRevokd}) for an invalid environment; `problems`
 * lists each one.
 *
 * @example
 * try { loadConfig(env); } catch (err) { if (err instanceof ConfigError) err.problems.forEach((p) => console.error(p)); }
 */
export { ConfigError } from './core/config.js';

/**
 * The validated configuration {@link loadConfig} returns.
 *
 * @example
 * import type { Config } from 'revokd';
 * const pollMs = (config: Config) => config.feedPollMs;
 */
export type { Config } from './core/config.js';
