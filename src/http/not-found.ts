/**
 * Unknown paths. The API answers with its JSON error shape (SPEC §5) whatever is asked for; any
 * other path asked for by a browser (its `Accept` prefers HTML) gets the UI's own 404 page, so a
 * mistyped UI link shows a page with a way back instead of raw JSON.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorPage } from '../../web/pages/error.js';
import { RevokdError } from '../core/errors.js';
import { sendError } from './send-error.js';
import { SECURITY_HEADERS, sendPage } from './web-guard.js';

/** Paths that are the API's, always JSON: a client there wants a parseable error. */
const API_PATH = /^\/(?:api|oauth|\.well-known)(?:[/?]|$)/;

/** The `q` of the most specific range in `accept` that matches `type` (`text/html`), 0 if none. */
function qualityOf(accept: string, type: string): number {
  const [major] = type.split('/');
  let best = { specificity: -1, q: 0 };
  for (const range of accept.split(',')) {
    const [media = '', ...params] = range.split(';').map((s) => s.trim().toLowerCase());
    const specificity = media === type ? 2 : media === `${major}/*` ? 1 : media === '*/*' ? 0 : -1;
    if (specificity <= best.specificity) continue;
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    best = { specificity, q: Number.isFinite(q) ? q : 0 };
  }
  return best.q;
}

/**
 * Whether `accept` names HTML and wants it at least as much as JSON (a browser's navigation does).
 * HTML must be named: `*\/*` alone (curl, most HTTP libraries) keeps the JSON answer.
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (accept === undefined || !accept.toLowerCase().includes('text/html')) return false;
  const html = qualityOf(accept, 'text/html');
  return html > 0 && html >= qualityOf(accept, 'application/json');
}

function notFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (!API_PATH.test(request.url) && prefersHtml(request.headers.accept)) {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    return sendPage(
      reply,
      errorPage({
        status: 404,
        title: 'Page not found',
        message:
          'There is no page at this address. Check the link, or start again from your account.',
      }),
      404,
    );
  }
  return sendError(reply, new RevokdError('ERR_NOT_FOUND', 'no such resource'));
}

/** Sets the handler for every path no route matches. */
export function installNotFound(app: FastifyInstance): void {
  app.setNotFoundHandler(notFound);
}
