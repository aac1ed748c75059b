/**
 * Setting a password after creation: the user's own change (current password required) and an
 * admin's reset. Both pass the strength check, store the new hash with its audit entry and the
 * owner's email in one commit, then revoke sessions:
 *  - a change revokes every OTHER session of the user (`password_change`), one by one by session
 *    scope, so the session that made the change keeps its access and refresh tokens;
 *  - a reset revokes them all (user scope, `password_reset`): whoever held them is out.
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
import { revoke } from './revoke.js';
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
async function acceptableNewPassword(value: unknown, email: string, field: string): Promise<string> {
  let password: string;
  try {
    password = validateNewPassword(value);
  } catch (err) {
    throw err instanceof RevokdError ? new RevokdError(err.code, err.message.replace(/^password/, field)) : err;
  }
  await assertStrongPassword(password, email, field);
  return password;
}

export async function changeOwnPassword(ctx: AppContext, input: PasswordChangeInput): Promise<{ otherSessionsRevoked: number }> {
  if (typeof input.currentPassword !== 'string' || input.currentPassword === '' || Buffer.byteLength(input.currentPassword) > MAX_PASSWORD_BYTES) {
    throw new RevokdError('ERR_VALIDATION', 'current_password is required (a string of at most 1024 bytes)');
  }
  if (input.newPassword === undefined) throw new RevokdError('ERR_VALIDATION', 'new_password is required');
  const user = await ctx.store.findUserById(input.userId);
  if (user === undefined || user.disabledAtMs !== null) throw new RevokdError('ERR_TOKEN_REVOKED', 'user is disabled');
  // The current password is checked first, and counted like a sign-in: a stolen access token must
  // not become an unlimited password oracle (per-(email, address) limit, brute-force detectors).
  await refuseIfTooManyFailures(ctx, user.email, input.ip);
  if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
    await recordFailedPassword(ctx, { email: user.email, userId: user.id, ip: input.ip, reason: 'wrong_current_password', actorId: user.id });
    throw new RevokdError('ERR_INVALID_CREDENTIALS', 'current_password is wrong');
  }
  const newPassword = await acceptableNewPassword(input.newPassword, user.email, 'new_password');
  if (newPassword === input.currentPassword) throw new RevokdError('ERR_VALIDATION', 'new_password must differ from the current password');
  const nowMs = ctx.now();
  const changed = await ctx.store.setUserPassword(user.id, {
    passwordHash: await hashPassword(newPassword), mustChangePassword: false, nowMs, ifPasswordHash: user.passwordHash,
  }, {
    type: 'user.password_changed', actorType: 'user', actorId: user.id, initiator: 'user', reason: 'password_change',
    targetType: 'user', targetId: user.id, ip: input.ip, details: {},
  }, passwordChangedMessage(user, { kind: 'changed', atMs: nowMs, ip: input.ip }));
  // Another change from the same old password landed first: this one verified a password that is gone.
  if (!changed) throw new RevokdError('ERR_CONFLICT', 'the password was changed meanwhile; nothing was changed by this request');
  if (user.mustChangePassword === true) forgetInitialAdminPassword(ctx, user.email);
  const request = { initiator: 'user' as const, reason: 'password_change' as const, actor: { type: 'user' as const, id: user.id }, ip: input.ip };
  let revoked = 0;
  for (const session of await ctx.store.listLiveSessions(user.id, ctx.now())) {
    if (session.id === input.sessionId) continue;
    revoked += (await revoke(ctx, { scope: 'session', sessionId: session.id }, request)).sessions;
  }
  return { otherSessionsRevoked: revoked };
}

/** An admin (API) or the operator (CLI) sets a user's password; every session of the user ends. */
export async function resetPassword(ctx: AppContext, userId: string, newPassword: unknown, actor: Actor, ip?: string): Promise<{ sessionsRevoked: number }> {
  const user = await ctx.store.findUserById(userId);
  if (user === undefined) throw new RevokdError('ERR_NOT_FOUND', 'no such user');
  const password = await acceptableNewPassword(newPassword, user.email, 'new_password');
  const nowMs = ctx.now();
  const initiator = actor.type === 'system' ? 'system' as const : 'admin' as const;
  const changed = await ctx.store.setUserPassword(user.id, { passwordHash: await hashPassword(password), mustChangePassword: false, nowMs }, {
    type: 'user.password_reset', actorType: actor.type, actorId: actor.id, initiator, reason: 'password_reset',
    targetType: 'user', targetId: user.id, ip: ip ?? null, details: {},
  }, passwordChangedMessage(user, { kind: 'reset', atMs: nowMs }));
  if (!changed) throw new RevokdError('ERR_NOT_FOUND', 'no such user');
  // The generated first-run password (if this was that admin) no longer works: its file goes.
  forgetInitialAdminPassword(ctx, user.email);
  const report = await revoke(ctx, { scope: 'user', userId: user.id }, { initiator, reason: 'password_reset', actor, ip });
  return { sessionsRevoked: report.sessions };
}
