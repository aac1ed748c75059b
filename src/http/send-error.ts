/**
 * One error shape for every failure: `{error, error_description, code}` (SPEC §5), with
 * `WWW-Authenticate` on every 401 (RFC 7235 §3.1) and `Retry-After` on 429 and 503.
 */
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import {
  ERROR_CATALOGUE,
  type ErrorCode,
  RevokdError,
  isBearerFailure,
  isRevokdError,
} from '../core/errors.js';
import { validationFailure } from './validation.js';

export function errorBody(err: RevokdError): {
  error: string;
  error_description: string;
  code: ErrorCode;
} {
  return { error: err.oauthError, error_description: err.message, code: err.code };
}

export function sendError(reply: FastifyReply, err: RevokdError): FastifyReply {
  if (err.status === 401) reply.header('www-authenticate', challengeFor(err));
  if (err.retryAfterSeconds !== undefined)
    reply.header('retry-after', String(Math.max(1, Math.ceil(err.retryAfterSeconds))));
  return reply.code(err.status).type('application/json; charset=utf-8').send(errorBody(err));
}

function challengeFor(err: RevokdError): string {
  if (err.code === 'ERR_INVALID_CLIENT') return 'Basic realm="revokd"';
  if (isBearerFailure(err.code)) {
    return `Bearer realm="revokd", error="invalid_token", error_description="${err.message.replace(/["\\]/g, '')}"`;
  }
  return 'Bearer realm="revokd"';
}

/** Maps whatever was thrown to a RevokdError; framework 4xx errors keep their status. */
export function toRevokdError(err: unknown, request?: FastifyRequest): RevokdError {
  if (isRevokdError(err)) return err;
  const fe = err as Partial<FastifyError> & { statusCode?: number };
  const status = fe.statusCode;
  // A schema failure on a route without attachValidation (validation.ts attaches it everywhere).
  if (fe.validation !== undefined) return validationFailure(fe, request);
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const byStatus: Partial<Record<number, ErrorCode>> = {
      401: 'ERR_INVALID_TOKEN',
      404: 'ERR_NOT_FOUND',
      413: 'ERR_PAYLOAD_TOO_LARGE',
      415: 'ERR_UNSUPPORTED_MEDIA_TYPE',
      429: 'ERR_RATE_LIMITED',
    };
    const code = byStatus[status] ?? 'ERR_BAD_REQUEST';
    return new RevokdError(code, describeFrameworkError(fe, status));
  }
  return new RevokdError('ERR_INTERNAL', 'internal error');
}

function describeFrameworkError(fe: Partial<FastifyError>, status: number): string {
  if (status === 413) return 'request body is too large';
  if (status === 415) return 'unsupported content type';
  if (fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
    return 'body must not be empty when content-type is application/json';
  if (fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fe instanceof SyntaxError)
    return 'body is not valid JSON';
  return fe.message ?? 'bad request';
}

export function installErrorHandling(app: import('fastify').FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const mapped = toRevokdError(err, request);
    if (mapped.status >= 500 && mapped.code !== 'ERR_STORE_UNAVAILABLE')
      request.log.error({ err }, 'unhandled error');
    else if (mapped.code === 'ERR_STORE_UNAVAILABLE')
      request.log.warn({ err }, 'store unavailable');
    // The store refused a value (PostgreSQL class 22): the 400 is right, but an edge check is
    // missing. Logged without the cause, whose text may quote the value.
    else if (mapped.code === 'ERR_BAD_REQUEST' && mapped.cause !== undefined)
      request.log.warn({ route: request.routeOptions.url }, mapped.message);
    return sendError(reply, mapped);
  });
}

/**
 * Fastify `frameworkErrors`: a URL that does not decode or a path parameter over the length limit is
 * answered before routing; give it the same error shape as everything else.
 */
export function frameworkErrorHandler(
  err: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  const message =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'a path parameter is too long'
      : err.code === 'FST_ERR_BAD_URL'
        ? 'the URL is not valid'
        : 'bad request';
  void sendError(reply, new RevokdError('ERR_BAD_REQUEST', message));
}

/**
 * Fastify `clientErrorHandler`: requests Node's HTTP parser refuses (oversize headers, malformed
 * request lines or header values) never reach a route; answer them in the same shape (SPEC §5), then
 * close the connection, as Node and Fastify do.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, error] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [
          431,
          'Request Header Fields Too Large',
          new RevokdError('ERR_HEADERS_TOO_LARGE', 'request headers are too large'),
        ]
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', new RevokdError('ERR_BAD_REQUEST', 'request timed out')]
        : [400, 'Bad Request', new RevokdError('ERR_BAD_REQUEST', 'malformed HTTP request')];
  const body = JSON.stringify(errorBody(error));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

export const KNOWN_STATUS = new Set(Object.values(ERROR_CATALOGUE).map((e) => e.status));
