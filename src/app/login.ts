/**
 * Password login: every failure (unknown email, wrong password, disabled user) gets the same answer
 * after the same work — a password hash is always verified — so neither the body nor the timing
 * tells which it was. The session is created only if, in that commit, the user is still enabled and
 * the hash is still the one verified (SPEC §5.2 "Remedies are final").
 */
import { RevokdError, isRevokdError } from '../core/errors.js';
import { DUMMY_PASSWORD_HASH, MAX_PASSWORD_BYTES, verifyPassword } from '../core/passwords.js';
import { REFRESH_PREFIX, newId, newOpaqueToken, sha256Hex } from '../core/tokens/opaque.js';
import { FIRST_PARTY_CLIENT_ID } from './clients.js';
import type { AppContext } from './context.js';
import { DIRECT } from '../core/events.js';
import { recordFailedPassword, refuseIfTooManyFailures } from './password-attempts.js';
import { issueAccessToken } from './issue-access-token.js';
import type { TokenResponse } from './token-response.js';
import type { Generations } from '../stores/types.js';

export interface LoginInput {
  readonly email: unknown;
  readonly password: unknown;
  readonly ip: string;
  readonly userAgent: string;
}

export async function login(
  ctx: AppContext,
  input: LoginInput,
): Promise<TokenResponse & { user_id: string }> {
  const email =
    typeof input.email === 'string' && input.email.length <= 254 ? input.email : undefined;
  const password =
    typeof input.password === 'string' && Buffer.byteLength(input.password) <= MAX_PASSWORD_BYTES
      ? input.password
      : undefined;
  if (email === undefined || password === undefined)
    throw new RevokdError('ERR_VALIDATION', 'email and password are required strings');

  // Brute force: after too many failures for this email from this address, refuse without checking.
  await refuseIfTooManyFailures(ctx, email, input.ip);
  const user = await ctx.stores.records.findUserByEmail(email);
  if (user?.isDecoy === true)
    ctx.events.emit('deception_hit', {
      kind: 'decoy',
      ip: input.ip,
      detail: `login as decoy ${email}`,
      via: DIRECT,
    });
  const passwordOk = await verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
  if (user === undefined || !passwordOk || user.disabledAtMs !== null || user.isDecoy === true) {
    await recordFailedPassword(ctx, {
      email,
      userId: user?.id ?? null,
      ip: input.ip,
      reason:
        user === undefined
          ? 'unknown_email'
          : user.disabledAtMs !== null
            ? 'disabled'
            : 'wrong_password',
    });
    // A decoy login blocks its source: let that land before answering, as for canaries.
    if (user?.isDecoy === true) await ctx.security.monitor.settled();
    throw new RevokdError('ERR_INVALID_CREDENTIALS', 'invalid email or password');
  }

  const nowMs = ctx.now();
  const sessionId = newId();
  const refreshToken = newOpaqueToken(REFRESH_PREFIX);
  const sessionEnd = nowMs + ctx.config.sessionMaxSeconds * 1000;
  const refreshEnd = Math.min(nowMs + ctx.config.refreshTtlSeconds * 1000, sessionEnd);
  let generations: Generations;
  try {
    generations = await ctx.stores.records.createSession({
      session: {
        id: sessionId,
        userId: user.id,
        clientId: FIRST_PARTY_CLIENT_ID,
        createdAtMs: nowMs,
        expiresAtMs: sessionEnd,
        ip: input.ip,
        userAgent: input.userAgent.slice(0, 512),
        scope: '',
      },
      refresh: {
        id: newId(),
        tokenHash: sha256Hex(refreshToken),
        createdAtMs: nowMs,
        expiresAtMs: refreshEnd,
      },
      audit: {
        type: 'user.logged_in',
        actorType: 'user',
        actorId: user.id,
        targetType: 'session',
        targetId: sessionId,
        ip: input.ip,
        details: {},
      },
      // The password check above is slow: a disable, reset or change that commits meanwhile must
      // win, so the store re-checks what was verified in the commit that creates the session.
      ifUserUnchanged: { passwordHash: user.passwordHash },
    });
  } catch (err) {
    // Not a failed guess (the password was right a moment ago), so not counted as one: just the same answer.
    if (isRevokdError(err) && err.code === 'ERR_CONFLICT')
      throw new RevokdError('ERR_INVALID_CREDENTIALS', 'invalid email or password');
    throw err;
  }
  const access = await issueAccessToken(ctx, {
    sub: user.id,
    sid: sessionId,
    clientId: FIRST_PARTY_CLIENT_ID,
    scope: '',
    generations,
    passwordChangeRequired: user.mustChangePassword === true,
  });
  ctx.events.emit('login_succeeded', { userId: user.id, ip: input.ip });
  ctx.events.emit('token_issued', { subject: user.id, kind: 'login', ip: input.ip });
  return {
    access_token: access.token,
    refresh_token: refreshToken,
    token_type: 'Bearer',
    expires_in: ctx.config.accessTtlSeconds,
    refresh_expires_in: Math.floor((refreshEnd - nowMs) / 1000),
    session_id: sessionId,
    user_id: user.id,
  };
}
