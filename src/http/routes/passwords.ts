/**
 * `POST /api/v1/auth/password` (SPEC §5.1): a signed-in user changes their own password with the
 * current one. Every session of the user ends in the change's commit (one user-scope revocation,
 * `password_change`); the one that asked is re-issued: 200 with its new access and refresh tokens
 * (same session_id), since the tokens it presented are dead too. Wrong current passwords count
 * like failed sign-ins (app/password-attempts).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { changeOwnPassword } from '../../app/passwords.js';
import { MAX_PASSWORD_BYTES } from '../../core/passwords.js';
import { bearerGuard } from '../bearer-guard.js';
import { SECURITY } from '../openapi.js';
import { ERROR_RESPONSES } from '../schemas/error.js';
import { TokenResponse } from '../schemas/tokens.js';

export const PasswordChangeBody = Type.Object(
  {
    current_password: Type.String({
      minLength: 1,
      maxLength: MAX_PASSWORD_BYTES,
      description: 'The password the user signs in with now',
    }),
    new_password: Type.String({
      minLength: 1,
      maxLength: MAX_PASSWORD_BYTES,
      description:
        'At least 8 characters, at most 1024 bytes, and not easy to guess (zxcvbn score ≥ 3)',
    }),
  },
  { additionalProperties: false },
);

export function passwordRoutes(app: FastifyInstance, ctx: AppContext): void {
  // A user's own access token: not an API token, not a client_credentials token (no user).
  const userBearer = bearerGuard(ctx, { userOnly: true, loadUser: true });

  app.post(
    '/api/v1/auth/password',
    {
      preHandler: userBearer,
      // The way out for a user with a generated password (password-change-gate.ts).
      config: { body: 'json', beforePasswordChange: true },
      schema: {
        tags: ['auth'],
        summary: 'Change your password (other sessions are revoked; this one is re-issued)',
        security: SECURITY.bearer,
        body: PasswordChangeBody,
        response: { 200: TokenResponse, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { claims } = request.auth!.token;
      const body = request.body as { current_password: string; new_password: string };
      const changed = await changeOwnPassword(ctx, {
        userId: claims.sub,
        sessionId: claims.sid,
        currentPassword: body.current_password,
        newPassword: body.new_password,
        ip: request.clientIp,
      });
      return reply.code(200).header('cache-control', 'no-store').send(changed.tokens);
    },
  );
}
