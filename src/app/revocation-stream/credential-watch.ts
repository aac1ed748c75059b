/**
 * A stream lasts no longer than what opened it: a stream opened with a bearer token ends when that
 * token expires or any revocation covers it; every stream ends when its client is disabled or
 * revoked (a `client` record for it). The consumer reconnects with fresh credentials and its
 * Last-Event-ID, losing nothing.
 */
import type { RevocationRecord } from '../../core/revocation/types.js';
import type { AppContext } from '../context.js';
import type { StreamClient } from './authorize-stream-client.js';

/** Calls `end` once the credentials stop being good; returns the function that stops watching. */
export function watchCredentials(ctx: Pick<AppContext, 'replica' | 'now'>, who: StreamClient, end: () => void): () => void {
  const token = who.token;
  const stopListening = ctx.replica.onRecord((record: RevocationRecord) => {
    if (record.scope === 'client' && record.target === who.client.id) end();
    else if (token !== undefined && ctx.replica.state.check(token.stamp).revoked) end();
  });
  const timer = token === undefined ? undefined : setTimeout(end, Math.max(0, token.expiresAtMs - ctx.now()));
  timer?.unref();
  return () => {
    stopListening();
    if (timer !== undefined) clearTimeout(timer);
  };
}
