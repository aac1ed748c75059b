/**
 * Setting a password after creation: the user's own change (current password required) and an
 * admin's reset. Both pass the strength check, then store the new hash with its audit entry, the
 * owner's email and ONE user-scope revocation (a generation bump) in one commit — no gap between
 * the new hash and the end of what the old one opened, for a login in flight (which re-checks the
 * hash in its own commit), a refresh, another instance or a crash:
 *  - a change (`password_change`) ends every session of the user but the one it was made from,
 *    which the bump kills too and which is therefore re-issued in that commit: the changer gets a
 *    new access and refresh token for the same session;
 *  - a reset (`password_reset`) ends them all: whoever held them is out.
 * API tokens are separate, explicitly created credentials and are not touched by either.
 */
import { RevokdError } from '../core/errors.js';
import { MAX_PASSWORD_BYTES, hashPassword, verifyPassword } from '../core/passwords.js';
import { assertStrongPassword } from '../core/password-policy.js';
import { passwordChangedMessage } from '../mail/password-changed-message.js';
import type { Actor } from '../stores/types.js';
import type { AppContext } from './context.js';
import { forgetInitialAdminPassword } from './first-run-admin.js';
import { recordFailedPassword, refuseIfTooManyFailures } from './password-attempts.js';
import { revocationCommitted, revocationContext } from './revoke.js';
import { issueAccessToken } from './issue-access-token.js';
import type { TokenResponse } from './token-response.js';
import { REFRESH_PREFIX, newId, newOpaqueToken, sha256Hex } from '../core/tokens/opaque.js';
import { validateNewPassword } from './users.js';

export interface PasswordChangeInput {
  readonly userId: string;
  /** The session the change is made from: the one that survives. */
  readonly sessionId: string;
  readonly currentPassword: unknown;
  readonly newPassword: unknown;
  readonly ip: string;
}

/** Strength and shape of a new password, with the field name in the message. */
async function acceptableNewPassword(
  value: unknown,
  email: string,
  field: string,
): Promise<string> {
  let password: string;
  try {
    password = validateNewPassword(value);
  } catch (err) {
    throw err instanceof RevokdError
      ? new RevokdError(err.code, err.message.replace(/^password/, field))
      : err;
  }
  await assertStrongPassword(password, email, field);
  return password;
}

/** What the owner's change answers: how many other sessions ended, and the kept session's new tokens. */
export interface PasswordChanged {
  readonly otherSessionsRevoked: number;
  /** The session the change was made from, re-issued: its old access and refresh tokens are dead like every other. */
  readonly tokens: TokenResponse;
}

export async function changeOwnPassword(
  ctx: AppContext,
  input: PasswordChangeInput,
): Promise<PasswordChanged> {
  if (
    typeof input.currentPassword !== 'string' ||
    input.currentPassword === '' ||
    Buffer.byteLength(input.currentPassword) > MAX_PASSWORD_BYTES
  ) {
    throw new RevokdError(
      'ERR_VALIDATION',
      'current_password is required (a string of at most 1024 bytes)',
    );
  }
  if (input.newPassword === undefined)
    throw new RevokdError('ERR_VALIDATION', 'new_password is required');
  const user = await ctx.stores.records.findUserById(input.userId);
  if (user === undefined || user.disabledAtMs !== null)
    throw new RevokdError('ERR_TOKEN_REVOKED', 'user is disabled');
  // The current password is checked first, and counted like a sign-in: a stolen access token must
  // not become an unlimited password oracle (per-(email, address) limit, brute-force detectors).
  await refuseIfTooManyFailures(ctx, user.email, input.ip);
  if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
    await recordFailedPassword(ctx, {
      email: user.email,
      userId: user.id,
      ip: input.ip,
      reason: 'wrong_current_password',
      actorId: user.id,
    });
    throw new RevokdError('ERR_INVALID_CREDENTIALS', 'current_password is wrong');
  }
  const newPassword = await acceptableNewPassword(input.newPassword, user.email, 'new_password');
  if (newPassword === input.currentPassword)
    throw new RevokdError('ERR_VALIDATION', 'new_password must differ from the current password');
  const passwordHash = await hashPassword(newPassword);
  const nowMs = ctx.now();
  const request = {
    initiator: 'user' as const,
    reason: 'password_change' as const,
    actor: { type: 'user' as const, id: user.id },
    ip: input.ip,
  };
  const refreshToken = newOpaqueToken(REFRESH_PREFIX);
  const changed = await ctx.stores.records.setUserPassword(
    user.id,
    {
      passwordHash,
      mustChangePassword: false,
      nowMs,
      ifPasswordHash: user.passwordHash,
      endSessions: {
        context: revocationContext(ctx, request, nowMs),
        keep: {
          sessionId: input.sessionId,
          refresh: {
            id: newId(),
            tokenHash: sha256Hex(refreshToken),
            createdAtMs: nowMs,
            expiresAtMs: nowMs + ctx.config.refreshTtlSeconds * 1000,
          },
        },
      },
    },
    {
      type: 'user.password_changed',
      actorType: 'user',
      actorId: user.id,
      initiator: 'user',
      reason: 'password_change',
      targetType: 'user',
      targetId: user.id,
      ip: input.ip,
      details: {},
    },
    passwordChangedMessage(user, { kind: 'changed', atMs: nowMs, ip: input.ip }),
  );
  // Another change from the same old password landed first: this one verified a password that is gone.
  if (changed === undefined)
    throw new RevokdError(
      'ERR_CONFLICT',
      'the password was changed meanwhile; nothing was changed by this request',
    );
  if (user.mustChangePassword === true) forgetInitialAdminPassword(ctx, user.email);
  const { revocation, kept } = changed;
  if (revocation !== null) revocationCommitted(ctx, 'user', request, revocation);
  if (kept === null) throw new Error('the store did not re-issue the kept session');
  const access = await issueAccessToken(ctx, {
    sub: user.id,
    sid: kept.session.id,
    clientId: kept.session.clientId,
    scope: kept.session.scope,
    generations: kept.refresh,
  });
  return {
    otherSessionsRevoked: revocation?.sessions ?? 0,
    tokens: {
      access_token: access.token,
      refresh_token: refreshToken,
      token_type: 'Bearer',
      expires_in: ctx.config.accessTtlSeconds,
      refresh_expires_in: Math.max(0, Math.floor((kept.refresh.expiresAtMs - nowMs) / 1000)),
      session_id: kept.session.id,
    },
  };
}

/** An admin (API) or the operator (CLI) sets a user's password; every session of the user ends. */
export async function resetPassword(
  ctx: AppContext,
  userId: string,
  newPassword: unknown,
  actor: Actor,
  ip?: string,
): Promise<{ sessionsRevoked: number }> {
  const user = await ctx.stores.records.findUserById(userId);
  if (user === undefined) throw new RevokdError('ERR_NOT_FOUND', 'no such user');
  const password = await acceptableNewPassword(newPassword, user.email, 'new_password');
  const passwordHash = await hashPassword(password);
  const nowMs = ctx.now();
  const initiator = actor.type === 'system' ? ('system' as const) : ('admin' as const);
  const request = { initiator, reason: 'password_reset' as const, actor, ip };
  const changed = await ctx.stores.records.setUserPassword(
    user.id,
    {
      passwordHash,
      mustChangePassword: false,
      nowMs,
      endSessions: { context: revocationContext(ctx, request, nowMs) },
    },
    {
      type: 'user.password_reset',
      actorType: actor.type,
      actorId: actor.id,
      initiator,
      reason: 'password_reset',
      targetType: 'user',
      targetId: user.id,
      ip: ip ?? null,
      details: {},
    },
    passwordChangedMessage(user, { kind: 'reset', atMs: nowMs }),
  );
  if (changed === undefined) throw new RevokdError('ERR_NOT_FOUND', 'no such user');
  // The generated first-run password (if this was that admin) no longer works: its file goes.
  forgetInitialAdminPassword(ctx, user.email);
  if (changed.revocation !== null) revocationCommitted(ctx, 'user', request, changed.revocation);
  return { sessionsRevoked: changed.revocation?.sessions ?? 0 };
}
