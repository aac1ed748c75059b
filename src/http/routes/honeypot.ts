/**
 * Honeypot paths (REVOKD_HONEYPOT_PATHS): nothing legitimate asks for `/.env` or `/wp-login.php`
 * on a token service. A hit is recorded against the caller's address and answered exactly like any
 * unknown path; enough hits block the address (SecurityMonitor).
 *
 * Only hits a browser cannot have been led to count: another site can make a visitor's browser
 * request any URL (`<img src>`), and such a request says `Sec-Fetch-Site: cross-site` or
 * `same-site`; it is answered 404 and not counted, so no web page can get its visitors blocked.
 * Hits are also rate-limited per address (in memory, before any store write), so a flood of them
 * cannot flood the store with audit rows and counter writes.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app/context.js';
import { DIRECT } from '../../core/events.js';
import { AddressBudget } from '../../core/containment/address-budget.js';
import { RevokdError } from '../../core/errors.js';

/** Hits recorded per address (counting key) per minute, and in all per minute; more are answered but not recorded. */
export const HONEYPOT_BUDGET = {
  perKey: 10,
  total: 600,
  windowMs: 60_000,
  maxKeys: 10_000,
} as const;

/** A request another site may have made the browser send (Fetch Metadata). */
function mayBeLedByAnotherSite(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  const value = (Array.isArray(site) ? site.join(',') : (site ?? '')).toLowerCase();
  return value.includes('cross-site') || value.includes('same-site');
}

export function honeypotRoutes(app: FastifyInstance, ctx: AppContext): void {
  const budget = new AddressBudget(HONEYPOT_BUDGET);
  for (const path of ctx.config.honeypotPaths) {
    if (!path.startsWith('/')) continue;
    // Hidden from GET /openapi.json: a published list of decoys is a list of paths to avoid.
    // ignoresInput: a NUL in the query would otherwise be a 400 here and a 404 on a real unknown path.
    app.all(path, { schema: { hide: true }, config: { ignoresInput: true } }, async (request) => {
      if (!mayBeLedByAnotherSite(request) && budget.take(request.clientKey, ctx.now())) {
        ctx.events.emit('deception_hit', {
          kind: 'honeypot',
          ip: request.clientIp,
          detail: `${request.method} ${path}`,
          via: DIRECT,
        });
        // Wait for the count (and a block, at the threshold) to be committed before answering.
        await ctx.security.monitor.settled();
      }
      throw new RevokdError('ERR_NOT_FOUND', 'no such resource');
    });
  }
}
