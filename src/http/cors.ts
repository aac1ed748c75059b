/**
 * CORS for browser apps on other origins (`REVOKD_CORS_ORIGINS`; off when empty). Only the API
 * answers them — bearer tokens in `Authorization`, never cookies: no
 * `Access-Control-Allow-Credentials`, so a browser neither sends the UI's session cookie on a
 * cross-origin fetch it can read nor lets the page read a cookie-authenticated answer. The web UI's
 * cookie routes get no CORS headers at all (and an unlisted origin gets none anywhere), so the
 * browser keeps blocking them.
 */
import cors from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** The paths a cross-origin app may call: the JSON API, the OAuth endpoints, discovery and JWKS. */
const API_PATH = /^\/(?:api\/v1\/|oauth\/|\.well-known\/)/;

/**
 * How long a browser may reuse a preflight answer, in seconds (Chromium caps it at 7200). Long is
 * safe: it caches only "this origin may send these headers", and every real answer is checked again.
 */
export const CORS_PREFLIGHT_MAX_AGE_SECONDS = 7200;

/** Whether `url` (a request target, query and all) is one of the routes CORS applies to. */
export function isCorsPath(url: string): boolean {
  return API_PATH.test(url);
}

/** Registers CORS for `origins` (exact strings, validated by the config); does nothing when empty. */
export async function installCors(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  const allowed = {
    origin: [...origins],
    methods: ['GET', 'HEAD', 'POST', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    exposedHeaders: ['WWW-Authenticate', 'Retry-After'],
    credentials: false,
    maxAge: CORS_PREFLIGHT_MAX_AGE_SECONDS,
    // Preflight is answered here, before any route or auth hook (a preflight carries no credentials).
    preflight: true,
    strictPreflight: true,
  };
  const off = { origin: false as const };
  await app.register(cors, {
    delegator: (
      request: FastifyRequest,
      callback: (error: Error | null, options: typeof allowed | typeof off) => void,
    ) => {
      callback(null, isCorsPath(request.url) ? allowed : off);
    },
  });
}
