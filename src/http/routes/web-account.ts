/**
 * The web UI's Account page: change your password (app/passwords.ts, the same rules as
 * `POST /api/v1/auth/password`). The cookie session that makes the change is the one that survives:
 * re-issued by the change, so its cookie is replaced with the new refresh token.
 * It is also the page a user with a generated password is sent to first (web-guard.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { changeOwnPassword } from '../../app/passwords.js';
import { accountPage } from '../../../web/pages/account.js';
import { type WebGuard, formField, isCode, redirect, sendPage } from '../web-guard.js';
import { FormField, formSchema, pageSchema } from '../schemas/web.js';

export function webAccountRoutes(app: FastifyInstance, ctx: AppContext, guard: WebGuard): void {
  const open = { beforePasswordChange: true };

  const render = (request: FastifyRequest, reply: FastifyReply, error?: string, status = 200) =>
    sendPage(
      reply,
      accountPage(guard.viewer(request), {
        forced: request.webSession!.user.mustChangePassword === true,
        error,
        flash: error === undefined ? guard.takeFlash(request, reply) : undefined,
      }),
      status,
    );

  app.get(
    '/account',
    {
      preHandler: guard.page,
      config: open,
      schema: pageSchema('Your account: change your password'),
    },
    async (request, reply) => render(request, reply),
  );

  // Rate limits: LIMITED_ROUTES (rate-limits.ts), on the sign-in budget: it checks a password.
  app.post(
    '/account/password',
    {
      preHandler: guard.post,
      config: { ...open, body: 'form' },
      schema: formSchema(
        'Change your password (other sessions are signed out)',
        {
          current_password: FormField('Your password now'),
          new_password: FormField('The new one'),
          confirm_password: FormField('The new one again'),
        },
        { page: 400 },
      ),
    },
    async (request, reply) => {
      const { user, session } = request.webSession!;
      const current = formField(request, 'current_password') ?? '';
      const next = formField(request, 'new_password') ?? '';
      if (current === '' || next === '')
        return render(request, reply, 'Enter your current password and a new one.', 400);
      if (next !== formField(request, 'confirm_password'))
        return render(
          request,
          reply,
          'The two new passwords differ. Type the same one twice.',
          400,
        );
      try {
        const result = await changeOwnPassword(ctx, {
          userId: user.id,
          sessionId: session.id,
          currentPassword: current,
          newPassword: next,
          ip: request.clientIp,
        });
        // The change re-issued this session (its old refresh token, the cookie, is dead like every other): the new one replaces it.
        const { refresh_token: refreshToken, refresh_expires_in: refreshExpiresIn } = result.tokens;
        if (refreshToken !== undefined)
          guard.setSession(
            request,
            reply,
            refreshToken,
            refreshExpiresIn ?? ctx.config.refreshTtlSeconds,
          );
        const others = result.otherSessionsRevoked;
        guard.setFlash(request, reply, {
          kind: 'success',
          text: `Your password was changed. ${others === 0 ? 'No other session was signed in.' : `${others} other ${others === 1 ? 'session was' : 'sessions were'} signed out.`}`,
        });
        return redirect(reply, user.mustChangePassword === true ? '/sessions' : '/account');
      } catch (err) {
        if (isCode(err, 'ERR_INVALID_CREDENTIALS'))
          return render(
            request,
            reply,
            'Your current password is not right. Nothing was changed.',
            400,
          );
        // The reason (the strength estimate's warning and suggestions, or the length rule) is the message.
        if (isCode(err, 'ERR_WEAK_PASSWORD', 'ERR_VALIDATION'))
          return render(request, reply, `${sentence(err.message)} Nothing was changed.`, 400);
        if (isCode(err, 'ERR_CONFLICT'))
          return render(
            request,
            reply,
            'Your password was changed from somewhere else meanwhile. Nothing was changed by this form.',
            409,
          );
        if (isCode(err, 'ERR_RATE_LIMITED')) {
          const minutes = Math.max(1, Math.ceil((err.retryAfterSeconds ?? 60) / 60));
          reply.header('retry-after', String(Math.ceil(err.retryAfterSeconds ?? 60)));
          return render(
            request,
            reply,
            `Too many wrong passwords. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
            429,
          );
        }
        throw err;
      }
    },
  );
}

/** "new_password is too easy to guess: …" → "The new password is too easy to guess: …" */
function sentence(message: string): string {
  const text = message.replace(/^new_password\b/, 'The new password');
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
