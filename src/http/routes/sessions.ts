/** A user's own sessions (SPEC §5.1): list them, revoke one. Another user's session is a 404. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { revoke } from '../../app/revoke.js';
import { RevokdError } from '../../core/errors.js';
import { bearerGuard, bearerSubject } from '../bearer-guard.js';
import { Type } from '@sinclair/typebox';
import { SECURITY } from '../openapi.js';
import { ERROR_RESPONSES } from '../schemas/error.js';
import { SessionIdParam } from '../schemas/ids.js';
import { Closed, IsoTime, Nullable } from '../schemas/shapes.js';

const SessionView = Closed({
  id: Type.String(),
  created_at: IsoTime,
  last_used_at: IsoTime,
  ip: Nullable(Type.String()),
  user_agent: Nullable(Type.String()),
  current: Type.Boolean({ description: 'The session of the presented token' }),
});

const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function sessionRoutes(app: FastifyInstance, ctx: AppContext): void {
  const bearer = bearerGuard(ctx, { userOnly: true });

  app.get(
    '/api/v1/sessions',
    {
      preHandler: bearer,
      schema: {
        tags: ['sessions'],
        summary: 'Your live sessions',
        security: SECURITY.bearer,
        response: { 200: Type.Array(SessionView), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const sub = bearerSubject(request);
      const current = request.auth!.token.claims.sid;
      const sessions = await ctx.stores.records.listLiveSessions(sub, ctx.now());
      return sessions.map((s) => ({
        id: s.id,
        created_at: new Date(s.createdAtMs).toISOString(),
        last_used_at: new Date(s.lastUsedAtMs).toISOString(),
        ip: s.lastIp,
        user_agent: s.userAgent,
        current: s.id === current,
      }));
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/sessions/:id',
    {
      preHandler: bearer,
      schema: {
        tags: ['sessions'],
        summary: "Revoke one of your sessions (another user's is a 404)",
        security: SECURITY.bearer,
        params: SessionIdParam,
        response: { 204: Type.Null({ description: 'Revoked' }), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const sub = bearerSubject(request);
      const id = request.params.id;
      const session = SESSION_ID.test(id) ? await ctx.stores.records.findSession(id) : undefined;
      if (session === undefined || session.userId !== sub || session.revokedAtMs !== null) {
        throw new RevokdError('ERR_NOT_FOUND', 'no such session');
      }
      await revoke(
        ctx,
        { scope: 'session', sessionId: id },
        {
          initiator: 'user',
          reason: 'logout',
          actor: { type: 'user', id: sub },
          ip: request.clientIp,
        },
      );
      return reply.code(204).send();
    },
  );
}
