/**
 * A stream lasts no longer than what opened it: a stream opened with a bearer token ends when that
 * token expires or any revocation covers it; one opened with a secret a rotation replaced ends when
 * that secret's grace does; every stream ends when its client is disabled or revoked (a `client`
 * record for it — a rotation without grace makes one). The consumer reconnects with fresh
 * credentials and its Last-Event-ID, losing nothing.
 *
 * The credentials are checked before the stream starts listening for records, and a record can
 * land in between (the store reads of opening a stream): {@link staleCredentials} is asked once
 * more, synchronously before watchCredentials subscribes, so no record falls in the gap.
 */
import { RevokdError } from '../../core/errors.js';
import type { RevocationRecord } from '../../core/revocation/types.js';
import type { AppContext } from '../context.js';
import { type StreamClient, clientGenerationOf } from './authorize-stream-client.js';

/** Why the credentials the stream was authorized with no longer hold, or undefined while they do. */
export function staleCredentials(
  ctx: Pick<AppContext, 'replica' | 'now'>,
  who: StreamClient,
): RevokdError | undefined {
  if (
    who.token !== undefined &&
    (ctx.replica.state.check(who.token.stamp).revoked || who.token.expiresAtMs <= ctx.now())
  ) {
    return new RevokdError(
      'ERR_TOKEN_REVOKED',
      'the token was revoked while the stream was opening',
    );
  }
  if (
    who.clientGeneration !== undefined &&
    clientGenerationOf(ctx, who.client.id) !== who.clientGeneration
  ) {
    return new RevokdError(
      'ERR_INVALID_CLIENT',
      'the client was revoked, disabled or re-keyed while the stream was opening',
    );
  }
  if (who.secretEndsAtMs !== undefined && who.secretEndsAtMs <= ctx.now()) {
    return new RevokdError(
      'ERR_INVALID_CLIENT',
      'the secret stopped working while the stream was opening',
    );
  }
  return undefined;
}

/** Calls `end` once the credentials stop being good; returns the function that stops watching. */
export function watchCredentials(
  ctx: Pick<AppContext, 'replica' | 'now'>,
  who: StreamClient,
  end: () => void,
): () => void {
  const token = who.token;
  const stopListening = ctx.replica.onRecord((record: RevocationRecord) => {
    if (record.scope === 'client' && record.target === who.client.id) end();
    else if (token !== undefined && ctx.replica.state.check(token.stamp).revoked) end();
  });
  const endsAtMs = Math.min(
    token?.expiresAtMs ?? Number.POSITIVE_INFINITY,
    who.secretEndsAtMs ?? Number.POSITIVE_INFINITY,
  );
  const timer =
    endsAtMs === Number.POSITIVE_INFINITY
      ? undefined
      : setTimeout(end, Math.max(0, endsAtMs - ctx.now()));
  timer?.unref();
  return () => {
    stopListening();
    if (timer !== undefined) clearTimeout(timer);
  };
}
