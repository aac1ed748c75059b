/**
 * The web UI (SPEC §8), served at `/`: sign in, sessions, API tokens, and (web-admin.ts) the
 * security console. Server-rendered pages (web/), progressive enhancement by web/static/app.js.
 *
 * Every route here is registered in one encapsulated plugin, so the security headers (strict CSP,
 * no framing, no referrer) and the HTML error pages apply to the UI and nowhere else. All state
 * changes are POST forms guarded by web-guard.ts; every GET is read-only.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createApiToken } from '../../app/api-tokens/create-api-token.js';
import {
  ownerRevokeAllAvailableAt,
  revokeAllApiTokensOfOwner,
  revokeApiToken,
} from '../../app/api-tokens/revoke-api-tokens.js';
import type { AppContext } from '../../app/context.js';
import { login } from '../../app/login.js';
import { revoke } from '../../app/revoke.js';
import { reportCompromise } from '../../app/security/report-compromise.js';
import { RevokdError } from '../../core/errors.js';
import type { ApiTokenRecord } from '../../stores/types.js';
import { loginPage } from '../../../web/pages/login.js';
import { sessionsConfirmPage, sessionsPage } from '../../../web/pages/sessions.js';
import {
  EXPIRY_CHOICES,
  type TokenForm,
  revokeAllSpec,
  revokeTokenSpec,
  tokenConfirmPage,
  tokensPage,
} from '../../../web/pages/tokens.js';
import { STATIC_ASSETS } from '../../../web/static-assets.js';
import {
  SECURITY_HEADERS,
  type WebGuard,
  formField,
  isCode,
  redirect,
  safeNext,
  sendPage,
  webErrorHandler,
  webGuard,
} from '../web-guard.js';
import { webAdminRoutes } from './web-admin.js';
import { webAccountRoutes } from './web-account.js';
import { UUID_PATTERN } from '../../core/ids.js';
import { Type } from '@sinclair/typebox';
import { WEB_UI_TAG } from '../openapi.js';
import {
  FormField,
  HtmlPage,
  Redirect,
  WEB_ERROR_RESPONSES,
  formSchema,
  pageSchema,
} from '../schemas/web.js';
import { IdParam, SessionIdParam } from '../schemas/ids.js';

const TokenId = IdParam('An API token id');

const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function webRoutes(app: FastifyInstance, ctx: AppContext): void {
  void app.register(async (scope) => {
    const guard = webGuard(ctx);
    scope.decorateRequest('webSession', null);
    scope.addHook('onSend', async (_request, reply, payload) => {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
      return payload;
    });
    scope.setErrorHandler(webErrorHandler(guard));
    staticRoutes(scope);
    accountRoutes(scope, ctx, guard);
    webAccountRoutes(scope, ctx, guard);
    webAdminRoutes(scope, ctx, guard);
  });
}

function staticRoutes(app: FastifyInstance): void {
  app.get<{ Params: { name: string } }>(
    '/static/:name',
    {
      schema: {
        tags: [WEB_UI_TAG],
        summary: "The UI's static files (app.css, app.js, favicon.svg), cached for a year",
        security: [],
        params: Type.Object({ name: Type.String() }),
        response: {
          200: {
            description: 'The file',
            content: {
              'text/css': { schema: Type.String() },
              'text/javascript': { schema: Type.String() },
              'image/svg+xml': { schema: Type.String() },
            },
          },
          304: Type.Null({ description: 'Not modified (If-None-Match)' }),
          '4xx': HtmlPage('An error page'),
        },
      },
    },
    async (request, reply) => {
      const asset = STATIC_ASSETS.get(request.params.name);
      if (asset === undefined) throw new RevokdError('ERR_NOT_FOUND', 'no such file');
      const etag = `"${asset.version}"`;
      reply
        .header('cache-control', 'public, max-age=31536000, immutable')
        .header('etag', etag)
        .type(asset.contentType);
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply.send(asset.body);
    },
  );
}

function accountRoutes(app: FastifyInstance, ctx: AppContext, guard: WebGuard): void {
  const page = { preHandler: guard.page };
  // Rate limits: LIMITED_ROUTES (rate-limits.ts) names every form post.
  const post = { preHandler: guard.post, config: { body: 'form' as const } };
  const userActor = (request: FastifyRequest) => ({
    type: 'user' as const,
    id: request.webSession!.user.id,
  });

  app.get(
    '/',
    {
      schema: {
        tags: [WEB_UI_TAG],
        summary: 'To /sessions when signed in, else /login',
        security: [],
        response: { 303: Redirect('/sessions or /login'), ...WEB_ERROR_RESPONSES },
      },
    },
    async (request, reply) =>
      redirect(reply, (await guard.loadSession(request)) === undefined ? '/login' : '/sessions'),
  );

  // ---- Sign in / out ------------------------------------------------------------------------

  app.get<{ Querystring: { next?: string } }>(
    '/login',
    {
      schema: pageSchema('The sign-in page', {
        signedIn: false,
        querystring: Type.Object({ next: FormField('A local path to go to after signing in') }),
      }),
    },
    async (request, reply) => {
      const next = safeNext(request.query.next);
      if ((await guard.loadSession(request)) !== undefined)
        return redirect(reply, next ?? '/sessions');
      request.webSession = null;
      return sendPage(
        reply,
        loginPage({
          loginCsrf: guard.loginToken(request, reply),
          notice: guard.takeFlash(request, reply),
          next,
        }),
      );
    },
  );

  app.post(
    '/login',
    {
      config: { body: 'form' },
      schema: formSchema(
        'Sign in (sets the session cookie)',
        {
          email: FormField('Email'),
          password: FormField('Password'),
          next: FormField('Where to go after'),
          _csrf: FormField("The sign-in form's anti-CSRF token (double-submitted in a cookie)"),
        },
        { signedIn: false, page: 400 },
      ),
    },
    async (request, reply) => {
      guard.checkSameOrigin(request);
      const email = formField(request, 'email')?.trim() ?? '';
      const next = safeNext(formField(request, 'next'));
      const again = (status: number, error: string) =>
        sendPage(
          reply,
          loginPage({ loginCsrf: guard.loginToken(request, reply), error, email, next }),
          status,
        );
      // No session yet: the form's token is double-submitted in a cookie. A stale form gets a fresh one.
      if (!guard.loginTokenMatches(request))
        return again(403, 'This sign-in form expired. Enter your password again.');
      if (email === '' || (formField(request, 'password') ?? '') === '')
        return again(400, 'Enter your email and your password.');
      try {
        const result = await login(ctx, {
          email,
          password: formField(request, 'password'),
          ip: request.clientIp,
          userAgent: String(request.headers['user-agent'] ?? ''),
        });
        if (result.refresh_token === undefined)
          throw new RevokdError('ERR_INTERNAL', 'login returned no refresh token');
        guard.setSession(
          request,
          reply,
          result.refresh_token,
          result.refresh_expires_in ?? ctx.config.refreshTtlSeconds,
        );
        return redirect(reply, next ?? '/sessions');
      } catch (err) {
        if (isCode(err, 'ERR_INVALID_CREDENTIALS'))
          return again(
            401,
            'That email and password do not match an active account. Check both and try again.',
          );
        if (isCode(err, 'ERR_VALIDATION'))
          return again(400, 'Enter a valid email address and password.');
        if (isCode(err, 'ERR_RATE_LIMITED')) {
          const minutes = Math.max(1, Math.ceil((err.retryAfterSeconds ?? 60) / 60));
          reply.header('retry-after', String(Math.ceil(err.retryAfterSeconds ?? 60)));
          return again(
            429,
            `Too many failed attempts for this account from your network. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
          );
        }
        throw err;
      }
    },
  );

  app.post(
    '/logout',
    {
      ...post,
      config: { ...post.config, beforePasswordChange: true },
      schema: formSchema('Sign out', {}),
    },
    async (request, reply) => {
      const { session, user } = request.webSession!;
      await revoke(
        ctx,
        { scope: 'session', sessionId: session.id },
        {
          initiator: 'user',
          reason: 'logout',
          actor: { type: 'user', id: user.id },
          ip: request.clientIp,
        },
      );
      guard.clearSession(request, reply);
      guard.setFlash(request, reply, { kind: 'success', text: 'You have signed out.' });
      return redirect(reply, '/login');
    },
  );

  // ---- Sessions -----------------------------------------------------------------------------

  app.get('/sessions', { ...page, schema: pageSchema('Your sessions') }, async (request, reply) => {
    const { user, session: current } = request.webSession!;
    const sessions = await ctx.stores.records.listLiveSessions(user.id, ctx.now());
    const rows = sessions
      .map((s) => ({
        id: s.id,
        createdAtMs: s.createdAtMs,
        lastUsedAtMs: s.lastUsedAtMs,
        ip: s.ip,
        lastIp: s.lastIp,
        userAgent: s.userAgent,
        current: s.id === current.id,
      }))
      .sort((a, b) => Number(b.current) - Number(a.current));
    return sendPage(
      reply,
      sessionsPage(guard.viewer(request), rows, guard.takeFlash(request, reply)),
    );
  });

  app.get(
    '/sessions/logout-all',
    { ...page, schema: pageSchema('Confirm: sign out everywhere') },
    async (request, reply) =>
      sendPage(reply, sessionsConfirmPage(guard.viewer(request), 'logout-all')),
  );
  app.get(
    '/sessions/not-me',
    { ...page, schema: pageSchema("Confirm: this wasn't me") },
    async (request, reply) => sendPage(reply, sessionsConfirmPage(guard.viewer(request), 'not-me')),
  );

  app.post<{ Params: { id: string } }>(
    '/sessions/:id/revoke',
    { ...post, schema: formSchema('Revoke one of your sessions', {}, { params: SessionIdParam }) },
    async (request, reply) => {
      const { user, session: current } = request.webSession!;
      const id = request.params.id;
      const target = SESSION_ID.test(id) ? await ctx.stores.records.findSession(id) : undefined;
      if (target === undefined || target.userId !== user.id || target.revokedAtMs !== null)
        throw new RevokdError('ERR_NOT_FOUND', 'no such session');
      await revoke(
        ctx,
        { scope: 'session', sessionId: id },
        { initiator: 'user', reason: 'logout', actor: userActor(request), ip: request.clientIp },
      );
      if (id === current.id) {
        guard.clearSession(request, reply);
        guard.setFlash(request, reply, {
          kind: 'success',
          text: 'You have signed out of this device.',
        });
        return redirect(reply, '/login');
      }
      guard.setFlash(request, reply, {
        kind: 'success',
        text: 'Session revoked. That device is signed out.',
      });
      return redirect(reply, '/sessions');
    },
  );

  app.post(
    '/sessions/logout-all',
    { ...post, schema: formSchema('Sign out everywhere', {}) },
    async (request, reply) => {
      const { user } = request.webSession!;
      const report = await revoke(
        ctx,
        { scope: 'user', userId: user.id },
        {
          initiator: 'user',
          reason: 'logout_all',
          actor: userActor(request),
          ip: request.clientIp,
        },
      );
      guard.clearSession(request, reply);
      guard.setFlash(request, reply, {
        kind: 'success',
        text: `You were signed out everywhere (${report.sessions} ${report.sessions === 1 ? 'session' : 'sessions'} ended).`,
      });
      return redirect(reply, '/login');
    },
  );

  // "This wasn't me": everything the user holds is revoked, and the security team hears of it.
  app.post(
    '/sessions/not-me',
    {
      ...post,
      schema: formSchema("This wasn't me: revoke everything and alert the security team", {}),
    },
    async (request, reply) => {
      const { user, session } = request.webSession!;
      const report = await reportCompromise(ctx, user, session.id, request.clientIp);
      guard.clearSession(request, reply);
      guard.setFlash(request, reply, {
        kind: 'success',
        text: `Done: ${report.sessions} ${report.sessions === 1 ? 'session' : 'sessions'} and ${report.apiTokens} API ${report.apiTokens === 1 ? 'token' : 'tokens'} revoked, and the security team was alerted. Sign in again, and change your password if you use it anywhere else.`,
      });
      return redirect(reply, '/login');
    },
  );

  // ---- API tokens ---------------------------------------------------------------------------

  const ownTokens = async (userId: string): Promise<ApiTokenRecord[]> =>
    (await ctx.stores.records.listApiTokens(userId)).filter((t) => !t.isCanary);

  const renderTokens = async (
    request: FastifyRequest,
    reply: FastifyReply,
    extra: {
      form?: TokenForm;
      created?: { name: string; token: string; expiresAtMs: number | null };
    } = {},
    status = 200,
  ) => {
    const userId = request.webSession!.user.id;
    return sendPage(
      reply,
      tokensPage(guard.viewer(request), {
        tokens: await ownTokens(userId),
        nowMs: ctx.now(),
        revokeAllAvailableAtMs: await ownerRevokeAllAvailableAt(ctx, userId),
        flash: guard.takeFlash(request, reply),
        ...extra,
      }),
      status,
    );
  };

  app.get('/tokens', { ...page, schema: pageSchema('Your API tokens') }, async (request, reply) =>
    renderTokens(request, reply),
  );

  app.post(
    '/tokens',
    {
      ...post,
      schema: formSchema(
        'Create an API token (the page shows the secret once: 201)',
        {
          name: FormField('Name'),
          scopes: FormField('Space-separated scopes'),
          expires: FormField('Days (30, 90, 365) or never'),
        },
        { page: 201 },
      ),
    },
    async (request, reply) => {
      const form = {
        name: formField(request, 'name') ?? '',
        scopes: formField(request, 'scopes') ?? '',
        expires: formField(request, 'expires') ?? '90',
      };
      if (!EXPIRY_CHOICES.some(([v]) => v === form.expires))
        return renderTokens(
          request,
          reply,
          { form: { ...form, error: 'Choose an expiry from the list.' } },
          400,
        );
      const scopes = form.scopes.trim() === '' ? [] : form.scopes.trim().split(/\s+/);
      try {
        const { record, token } = await createApiToken(ctx, {
          userId: request.webSession!.user.id,
          name: form.name,
          scopes,
          expiresInDays: form.expires === 'never' ? undefined : Number(form.expires),
          ip: request.clientIp,
        });
        // The secret is in this response only: never stored, never cached.
        return renderTokens(
          request,
          reply,
          { created: { name: record.name, token, expiresAtMs: record.expiresAtMs } },
          201,
        );
      } catch (err) {
        if (isCode(err, 'ERR_VALIDATION', 'ERR_INVALID_SCOPE', 'ERR_CONFLICT')) {
          const message = isCode(err, 'ERR_INVALID_SCOPE')
            ? 'Scopes are words separated by spaces (no quotes or backslashes), at most 50.'
            : isCode(err, 'ERR_CONFLICT')
              ? 'You have as many active tokens as allowed. Revoke one you no longer use first.'
              : 'Give the token a name of 1 to 100 characters.';
          return renderTokens(
            request,
            reply,
            { form: { ...form, error: message } },
            isCode(err, 'ERR_CONFLICT') ? 409 : 400,
          );
        }
        throw err;
      }
    },
  );

  const ownActiveToken = async (request: FastifyRequest, id: string): Promise<ApiTokenRecord> => {
    const token = UUID_PATTERN.test(id)
      ? await ctx.stores.records.findApiTokenById(id.toLowerCase())
      : undefined;
    if (token === undefined || token.userId !== request.webSession!.user.id || token.isCanary)
      throw new RevokdError('ERR_NOT_FOUND', 'no such token');
    return token;
  };

  app.get<{ Params: { id: string } }>(
    '/tokens/:id/revoke',
    { ...page, schema: pageSchema('Confirm: revoke a token', { params: TokenId }) },
    async (request, reply) => {
      const token = await ownActiveToken(request, request.params.id);
      if (!token.isActive) return redirect(reply, '/tokens');
      return sendPage(
        reply,
        tokenConfirmPage(
          guard.viewer(request),
          revokeTokenSpec(token, request.webSession!.csrfToken),
        ),
      );
    },
  );

  app.post<{ Params: { id: string } }>(
    '/tokens/:id/revoke',
    { ...post, schema: formSchema('Revoke one of your API tokens', {}, { params: TokenId }) },
    async (request, reply) => {
      const token = await ownActiveToken(request, request.params.id);
      try {
        await revokeApiToken(ctx, token.id, request.webSession!.user.id, {
          actor: userActor(request),
          initiator: 'user',
          reason: 'user_request',
          ip: request.clientIp,
        });
        guard.setFlash(request, reply, {
          kind: 'success',
          text: `Token “${token.name}” was revoked. Anything still using it is refused.`,
        });
      } catch (err) {
        if (!isCode(err, 'ERR_CONFLICT')) throw err;
        guard.setFlash(request, reply, {
          kind: 'info',
          text: `Token “${token.name}” was already revoked.`,
        });
      }
      return redirect(reply, '/tokens');
    },
  );

  app.get(
    '/tokens/revoke-all',
    { ...page, schema: pageSchema('Confirm: revoke all your API tokens') },
    async (request, reply) => {
      const live = (await ownTokens(request.webSession!.user.id)).filter((t) => t.isActive).length;
      return sendPage(
        reply,
        tokenConfirmPage(guard.viewer(request), revokeAllSpec(request.webSession!.csrfToken, live)),
      );
    },
  );

  app.post(
    '/tokens/revoke-all',
    { ...post, schema: formSchema('Revoke all your API tokens (once an hour)', {}) },
    async (request, reply) => {
      const userId = request.webSession!.user.id;
      try {
        const revoked = await revokeAllApiTokensOfOwner(ctx, userId, {
          actor: userActor(request),
          initiator: 'user',
          reason: 'revoke_all_api_tokens',
          ip: request.clientIp,
        });
        guard.setFlash(request, reply, {
          kind: 'success',
          text: `Revoked ${revoked.length} ${revoked.length === 1 ? 'token' : 'tokens'}. Revoke all can be used again in an hour.`,
        });
      } catch (err) {
        if (!isCode(err, 'ERR_RATE_LIMITED')) throw err;
        const minutes = Math.max(1, Math.ceil((err.retryAfterSeconds ?? 3600) / 60));
        guard.setFlash(request, reply, {
          kind: 'error',
          text: `Revoke all can be used once an hour. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}, or revoke tokens one by one.`,
        });
      }
      return redirect(reply, '/tokens');
    },
  );
}
