/**
 * Admin actions on one user's credentials and state (admin role):
 *  - `POST /api/v1/admin/users/{id}/password` `{new_password}` sets the password and revokes every
 *    session of the user (`password_reset`);
 *  - `POST /api/v1/admin/users/{id}/enable` lets a disabled user sign in again; what the disable
 *    revoked stays revoked.
 * Disabling stays in admin.ts, beside create and list.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { resetPassword } from '../../app/passwords.js';
import { enableUser } from '../../app/users.js';
import { RevokdError } from '../../core/errors.js';
import { UUID_PATTERN } from '../../core/ids.js';
import { MAX_PASSWORD_BYTES } from '../../core/passwords.js';
import { bearerGuard, requireUser } from '../bearer-guard.js';
import { SECURITY } from '../openapi.js';
import { ERROR_RESPONSES } from '../schemas/error.js';
import { UuidParam } from '../schemas/ids.js';
import { Closed } from '../schemas/shapes.js';

// The schema's x-invalid gives the readable message of every other user route ("user id must be a UUID").
const UserIdParams = UuidParam('user id');

function userIdOf(request: FastifyRequest<{ Params: { id: string } }>): string {
  if (!UUID_PATTERN.test(request.params.id))
    throw new RevokdError('ERR_VALIDATION', 'user id must be a UUID');
  return request.params.id.toLowerCase();
}

const PasswordResetBody = Type.Object(
  {
    new_password: Type.String({
      minLength: 1,
      maxLength: MAX_PASSWORD_BYTES,
      description:
        'At least 8 characters, at most 1024 bytes, and not easy to guess (zxcvbn score ≥ 3)',
    }),
  },
  { additionalProperties: false },
);

const PasswordResetResponse = Closed({
  user_id: Type.String(),
  password_reset: Type.Literal(true),
  revoked: Closed({
    sessions: Type.Integer({
      description: 'Sessions of the user that were live and are now revoked',
    }),
  }),
});

const EnableResponse = Closed({
  user_id: Type.String(),
  disabled: Type.Literal(false),
  changed: Type.Boolean({ description: 'False when the user was not disabled' }),
});

export function adminUserStateRoutes(app: FastifyInstance, ctx: AppContext): void {
  const admin = bearerGuard(ctx, { role: 'admin' });
  const actorOf = (request: FastifyRequest) => ({
    type: 'admin' as const,
    id: requireUser(request).id,
  });

  app.post<{ Params: { id: string }; Body: { new_password: string } }>(
    '/api/v1/admin/users/:id/password',
    {
      preHandler: admin,
      config: { body: 'json' },
      schema: {
        tags: ['admin'],
        summary: "Set a user's password (revokes every session of the user)",
        security: SECURITY.bearer,
        params: UserIdParams,
        body: PasswordResetBody,
        response: { 200: PasswordResetResponse, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const userId = userIdOf(request);
      const result = await resetPassword(
        ctx,
        userId,
        request.body.new_password,
        actorOf(request),
        request.clientIp,
      );
      return reply.header('cache-control', 'no-store').send({
        user_id: userId,
        password_reset: true,
        revoked: { sessions: result.sessionsRevoked },
      });
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/admin/users/:id/enable',
    {
      preHandler: admin,
      config: { body: 'none' },
      schema: {
        tags: ['admin'],
        summary: 'Let a disabled user sign in again (what the disable revoked stays revoked)',
        security: SECURITY.bearer,
        params: UserIdParams,
        response: { 200: EnableResponse, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const userId = userIdOf(request);
      const { changed } = await enableUser(ctx, userId, actorOf(request), request.clientIp);
      return { user_id: userId, disabled: false as const, changed };
    },
  );
}
