/**
 * The forward-auth gateway's HTTP surface, over one verifier:
 * - `/auth` and any path under it (Envoy's ext_authz appends the original path): the bearer token
 *   checked by the middleware core (authenticateBearer: the same statuses and RFC 6750 challenges
 *   as every adapter), then the scopes the proxy requires in `X-Revokd-Require-Scope`; 200 carries
 *   the identity in `X-Revokd-Sub`, `X-Revokd-Client-Id`, `X-Revokd-Scope`, `X-Revokd-Sid`;
 * - `/healthz`: 200 when the verifier can decide, 503 otherwise, with its status as JSON;
 * - `/metrics`: the Prometheus registry, when there is one.
 * The request body is never read, and any method is answered (proxies forward the original one).
 */
import type http from 'node:http';
import { RevokdError } from '#core/errors.js';
import type { AccessClaims } from '#core/tokens/access-token.js';
import { authenticateBearer, isScopeToken } from '../adapters/bearer-auth.js';
import type { Verifier } from '../create-verifier.js';

/** The request header a proxy sets to require scopes (space-separated, all required). */
export const REQUIRE_SCOPE_HEADER = 'x-revokd-require-scope';

/** The identity headers of a 200, in the order documented. */
export const IDENTITY_HEADERS = [
  'x-revokd-sub',
  'x-revokd-client-id',
  'x-revokd-scope',
  'x-revokd-sid',
] as const;

export interface GatewayHandlerOptions {
  readonly realm: string;
  /** A prom-client registry to expose at /metrics. */
  readonly registry?: { metrics(): Promise<string>; readonly contentType: string } | undefined;
  /** Called with the status of each /auth answer (for a counter). */
  readonly onAuthAnswer?: (status: number) => void;
}

const HEADER_VALUE = /^[\x20-\x7e]*$/;

export function gatewayHandler(
  verifier: Verifier,
  options: GatewayHandlerOptions,
): http.RequestListener {
  return (req, res) => {
    handle(verifier, options, req, res).catch((err: unknown) => {
      process.stderr.write(
        `revokd-verifier: ${req.method} ${req.url}: ${err instanceof Error ? err.stack : String(err)}\n`,
      );
      if (!res.headersSent)
        send(
          res,
          req,
          500,
          { 'cache-control': 'no-store' },
          errorBody(new RevokdError('ERR_INTERNAL', 'internal error')),
        );
      else res.destroy();
    });
  };
}

async function handle(
  verifier: Verifier,
  options: GatewayHandlerOptions,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const path = (req.url ?? '/').split('?', 1)[0] as string;
  if (path === '/auth' || path.startsWith('/auth/')) {
    const [status, headers, body] = await authenticate(verifier, options.realm, req);
    options.onAuthAnswer?.(status);
    send(res, req, status, headers, body);
    return;
  }
  if (path === '/healthz') {
    const s = verifier.status();
    const headers: Record<string, string> = { 'cache-control': 'no-store' };
    if (!s.canDecide) headers['retry-after'] = '1';
    send(
      res,
      req,
      s.canDecide ? 200 : 503,
      headers,
      JSON.stringify({
        status: s.canDecide ? 'ok' : 'unavailable',
        canDecide: s.canDecide,
        stale: s.stale,
        stalenessMs: s.stalenessMs,
        streamConnected: s.streamConnected,
        ...(s.streamProblem === undefined ? {} : { streamProblem: s.streamProblem }),
        failOpenAccepted: s.failOpenAccepted,
        streamProofMismatches: s.streamProofMismatches,
      }),
    );
    return;
  }
  if (path === '/metrics' && options.registry !== undefined) {
    send(
      res,
      req,
      200,
      { 'content-type': options.registry.contentType, 'cache-control': 'no-store' },
      await options.registry.metrics(),
    );
    return;
  }
  send(
    res,
    req,
    404,
    {},
    errorBody(
      new RevokdError(
        'ERR_NOT_FOUND',
        `no route ${path}: /auth, /healthz${options.registry === undefined ? '' : ', /metrics'}`,
      ),
    ),
  );
}

type Answer = [status: number, headers: Record<string, string>, body: string];

async function authenticate(
  verifier: Verifier,
  realm: string,
  req: http.IncomingMessage,
): Promise<Answer> {
  const required = requiredScopes(req.headers[REQUIRE_SCOPE_HEADER]);
  if (required === undefined) {
    // The proxy's configuration is wrong: refuse (fail closed), and say why.
    return [
      500,
      { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
      errorBody(
        new RevokdError(
          'ERR_INTERNAL',
          `${REQUIRE_SCOPE_HEADER} must be one header of space-separated scope tokens (RFC 6750 §3)`,
        ),
      ),
    ];
  }
  // The middleware core decides every refusal, 403 insufficient_scope included, as for every adapter.
  const result = await authenticateBearer(verifier, req.headers.authorization, {
    realm,
    requireScopes: required,
  });
  if (!result.ok) return [result.status, { ...result.headers }, JSON.stringify(result.body)];
  const claims = result.claims;
  const identity = identityHeaders(claims);
  if (identity === undefined) {
    return [
      500,
      { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
      errorBody(new RevokdError('ERR_INTERNAL', 'a claim cannot be sent as a header')),
    ];
  }
  return [200, { ...identity, 'cache-control': 'no-store' }, ''];
}

/** The scopes required (maybe none), or undefined when the header is malformed. */
function requiredScopes(header: string | string[] | undefined): string[] | undefined {
  if (header === undefined) return [];
  if (Array.isArray(header)) return undefined;
  const scopes = header.split(' ').filter((s) => s !== '');
  return scopes.every(isScopeToken) ? scopes : undefined;
}

function identityHeaders(claims: AccessClaims): Record<string, string> | undefined {
  const values = [claims.sub, claims.client_id, claims.scope, claims.sid ?? ''];
  if (!values.every((v) => typeof v === 'string' && HEADER_VALUE.test(v))) return undefined;
  return Object.fromEntries(IDENTITY_HEADERS.map((name, i) => [name, values[i] as string]));
}

function errorBody(err: RevokdError): string {
  return JSON.stringify({ error: err.oauthError, error_description: err.message, code: err.code });
}

function send(
  res: http.ServerResponse,
  req: http.IncomingMessage,
  status: number,
  headers: Record<string, string>,
  body: string,
): void {
  const all: Record<string, string> = {
    ...headers,
    'content-length': String(Buffer.byteLength(body)),
  };
  if (body !== '' && all['content-type'] === undefined)
    all['content-type'] = 'application/json; charset=utf-8';
  res.writeHead(status, all);
  res.end(req.method === 'HEAD' ? undefined : body);
}
