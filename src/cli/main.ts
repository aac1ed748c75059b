#!/usr/bin/env node
/**
 * `revokd` — the command line. Every command has --help; every command that prints has --json.
 * Commands act on the store named by the same environment as the server (REVOKD_DATA_DIR,
 * REVOKD_DATABASE_URL), so a revocation made here reaches a running server through its change feed.
 */
import { Argument, Command, Option } from 'commander';
import type { AppContext } from '../app/context.js';
import { createClient } from '../app/clients.js';
import {
  MAX_SECRET_GRACE_SECONDS,
  disableClient,
  enableClient,
  rotateClientSecret,
} from '../app/client-lifecycle.js';
import {
  OPERATOR_SCOPES,
  parseReason,
  revokeByScope,
  revokeSigningKey,
} from '../app/revoke-by-scope.js';
import { createUser, disableUser, enableUser } from '../app/users.js';
import { resetPassword } from '../app/passwords.js';
import type { UserRecord } from '../stores/types.js';
import { listLiveWindows } from '../app/list-windows.js';
import { revokeApiToken } from '../app/api-tokens/revoke-api-tokens.js';
import { RevokdError } from '../core/errors.js';
import { REASON_CODES } from '../core/revocation/types.js';
import { emit, fail, textTable } from './output.js';
import { whileWorking } from './progress.js';
import { withContext } from './with-context.js';
import { readStdin } from './read-stdin.js';
import { registerSecurityCommands } from './security-commands.js';

const CLI_ACTOR = { type: 'cli' as const, id: null };
const program = new Command();
program
  .name('revokd')
  .description('Issue and revoke tokens: JWT access tokens, refresh tokens, API tokens.')
  .version('0.1.0');

program
  .command('serve')
  .description(
    'run the HTTP service (configured by environment variables; see docs/configuration.md); SIGTERM or Ctrl-C stops it cleanly',
  )
  .action(async () => {
    try {
      // Imported here, not at the top: the HTTP app (Fastify, routes, metrics) is for `serve` only,
      // and the other commands start faster without it.
      const { serve } = await import('./serve-command.js');
      await serve();
    } catch (err) {
      fail(false, err);
    }
  });

program
  .command('migrate')
  .description('create or upgrade the database schema')
  .option('--json', 'machine-readable output')
  .action(async (opts: { json?: boolean }) => {
    // Opening the store migrates it; its schema state says what that did. Both outputs say the same.
    await withContext(opts.json === true, async (ctx) => {
      const { version, applied } = ctx.stores.lifecycle.schema;
      emit(
        opts.json === true,
        { backend: ctx.stores.lifecycle.backend, schema_version: version, applied: [...applied] },
        `schema is up to date (${ctx.stores.lifecycle.backend}, version ${version})${applied.length === 0 ? '' : `; applied now: ${applied.join(', ')}`}`,
      );
    });
  });

const user = program.command('user').description('manage users');
user
  .command('create')
  .description('create a user (the password is read from stdin when --password is omitted)')
  .requiredOption('--email <email>', 'email address')
  .option('--password <password>', 'password (8+ characters)')
  .option('--admin', 'give the admin role')
  .option('--json', 'machine-readable output')
  .action(async (opts: { email: string; password?: string; admin?: boolean; json?: boolean }) => {
    const json = opts.json === true;
    await withContext(json, async (ctx) => {
      const password = opts.password ?? (await readStdin()).replace(/\r?\n$/, '');
      const created = await createUser(
        ctx,
        { email: opts.email, password, role: opts.admin === true ? 'admin' : 'user' },
        CLI_ACTOR,
      );
      emit(
        json,
        { id: created.id, email: created.email, role: created.role },
        `created ${created.role} ${created.email} (${created.id})`,
      );
    });
  });

user
  .command('disable')
  .description(
    'disable a user (no new logins) and revoke every session and token they hold; never the last active admin',
  )
  .argument('<user>', 'user id or email')
  .option('--json', 'machine-readable output')
  .action(async (who: string, opts: { json?: boolean }) => {
    const json = opts.json === true;
    await withContext(json, async (ctx) => {
      const target = await findUserArg(ctx, who);
      const result = await disableUser(ctx, target.id, CLI_ACTOR);
      emit(
        json,
        {
          user_id: target.id,
          disabled: true,
          revoked: { sessions: result.sessions, api_tokens: result.apiTokens },
        },
        `disabled ${target.email}: ${result.sessions} session(s) and ${result.apiTokens} API token(s) revoked`,
      );
    });
  });

user
  .command('enable')
  .description('let a disabled user sign in again (what the disable revoked stays revoked)')
  .argument('<user>', 'user id or email')
  .option('--json', 'machine-readable output')
  .action(async (who: string, opts: { json?: boolean }) => {
    const json = opts.json === true;
    await withContext(json, async (ctx) => {
      const target = await findUserArg(ctx, who);
      const { changed } = await enableUser(ctx, target.id, CLI_ACTOR);
      emit(
        json,
        { user_id: target.id, disabled: false, changed },
        changed ? `enabled ${target.email}` : `${target.email} was not disabled`,
      );
    });
  });

user
  .command('set-password')
  .description("set a user's password (read from stdin) and revoke every session of the user")
  .argument('<user>', 'user id or email')
  .option('--json', 'machine-readable output')
  .action(async (who: string, opts: { json?: boolean }) => {
    const json = opts.json === true;
    await withContext(json, async (ctx) => {
      const target = await findUserArg(ctx, who);
      // From stdin only: a password in the arguments would be in the process list and shell history.
      const password = (await readStdin()).replace(/\r?\n$/, '');
      const result = await resetPassword(ctx, target.id, password, CLI_ACTOR);
      emit(
        json,
        { user_id: target.id, password_reset: true, revoked: { sessions: result.sessionsRevoked } },
        `set the password of ${target.email}: ${result.sessionsRevoked} session(s) revoked`,
      );
    });
  });

/** A user named on the command line by id or by email. */
async function findUserArg(ctx: AppContext, who: string): Promise<UserRecord> {
  const target = who.includes('@')
    ? await ctx.stores.records.findUserByEmail(who)
    : await ctx.stores.records.findUserById(who.toLowerCase());
  if (target === undefined) throw new RevokdError('ERR_NOT_FOUND', 'no such user');
  return target;
}

const client = program.command('client').description('manage OAuth clients');
client
  .command('create')
  .description("create a client; a confidential client's secret is shown once")
  .requiredOption('--name <name>', 'display name')
  .option('--scope <scope...>', 'scopes the client may request')
  .option('--public', 'a public client (no secret)')
  .option('--json', 'machine-readable output')
  .action(async (opts: { name: string; scope?: string[]; public?: boolean; json?: boolean }) => {
    const json = opts.json === true;
    await withContext(json, async (ctx) => {
      const { client: c, secret } = await createClient(
        ctx,
        { name: opts.name, scopes: opts.scope ?? [], public: opts.public === true },
        CLI_ACTOR,
      );
      emit(
        json,
        {
          client_id: c.id,
          client_secret: secret,
          name: c.name,
          scopes: c.scopes,
          grants: c.grants,
        },
        `client_id: ${c.id}\n${secret === null ? 'public client (no secret)' : `client_secret: ${secret}\n(the secret is shown once; store it now)`}`,
      );
    });
  });

/** `revokd client <name> <id> [--json]`: one operation on one client, its answer as JSON or a line of text. */
function clientIdCommand(
  name: string,
  description: string,
  run: (ctx: AppContext, id: string) => Promise<{ json: object; text: string }>,
): void {
  client
    .command(name)
    .description(description)
    .argument('<id>', 'client id')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) => {
      const json = opts.json === true;
      await withContext(json, async (ctx) => {
        const out = await run(ctx, id);
        emit(json, out.json, out.text);
      });
    });
}
clientIdCommand(
  'disable',
  "refuse the client's authentication and revoke everything issued to it",
  async (ctx, id) => {
    const { changed, revoked } = await disableClient(ctx, id, CLI_ACTOR, null);
    return {
      json: { client_id: id, disabled: true, changed, revoked_sessions: revoked.sessions },
      text: `client ${id} disabled; ${revoked.sessions} session(s) revoked`,
    };
  },
);
clientIdCommand(
  'enable',
  'let a disabled client authenticate again (its old tokens stay revoked)',
  async (ctx, id) => {
    const { changed } = await enableClient(ctx, id, CLI_ACTOR, null);
    return {
      json: { client_id: id, disabled: false, changed },
      text: changed ? `client ${id} enabled` : `client ${id} was not disabled`,
    };
  },
);
client
  .command('rotate-secret')
  .description(
    'give a confidential client a new secret (shown once); the old one stops working, its streams end and its tokens are revoked — at once, or when --grace-seconds have passed',
  )
  .argument('<id>', 'client id')
  .option(
    '--grace-seconds <n>',
    `keep the old secret working this long (0 to ${MAX_SECRET_GRACE_SECONDS}; default 0)`,
  )
  .option('--json', 'machine-readable output')
  .action(async (id: string, opts: { graceSeconds?: string; json?: boolean }) => {
    const json = opts.json === true;
    await withContext(json, async (ctx) => {
      const grace =
        opts.graceSeconds === undefined
          ? 0
          : /^\d{1,9}$/.test(opts.graceSeconds)
            ? Number(opts.graceSeconds)
            : Number.NaN;
      const rotated = await rotateClientSecret(ctx, id, CLI_ACTOR, null, grace);
      const until = new Date(rotated.oldSecretExpiresAtMs).toISOString();
      emit(
        json,
        {
          client_id: rotated.clientId,
          client_secret: rotated.secret,
          grace_seconds: rotated.graceSeconds,
          old_secret_expires_at: until,
          revoked_sessions: rotated.revoked?.sessions ?? null,
        },
        `client_secret: ${rotated.secret}\n(the secret is shown once; store it now)\n${
          rotated.graceSeconds === 0
            ? `the old secret no longer works; ${rotated.revoked?.sessions ?? 0} session(s) revoked`
            : `the old secret works until ${until}; then the client's tokens are revoked and its streams end`
        }`,
      );
    });
  });

program
  .command('revoke')
  .description(
    'revoke by scope: jti, session, user (id or email), client, key, ip (address or CIDR), window (<from>-<to> epoch seconds), api-token (id) or all',
  )
  .addArgument(new Argument('<scope>', 'what to revoke').choices(OPERATOR_SCOPES))
  .argument('[value]', 'the id, address or range (not needed for "all")')
  .addOption(new Option('--reason <reason>', 'reason code').choices(REASON_CODES).default('admin'))
  .option('--note <text>', 'free-text note for the audit log')
  .option('--json', 'machine-readable output')
  .option('--list', 'with "window": list the live window revocations instead of adding one')
  // Ids are base64url and may start with "-" (a jti, a kid): read such a word as the value, not as an
  // unknown option. A mistyped option still fails, as an extra argument.
  .allowUnknownOption()
  .action(
    async (
      scope: string,
      value: string | undefined,
      opts: { reason: string; note?: string; json?: boolean; list?: boolean },
    ) => {
      const json = opts.json === true;
      await withContext(json, async (ctx) => {
        if (opts.list === true) {
          if (scope !== 'window') throw new Error('--list works with "revoke window" only');
          const rows = await listLiveWindows(ctx);
          emit(
            json,
            rows,
            rows
              .map(
                (w) =>
                  `${w.from}-${w.to}  ${w.reason}  created ${w.created_at}  expires ${w.expires_at ?? 'never'}${w.note === null ? '' : `  ${w.note}`}`,
              )
              .join('\n') || 'no live window revocations',
          );
          return;
        }
        if (scope !== 'all' && (value === undefined || value === ''))
          throw new Error(`revoke ${scope} needs a value`);
        if (scope === 'api-token') {
          const t = await revokeApiToken(ctx, value!, null, {
            actor: CLI_ACTOR,
            initiator: 'admin',
            reason: parseReason(opts.reason),
            note: opts.note,
          });
          emit(
            json,
            {
              scope,
              value,
              token_id: t.id,
              owner: t.userId,
              revoked_at: new Date(t.revokedAtMs!).toISOString(),
              changed: true,
            },
            `revoked API token ${t.id} (${t.name}); the owner will be emailed`,
          );
          return;
        }
        // `revoke ip` over a wide range (or `user`, `all`) can revoke many sessions in one transaction.
        const report = await whileWorking(
          json,
          `revoking ${value === undefined ? scope : `${scope} ${value}`}`,
          revokeByScope(ctx, scope, value ?? '', {
            reason: opts.reason,
            note: opts.note,
            actor: CLI_ACTOR,
            initiator: 'admin',
          }),
        );
        const what = value === undefined ? scope : `${scope} ${value}`;
        emit(
          json,
          {
            scope,
            value: value ?? null,
            sessions: report.sessions,
            refresh_tokens: report.refreshTokens,
            generation: report.generation,
            changed: report.changed,
          },
          report.changed
            ? `revoked ${what}: ${report.sessions} session(s), ${report.refreshTokens} refresh token(s)`
            : `${what} was already revoked`,
        );
      });
    },
  );

const keys = program.command('keys').description('manage signing keys');
keys
  .command('list')
  .description('list signing keys and whether each is still published')
  .option('--json', 'machine-readable output')
  .action(async (opts: { json?: boolean }) => {
    const json = opts.json === true;
    await withContext(json, async (ctx) => {
      const list = await ctx.keyManager.list();
      const rows = list.map((k) => ({
        kid: k.kid,
        alg: k.alg,
        status: k.status,
        published: k.published,
        created_at: new Date(k.createdAtMs).toISOString(),
      }));
      // Every key gets every column (a revoked key says "no" rather than leaving a gap), under a header.
      emit(
        json,
        rows,
        rows.length === 0
          ? 'no keys'
          : textTable(
              ['KID', 'ALG', 'STATUS', 'PUBLISHED', 'CREATED'],
              rows.map((r) => [r.kid, r.alg, r.status, r.published ? 'yes' : 'no', r.created_at]),
            ),
      );
    });
  });
keys
  .command('rotate')
  .description('add a new active key; the old one verifies until its tokens expire')
  .option('--json', 'machine-readable output')
  .action(async (opts: { json?: boolean }) => {
    const json = opts.json === true;
    await withContext(json, async (ctx) => {
      const key = await ctx.keyManager.rotate(CLI_ACTOR);
      emit(
        json,
        { kid: key.kid, alg: key.alg, status: key.status },
        `new active key ${key.kid} (${key.alg})`,
      );
    });
  });
keys
  .command('revoke')
  .description('revoke a key: every token it signed is rejected and it leaves the JWKS')
  .argument('<kid>', 'key id')
  .option('--note <text>', 'free-text note for the audit log')
  .option('--json', 'machine-readable output')
  // A kid (a base64url JWK thumbprint) may start with "-": see `revoke` above.
  .allowUnknownOption()
  .action(async (kid: string, opts: { note?: string; json?: boolean }) => {
    const json = opts.json === true;
    await withContext(json, async (ctx) => {
      const report = await revokeSigningKey(ctx, kid, {
        reason: 'key_revoked',
        note: opts.note,
        actor: CLI_ACTOR,
        initiator: 'admin',
      });
      emit(
        json,
        { kid, revoked: true, changed: report.changed },
        report.changed ? `revoked key ${kid}` : `key ${kid} was already revoked`,
      );
    });
  });

registerSecurityCommands(program);

await program.parseAsync(process.argv);
