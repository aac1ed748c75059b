/**
 * What {@link openRevokd} opens (see open-revokd.ts for the contract): the store, the revocation
 * replica, the batched last-use recorder and the replay audit — loaded only when a library user
 * opens revokd, never by `import 'revokd'` alone.
 */
import pino, { type Logger } from 'pino';
import {
  type ApiTokenContext,
  checkApiTokenStanding,
  verifyApiToken as verifyApiTokenInContext,
} from '../app/api-tokens/verify-api-token.js';
import { openConfiguredStore } from '../app/open-configured-store.js';
import { REDACTED_LOG_PATHS } from '../app/redacted-log-paths.js';
import type { Config } from '../core/config.js';
import { RevokdError } from '../core/errors.js';
import type { RevocationReplica } from '../replica/revocation-replica.js';
import { createConfiguredReplica } from '../app/configured-replica.js';
import { EventBus } from '../core/events.js';
import { ApiTokenUsageRecorder } from '../app/api-tokens/usage-recorder.js';
import type { RevokdStore } from '../stores/types.js';
import { ReplayAuditLog } from '../app/security/replay-audit.js';
import type { Revokd } from './open-revokd.js';

/** Opens the library handle over the store `config` names (already validated by the façade). */
export async function openRevokdHandle(config: Config): Promise<Revokd> {
  const log = libraryLogger(config);
  const store = await openConfiguredStore(config);
  const replica = await createConfiguredReplica(config, store, log);
  try {
    await replica.start();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  const apiTokenUsage = new ApiTokenUsageRecorder(store, log);
  apiTokenUsage.start(config.apiTokenUsageFlushMs);
  const ctx = libraryContext(store, replica, apiTokenUsage, log);
  // No detectors run in a library process, but a revoked API token presented here is still audited
  // (coalesced, like the server's: app/security/replay-audit.ts).
  const replays = new ReplayAuditLog(store, log);
  replays.start();
  ctx.events.on('revoked_token_used', (e) => {
    replays.record(`${e.kind}:${e.tokenId}`, e.audit, Date.now());
  });
  let closing: Promise<void> | undefined;

  const subscribe = (scope: 'api_token' | 'user', listener: (id: string) => void): (() => void) =>
    replica.onRecord((record) => {
      if (record.scope === scope) listener(record.target);
    });

  return {
    async verifyApiToken(token, verifyOptions = {}) {
      const { token: record, user } = await verifyApiTokenInContext(
        ctx,
        token,
        verifyOptions.ip ?? null,
      );
      return {
        tokenId: record.id,
        userId: user.id,
        email: user.email,
        scopes: [...record.scopes],
        name: record.name,
        expiresAt: record.expiresAtMs === null ? null : new Date(record.expiresAtMs),
      };
    },
    async recheckApiToken(tokenId) {
      const token = await store.findApiTokenById(tokenId);
      if (token === undefined) throw new RevokdError('ERR_INVALID_TOKEN', 'unknown API token');
      await checkApiTokenStanding(ctx, token);
    },
    onApiTokenRevoked: (listener) => subscribe('api_token', listener),
    onUserRevoked: (listener) => subscribe('user', listener),
    close() {
      closing ??= (async () => {
        await replica.stop();
        await replays.stop();
        await apiTokenUsage.stop();
        await store.close();
      })();
      return closing;
    },
  };
}

/** Warnings and worse, to stderr: a library must not write to its host's stdout. */
function libraryLogger(config: Config): Logger {
  const quieter = ['error', 'fatal', 'silent'].includes(config.logLevel);
  return pino(
    {
      level: quieter ? config.logLevel : 'warn',
      redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
    },
    pino.destination(2),
  );
}

function libraryContext(
  store: RevokdStore,
  replica: RevocationReplica,
  apiTokenUsage: ApiTokenUsageRecorder,
  log: Logger,
): ApiTokenContext {
  return {
    stores: { records: store },
    replica,
    apiTokenUsage,
    log,
    now: Date.now,
    events: new EventBus(log),
  };
}
