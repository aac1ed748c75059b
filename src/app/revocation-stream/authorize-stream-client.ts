/**
 * Who may open the push stream: an enabled confidential client holding the scope
 * `revocations:read`, authenticated either with HTTP Basic client credentials (RFC 6749 §2.3.1, as
 * at /oauth/introspect) or with a bearer access token it obtained from the client_credentials grant
 * (RFC 6750), whose `scope` claim must carry the scope too.
 *
 * Failures: no or unusable credentials → 401 with a `Basic` challenge (ERR_INVALID_CLIENT); a bad,
 * expired or revoked bearer token → 401 with `Bearer error="invalid_token"`; a client without the
 * scope, a token without it in its claim, a user's access token or an API token → 403
 * `insufficient_scope` (RFC 6750 §3.1).
 */
import type { AppContext } from '../context.js';
import { authenticateClient, type ClientCredentials } from '../clients.js';
import { authenticateAccessToken } from '../authenticate-access-token.js';
import { RevokdError } from '../../core/errors.js';
import { API_TOKEN_PREFIX } from '../../core/tokens/api-token.js';
import type { TokenStamp } from '../../core/revocation/types.js';
import type { ClientRecord } from '../../stores/types.js';

/** Who the stream is for, and the token it was opened with (bearer only: the stream ends with it). */
export interface StreamClient {
  readonly client: ClientRecord;
  readonly token?: { readonly stamp: TokenStamp; readonly expiresAtMs: number };
  /**
   * HTTP Basic only: the client's revocation generation in this instance's replica before its
   * secret was checked. A client revocation (rotation, disable) that lands while the stream is
   * being opened raises it, and the stream is then refused (credential-watch.ts). A bearer
   * stream has its token's stamp for that.
   */
  readonly clientGeneration?: number;
  /** Opened with a secret a rotation replaced: when its grace ends, and the stream with it. */
  readonly secretEndsAtMs?: number;
}

export const STREAM_SCOPE = 'revocations:read';

/** How the request presented itself (read from the Authorization header by the route). */
export type StreamCredentials =
  | { readonly kind: 'basic'; readonly credentials: ClientCredentials }
  | { readonly kind: 'bearer'; readonly token: string }
  | { readonly kind: 'none' };

/** The client's revocation generation as this instance's replica knows it now. */
export function clientGenerationOf(ctx: Pick<AppContext, 'replica'>, clientId: string): number {
  return ctx.replica.state.generations(clientId, clientId).cgen;
}

function insufficientScope(message: string): RevokdError {
  return new RevokdError('ERR_FORBIDDEN', message);
}

/** The client the stream is for; throws the 401/403 described in the module comment. */
export async function authorizeStreamClient(
  ctx: AppContext,
  presented: StreamCredentials,
  ip: string,
): Promise<StreamClient> {
  switch (presented.kind) {
    case 'none':
      throw new RevokdError(
        'ERR_INVALID_CLIENT',
        'client credentials are required (HTTP Basic, or a client_credentials bearer token)',
      );
    case 'basic': {
      // Read before the secret check (synchronously, before any store read): see StreamClient.
      const clientGeneration = clientGenerationOf(ctx, presented.credentials.clientId ?? '');
      const client = await authenticateClient(ctx, presented.credentials);
      // A public client has no secret: anyone could name it.
      if (client.secretHash === null)
        throw new RevokdError('ERR_INVALID_CLIENT', 'the stream needs a confidential client');
      if (!client.scopes.includes(STREAM_SCOPE))
        throw insufficientScope(`the client does not have the scope ${STREAM_SCOPE}`);
      return {
        client,
        clientGeneration,
        ...(client.secretEndsAtMs === null ? {} : { secretEndsAtMs: client.secretEndsAtMs }),
      };
    }
    case 'bearer': {
      if (presented.token.startsWith(API_TOKEN_PREFIX))
        throw insufficientScope('an API token acts for a user; the stream needs a client');
      const verified = await authenticateAccessToken(ctx, presented.token, ip);
      const { sub, client_id: clientId, scope } = verified.claims;
      // clientCredentialsGrant issues tokens whose subject is the client itself; a user's token is not one.
      if (sub !== clientId)
        throw insufficientScope(
          "a user's access token cannot open the stream; use the client_credentials grant",
        );
      if (!scope.split(' ').includes(STREAM_SCOPE))
        throw insufficientScope(`the token's scope does not include ${STREAM_SCOPE}`);
      const client = await ctx.stores.records.findClient(clientId);
      // Disabling a client revokes its tokens too (client generation); this also covers a token
      // checked in the instant before that revocation reached this instance.
      if (client === undefined || client.disabledAtMs !== null)
        throw new RevokdError('ERR_TOKEN_REVOKED', 'the client is disabled');
      if (!client.scopes.includes(STREAM_SCOPE))
        throw insufficientScope(`the client does not have the scope ${STREAM_SCOPE}`);
      return { client, token: { stamp: verified.stamp, expiresAtMs: verified.claims.exp * 1000 } };
    }
  }
}
