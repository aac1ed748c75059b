/**
 * First run (like GitLab's initial root password): `revokd serve` with no REVOKD_ADMIN_EMAIL /
 * REVOKD_ADMIN_PASSWORD and no active admin in the store creates one with a generated password,
 * writes `{"email", "password"}` to `<data dir>/initial-admin.json` (0600), and logs one line
 * naming the email and the file — never the password. The user is flagged `mustChangePassword`, so
 * the web UI asks for a new password first; the file is deleted when that admin changes it.
 *
 * Several instances starting together on one PostgreSQL database: each one tries, the insert's own
 * commit refuses all but the first (no active admin, checked under the feed lock; the unique email
 * too), and only that instance writes the file, in its own data dir (its log
 * line says which). An instance that sees the admin's password changed deletes a file left in its
 * data dir, at the change if it served it, otherwise at its next start.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { RevokdError, isRevokdError } from '../core/errors.js';
import { writeNewPrivateFile } from '../fs/private-files.js';
import type { AppContext, UsesStores } from './context.js';
import { createUser } from './users.js';

export const INITIAL_ADMIN_FILE = 'initial-admin.json';
export const INITIAL_ADMIN_EMAIL = 'admin@localhost';
/** 24 base64url characters: 144 bits from the CSPRNG. */
const GENERATED_PASSWORD_BYTES = 18;

type FirstRunContext = Pick<AppContext, 'now' | 'config' | 'log'> & UsesStores<'records'>;

export function initialAdminFile(ctx: Pick<AppContext, 'config'>): string {
  return path.join(ctx.config.dataDir, INITIAL_ADMIN_FILE);
}

/** Creates the first admin when none is configured or active; otherwise only tidies a stale file. */
export async function ensureFirstRunAdmin(ctx: FirstRunContext): Promise<void> {
  if (ctx.config.adminEmail !== undefined) {
    await reportIgnoredAdminEmail(ctx, ctx.config.adminEmail);
    return;
  }
  if ((await ctx.stores.records.countActiveUsersWithRole('admin')) > 0) {
    await removeStaleInitialAdminFile(ctx);
    return;
  }
  const email = await freeAdminEmail(ctx);
  const password = randomBytes(GENERATED_PASSWORD_BYTES).toString('base64url');
  try {
    // Generated, so exempt from the strength check (it is 144 random bits). Only if still no active
    // admin, checked in the insert's commit: an instance that started together with this one may
    // have created admin@localhost since the count above, and this one would otherwise make
    // admin-2@localhost beside it.
    await createUser(
      ctx,
      { email, password, role: 'admin', mustChangePassword: true },
      { type: 'system', id: null },
      { checkStrength: false, onlyIfNoActiveAdmin: true },
    );
  } catch (err) {
    // Instances starting together on one database: another one created it (and holds the file).
    if (
      isRevokdError(err) &&
      err.code === 'ERR_CONFLICT' &&
      (await ctx.stores.records.countActiveUsersWithRole('admin')) > 0
    ) {
      ctx.log.info(
        'first run: another instance created the first admin; its data directory holds initial-admin.json',
      );
      return;
    }
    throw err;
  }
  const file = initialAdminFile(ctx);
  try {
    // A file from an earlier database in this data dir names a password that no longer exists.
    fs.rmSync(file, { force: true });
    writeNewPrivateFile(file, `${JSON.stringify({ email, password }, null, 2)}\n`);
  } catch (err) {
    throw new RevokdError(
      'ERR_INTERNAL',
      `created the first admin ${email} but could not write ${file}; set its password with \`revokd user set-password ${email}\``,
      { cause: err },
    );
  }
  ctx.log.warn(
    { email, file },
    `first run: created the admin ${email}; its generated password is in ${file} — sign in and change it (the file is then deleted)`,
  );
}

/**
 * REVOKD_ADMIN_EMAIL only creates the *first* admin (bootstrapAdmin, at open). Set on a store that
 * already has an active admin under another email, it does nothing — and an operator who followed
 * the quick start (admin@localhost) and then the walkthrough (admin@example.com) would find their
 * sign-in refused with no idea why. So one line says so, at each start of the server (not the CLI).
 */
async function reportIgnoredAdminEmail(ctx: FirstRunContext, email: string): Promise<void> {
  const user = await ctx.stores.records.findUserByEmail(email);
  if (user !== undefined && user.role === 'admin' && user.disabledAtMs === null) return;
  // No active admin at all: bootstrapAdmin created this one, or already warned about the user.
  if ((await ctx.stores.records.countActiveUsersWithRole('admin')) === 0) return;
  const what = user === undefined ? 'there is no such user' : 'that user is not an active admin';
  ctx.log.warn(
    { email },
    `REVOKD_ADMIN_EMAIL is ignored: an active admin already exists, and it only creates the first one (${what}). ` +
      `Sign in as an existing admin (a generated one is admin@localhost, password in initial-admin.json), or add this one with \`revokd user create --email ${email} --admin\``,
  );
}

/** admin@localhost, or admin-2@localhost, … when an earlier (now disabled) admin has that email. */
async function freeAdminEmail(ctx: FirstRunContext): Promise<string> {
  for (let n = 1; n <= 100; n++) {
    const email = n === 1 ? INITIAL_ADMIN_EMAIL : `admin-${n}@localhost`;
    if ((await ctx.stores.records.findUserByEmail(email)) === undefined) return email;
  }
  throw new RevokdError(
    'ERR_CONFLICT',
    'no free admin-N@localhost email for the first admin; set REVOKD_ADMIN_EMAIL and REVOKD_ADMIN_PASSWORD',
  );
}

function readInitialAdminEmail(file: string): string | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { email?: unknown };
    return typeof parsed.email === 'string' ? parsed.email : undefined;
  } catch {
    return undefined;
  }
}

/** After `email` chose a new password (or was given one): the file's password is dead, so the file goes. */
export function forgetInitialAdminPassword(
  ctx: Pick<AppContext, 'config' | 'log'>,
  email: string,
): void {
  const file = initialAdminFile(ctx);
  const named = readInitialAdminEmail(file);
  if (named === undefined || named.toLowerCase() !== email.toLowerCase()) return;
  fs.rmSync(file, { force: true });
  ctx.log.info({ email, file }, 'the first admin has a new password: deleted initial-admin.json');
}

/** At start: a file whose admin no longer has the generated password (changed on another instance) goes. */
async function removeStaleInitialAdminFile(ctx: FirstRunContext): Promise<void> {
  const email = readInitialAdminEmail(initialAdminFile(ctx));
  if (email === undefined) return;
  const user = await ctx.stores.records.findUserByEmail(email);
  if (user === undefined || user.mustChangePassword !== true)
    forgetInitialAdminPassword(ctx, email);
}
