/**
 * Honeypot paths (REVOKD_HONEYPOT_PATHS): nothing legitimate asks for `/.env` or `/wp-login.php`
 * on a token service. A hit is recorded against the caller's address and answered exactly like any
 * unknown path; enough hits block the address (SecurityMonitor).
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { RevokdError } from '../../core/errors.js';

export function honeypotRoutes(app: FastifyInstance, ctx: AppContext): void {
  for (const path of ctx.config.honeypotPaths) {
    if (!path.startsWith('/')) continue;
    app.all(path, async (request) => {
      ctx.events.emit('deception_hit', { kind: 'honeypot', ip: request.clientIp, detail: `${request.method} ${path}` });
      // Wait for the count (and a block, at the threshold) to be committed before answering.
      await ctx.security.monitor.settled();
      throw new RevokdError('ERR_NOT_FOUND', 'no such resource');
    });
  }
}
