/** Users: creation (CLI, admin API, first-admin bootstrap), disabling (which revokes everything) and enabling. */
import { randomUUID } from 'node:crypto';
import { RevokdError, isRevokdError } from '../core/errors.js';
import {
  MAX_PASSWORD_BYTES,
  MIN_PASSWORD_CHARACTERS,
  characterCount,
  hashPassword,
} from '../core/passwords.js';
import { assertStrongPassword, estimatePasswordStrength } from '../core/password-policy.js';
import type { AuditEventInput } from '../core/audit/audit-event.js';
import type { Actor, Role, UserRecord } from '../stores/types.js';
import type { AppContext, UsesStores } from './context.js';
import { holdingsRevocation, holdingsRevoked } from './revoke-user-holdings.js';

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,189}$/;
/** Control characters (NUL included) and lone UTF-16 surrogates (stored as U+FFFD, i.e. not what was validated). */
export const UNPRINTABLE =
  /[\u0000-\u001f\u007f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function validateEmail(email: unknown): string {
  if (
    typeof email !== 'string' ||
    email.length > 254 ||
    !EMAIL.test(email) ||
    UNPRINTABLE.test(email)
  ) {
    throw new RevokdError('ERR_VALIDATION', 'email must be an email address');
  }
  return email;
}

export function validateNewPassword(password: unknown): string {
  if (
    typeof password !== 'string' ||
    characterCount(password) < MIN_PASSWORD_CHARACTERS ||
    password.includes('\u0000')
  ) {
    throw new RevokdError(
      'ERR_VALIDATION',
      `password must be at least ${MIN_PASSWORD_CHARACTERS} characters`,
    );
  }
  // The cap protects scrypt from huge inputs, so it is in bytes (UTF-8), and says so.
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) {
    throw new RevokdError(
      'ERR_VALIDATION',
      `password must be at most ${MAX_PASSWORD_BYTES} bytes (UTF-8)`,
    );
  }
  return password;
}

/**
 * `checkStrength: false` only where nobody chose the password: the generated first-run admin's, and
 * REVOKD_ADMIN_PASSWORD (the operator's explicit configuration; bootstrapAdmin warns instead).
 */
export async function createUser(
  ctx: Pick<AppContext, 'now'> & UsesStores<'records'>,
  input: { email: unknown; password: unknown; role?: Role; mustChangePassword?: boolean },
  actor: Actor,
  options: { checkStrength?: boolean; onlyIfNoActiveAdmin?: boolean } = {},
): Promise<UserRecord> {
  const email = validateEmail(input.email);
  const password = validateNewPassword(input.password);
  if ((await ctx.stores.records.findUserByEmail(email)) !== undefined)
    throw new RevokdError('ERR_CONFLICT', 'a user with this email exists');
  if (options.checkStrength !== false) await assertStrongPassword(password, email);
  const user: UserRecord = {
    id: randomUUID(),
    email,
    role: input.role ?? 'user',
    passwordHash: await hashPassword(password),
    createdAtMs: ctx.now(),
    disabledAtMs: null,
    mustChangePassword: input.mustChangePassword === true,
  };
  await ctx.stores.records.createUser(
    user,
    {
      type: 'user.created',
      actorType: actor.type,
      actorId: actor.id,
      targetType: 'user',
      targetId: user.id,
      ip: null,
      details: { role: user.role },
    },
    { onlyIfNoActiveAdmin: options.onlyIfNoActiveAdmin === true },
  );
  return user;
}

/** Creates the first admin from REVOKD_ADMIN_EMAIL/PASSWORD when no admin exists yet. */
export async function bootstrapAdmin(
  ctx: Pick<AppContext, 'now' | 'config' | 'log'> & UsesStores<'records'>,
): Promise<void> {
  const { adminEmail, adminPassword } = ctx.config;
  if (adminEmail === undefined || adminPassword === undefined) return;
  // A data dir whose admins are all disabled gets a new one: a disabled admin cannot sign in.
  if ((await ctx.stores.records.countActiveUsersWithRole('admin')) > 0) return;
  if ((await ctx.stores.records.findUserByEmail(adminEmail)) !== undefined) {
    ctx.log.warn(
      { email: adminEmail },
      'REVOKD_ADMIN_EMAIL names an existing user that is not an active admin; not changing it (set another email)',
    );
    return;
  }
  try {
    await createUser(
      ctx,
      { email: adminEmail, password: adminPassword, role: 'admin' },
      { type: 'system', id: null },
      { checkStrength: false },
    );
  } catch (err) {
    // Instances starting at the same moment on one fresh database: another one created it first.
    if (
      isRevokdError(err) &&
      err.code === 'ERR_CONFLICT' &&
      (await ctx.stores.records.findUserByEmail(adminEmail)) !== undefined
    )
      return;
    throw err;
  }
  ctx.log.info({ email: adminEmail }, 'created the first admin');
  // Warned, not refused: the operator set it explicitly, and refusing would stop the service from
  // starting. Every password chosen later (API, CLI, UI) must pass the check.
  const verdict = await estimatePasswordStrength(adminPassword, adminEmail);
  if (!verdict.ok) {
    ctx.log.warn(
      { email: adminEmail },
      `REVOKD_ADMIN_PASSWORD is easy to guess (${verdict.reasons.join(' ')}); change it after signing in`,
    );
  }
}

/** Lets a disabled user sign in again. What the disable revoked stays revoked (generation cutoff, API tokens). */
export async function enableUser(
  ctx: AppContext,
  userId: string,
  actor: Actor,
  ip?: string,
): Promise<{ changed: boolean }> {
  const user = await ctx.stores.records.findUserById(userId);
  if (user === undefined) throw new RevokdError('ERR_NOT_FOUND', 'no such user');
  const changed = await ctx.stores.records.enableUser(
    userId,
    ctx.now(),
    userStateAudit('user.enabled', actor, userId, ip),
  );
  return { changed };
}

const userStateAudit = (
  type: 'user.enabled' | 'user.disabled',
  actor: Actor,
  userId: string,
  ip: string | undefined,
): AuditEventInput => ({
  type,
  actorType: actor.type,
  actorId: actor.id,
  targetType: 'user',
  targetId: userId,
  ip: ip ?? null,
  details: {},
});

/**
 * Disables a user (no new logins) and revokes every session and token they hold, in one commit
 * (the store's disableUserAndRevoke): no instance, and no view of the feed, can see the disable
 * without its revocations, and a crash cannot fall between them.
 */
export async function disableUser(
  ctx: AppContext,
  userId: string,
  actor: Actor,
  ip?: string,
): Promise<{ sessions: number; apiTokens: number }> {
  const user = await ctx.stores.records.findUserById(userId);
  if (user === undefined) throw new RevokdError('ERR_NOT_FOUND', 'no such user');
  assertMayDisable(user, actor);
  const request = {
    initiator: actor.type === 'system' ? ('system' as const) : ('admin' as const),
    reason: 'user_disabled' as const,
    actor,
    ip,
  };
  const nowMs = ctx.now();
  const report = await ctx.stores.records.disableUserAndRevoke(
    userId,
    nowMs,
    userStateAudit('user.disabled', actor, userId, ip),
    holdingsRevocation(ctx, request, nowMs),
  );
  holdingsRevoked(ctx, request, report);
  return { sessions: report.revocation.sessions, apiTokens: report.apiTokens.length };
}

/**
 * The one rule for disabling (admin API, and any UI or CLI path that disables, go through
 * disableUser): nobody disables themselves. The other half — the last active admin stays, or
 * nobody could administer the service any more — is checked by the store inside the disable's
 * commit (ERR_CONFLICT), so two admins disabling each other at the same instant cannot both succeed.
 */
function assertMayDisable(user: UserRecord, actor: Actor): void {
  if (actor.id !== null && actor.id === user.id)
    throw new RevokdError('ERR_CONFLICT', 'you cannot disable your own account');
}
