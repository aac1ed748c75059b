/**
 * Signature and claims of an access token presented to this service, with the options every
 * caller shares (bearer routes, introspection, /oauth/revoke, the stream's bearer auth) and the
 * context's verified-token cache. Revocation is the caller's next step (the replica), never cached.
 */
import { type VerifiedAccessToken, verifyAccessToken } from '../core/tokens/access-token.js';
import { type AppContext, nowSeconds } from './context.js';

export function verifyPresentedAccessToken(
  ctx: Pick<AppContext, 'config' | 'keys' | 'now' | 'verifiedTokens'>,
  token: unknown,
): Promise<VerifiedAccessToken> {
  return verifyAccessToken(
    token,
    {
      issuer: ctx.config.issuer,
      audience: ctx.config.audience,
      clockToleranceSeconds: ctx.config.clockToleranceSeconds,
      maxLifetimeSeconds: ctx.config.accessTtlSeconds,
      nowSec: nowSeconds(ctx),
      resolveKey: (kid) => ctx.keys.resolve(kid),
    },
    ctx.verifiedTokens,
  );
}
