/** Mints an access token for a session, stamped with the generations the store handed out. */
import { RevokdError } from '../core/errors.js';
import { signAccessToken } from '../core/tokens/access-token.js';
import { newId } from '../core/tokens/opaque.js';
import type { Generations } from '../stores/types.js';
import { type AppContext, nowSeconds } from './context.js';

export interface IssuedAccessToken {
  readonly token: string;
  readonly jti: string;
  readonly iat: number;
  readonly exp: number;
}

export async function issueAccessToken(
  ctx: AppContext,
  subject: {
    sub: string;
    sid: string;
    clientId: string;
    scope: string;
    generations: Generations;
    /** The user must still replace a password they did not choose: the token says so (AccessClaims). */
    passwordChangeRequired?: boolean;
  },
  /** The token expires no later than this (seconds): what it was obtained with stops working then. */
  notAfterSec?: number,
): Promise<IssuedAccessToken> {
  const signing = ctx.keys.current.signing;
  if (signing === undefined) {
    throw new RevokdError(
      'ERR_STORE_UNAVAILABLE',
      'no usable signing key: the current one has been revoked; configure a new one',
      { retryAfterSeconds: 60 },
    );
  }
  const iat = nowSeconds(ctx);
  const exp = Math.min(iat + ctx.config.accessTtlSeconds, notAfterSec ?? Number.POSITIVE_INFINITY);
  const jti = newId();
  const token = await signAccessToken(
    {
      iss: ctx.config.issuer,
      sub: subject.sub,
      aud: ctx.config.audience,
      iat,
      exp,
      jti,
      sid: subject.sid,
      // Only the three counters: callers may pass a larger record (e.g. a refresh-token row).
      client_id: subject.clientId,
      scope: subject.scope,
      gen: subject.generations.gen,
      ugen: subject.generations.ugen,
      cgen: subject.generations.cgen,
      ...(subject.passwordChangeRequired === true
        ? { password_change_required: true as const }
        : {}),
    },
    signing,
  );
  return { token, jti, iat, exp };
}
