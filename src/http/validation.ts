/**
 * Request validation comes from the route schemas (src/http/schemas/, and each route's `schema`):
 * the same schemas @fastify/swagger turns into GET /openapi.json. This file makes that validation
 * behave like the rest of the service:
 *
 * - No type coercion (`coerceTypes: false`): `{"include_api_tokens": "true"}` is refused, not read
 *   as true, and a repeated query parameter (an array) is refused where one value is expected.
 * - Except in query strings, where every value is text: a parameter its schema declares an integer
 *   or a boolean is read as one before the schema runs (see {@link queryCoercion}), so a route's
 *   query schema (Type.Integer with minimum/maximum, Type.Boolean) is its only check.
 * - Authentication first: a failed schema is remembered (`attachValidation`) and reported by a
 *   preHandler appended after the route's own (the bearer/web guards, the OAuth client check), so
 *   an unauthenticated caller still gets its 401, not a description of what the body lacks.
 * - The project's error shape: a failure is a RevokdError (ERR_VALIDATION, or the route's
 *   `config.validationCode`) with a sentence a person can read, built from the first failing
 *   keyword; a schema may carry its own sentence in `x-invalid` (e.g. "user id must be a UUID").
 * - No NUL bytes: a NUL in any string of the body, query string or path parameters is refused with
 *   the same 400, after the schema's own failures (nul-bytes.ts says why and what is exempt). Every
 *   route gets this check, with a schema or without, except those marked `config.ignoresInput`.
 * - Responses are serialized with JSON.stringify, not compiled from the response schemas
 *   (fast-json-stringify drops properties a schema does not list). A field missing from a response
 *   schema is then a failing conformance test, never data silently lost on the wire.
 */
import type {
  FastifyInstance,
  FastifyRequest,
  FastifySchemaValidationError,
  FastifyServerOptions,
  RouteOptions,
  preHandlerAsyncHookHandler,
  preValidationAsyncHookHandler,
} from 'fastify';
import { type ErrorCode, RevokdError } from '../core/errors.js';
import { fieldWithNul } from './nul-bytes.js';

/** Fastify's `ajv` server option. `verbose` gives each error its schema (for `x-invalid`); errors are never logged. */
export const AJV_OPTIONS: NonNullable<FastifyServerOptions['ajv']> = {
  customOptions: { coerceTypes: false, verbose: true },
  onCreate: (ajv) => {
    // An annotation, not a check: the refusal message a schema carries (see validationFailure).
    ajv.addKeyword({ keyword: 'x-invalid', schemaType: 'string' });
    // An annotation read by the NUL check (nul-bytes.ts, PRESENTED_TOKEN).
    ajv.addKeyword({ keyword: 'x-presented-token', schemaType: 'boolean' });
  },
};

interface ValidationErrorLike {
  readonly validation?: FastifySchemaValidationError[];
  readonly validationContext?: string;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  boolean: 'a boolean',
  integer: 'a whole number',
  number: 'a number',
  array: 'a list',
  object: 'a JSON object',
  null: 'null',
};

/** The field an error is about, as a person writes it: `scopes[0]`, `revoked.sessions`. */
function fieldOf(instancePath: string, context: string): string {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (parts.length === 0) return context === 'body' ? 'body' : context;
  return parts.reduce(
    (name, part) =>
      /^\d+$/.test(part) ? `${name}[${part}]` : name === '' ? part : `${name}.${part}`,
    '',
  );
}

/** One readable sentence for the first failing keyword of a schema. */
export function describeValidationError(
  error: FastifySchemaValidationError & { parentSchema?: Record<string, unknown>; data?: unknown },
  context: string,
  bodyAbsent: boolean,
): string {
  const field = fieldOf(error.instancePath, context);
  const params = error.params;
  const parent = error.parentSchema ?? {};
  if (error.keyword === 'required') return `${String(params.missingProperty)} is required`;
  // Query parameters arrive as strings, or as a list when repeated.
  if (error.keyword === 'type' && context === 'querystring' && Array.isArray(error.data))
    return `${field} must be given once`;
  if (typeof parent['x-invalid'] === 'string') return parent['x-invalid'];
  if (context === 'body' && error.instancePath === '' && error.keyword === 'type') {
    return bodyAbsent ? 'a JSON object body is required' : 'body must be a JSON object';
  }
  switch (error.keyword) {
    case 'type':
      return `${field} must be ${TYPE_WORDS[String(params.type)] ?? String(params.type)}`;
    case 'enum':
      return `${field} must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'const':
      return `${field} must be ${JSON.stringify(params.allowedValue)}`;
    case 'minLength':
      return Number(params.limit) === 1
        ? `${field} must not be empty`
        : `${field} must be at least ${String(params.limit)} characters`;
    case 'maxLength':
      return typeof parent.minLength === 'number' && parent.minLength > 0
        ? `${field} must be a non-empty string of at most ${String(params.limit)} characters`
        : `${field} must be at most ${String(params.limit)} characters`;
    case 'minimum':
    case 'maximum':
      return typeof parent.minimum === 'number' && typeof parent.maximum === 'number'
        ? `${field} must be between ${parent.minimum} and ${parent.maximum}`
        : `${field} ${error.message ?? 'is out of range'}`;
    case 'maxItems':
      return `${field} may have at most ${String(params.limit)} items`;
    case 'pattern':
    case 'format':
      return `${field} is not in the expected format`;
    default:
      return `${field} ${error.message ?? 'is not valid'}`;
  }
}

/** A schema failure as the project's 400 (used by the preHandler below and the error handler). */
export function validationFailure(
  err: ValidationErrorLike,
  request: FastifyRequest | undefined,
): RevokdError {
  const first = err.validation?.[0];
  const context = err.validationContext ?? 'body';
  const code: ErrorCode = request?.routeOptions.config.validationCode ?? 'ERR_VALIDATION';
  if (first === undefined) return new RevokdError(code, 'invalid request');
  return new RevokdError(
    code,
    describeValidationError(first, context, request?.body === undefined),
  );
}

const reportValidation: preHandlerAsyncHookHandler = async function reportValidation(request) {
  const failed = (request as FastifyRequest & { validationError?: ValidationErrorLike })
    .validationError;
  if (failed !== undefined) throw validationFailure(failed, request);
  const withNul = fieldWithNul(request);
  if (withNul !== undefined) {
    throw new RevokdError(
      request.routeOptions.config.validationCode ?? 'ERR_VALIDATION',
      `${withNul} must not contain a NUL character (\\u0000)`,
    );
  }
};

type QueryValues = Record<string, unknown>;
interface QueryProperty {
  readonly type?: unknown;
  readonly default?: unknown;
}

/** A whole number as a query string writes it: digits only (no sign, exponent, hex or spaces), safe as a JS number. */
const DECIMAL = /^\d{1,15}$/;

/**
 * The query-string half of validation: integers and booleans read from their text, for the
 * parameters the route's querystring schema declares so, before Ajv runs. Deliberately narrower
 * than Ajv's `coerceTypes` (which would read " 5", "0x10" or "1e2" as numbers, and which would
 * also coerce JSON bodies — those must never be):
 * - integer: plain decimal digits (at most 15) become a number; anything else stays text and fails
 *   the schema's type ("limit must be a whole number") or its range ("limit must be between 1 and 500");
 * - boolean: `true` / `false` become booleans; anything else stays text and fails the schema;
 * - an empty value (`?limit=`) is absent, so the schema's default applies — for a boolean, and for
 *   an integer that has a default (one without, like `seq`, must be given a value);
 * - a repeated parameter (an array) is left alone: the schema refuses it ("limit must be given once").
 * Undefined when the schema declares no integer or boolean parameter.
 */
export function queryCoercion(schema: unknown): ((query: QueryValues) => void) | undefined {
  const properties = (schema as { properties?: Record<string, QueryProperty> } | undefined)
    ?.properties;
  if (properties === undefined || properties === null || typeof properties !== 'object')
    return undefined;
  const typed = Object.entries(properties).filter(
    ([, p]) => p.type === 'integer' || p.type === 'boolean',
  );
  if (typed.length === 0) return undefined;
  return (query) => {
    for (const [name, property] of typed) {
      const value = query[name];
      if (typeof value !== 'string') continue;
      if (value === '') {
        if (property.type === 'boolean' || property.default !== undefined) delete query[name];
      } else if (property.type === 'integer') {
        if (DECIMAL.test(value)) query[name] = Number(value);
      } else if (value === 'true' || value === 'false') {
        query[name] = value === 'true';
      }
    }
  };
}

/**
 * Every route gets, last in its preHandlers, the check that reports a schema failure (routes with
 * a schema get `attachValidation`) or a NUL byte in its input, and, first in its preValidation,
 * the reading of its query string's integers and booleans ({@link queryCoercion}). Call before
 * any route is declared.
 */
export function installSchemaValidation(app: FastifyInstance): void {
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.addHook('onRoute', (route: RouteOptions) => {
    if (route.config?.ignoresInput === true) return;
    if (route.schema !== undefined) route.attachValidation = true;
    const coerce = queryCoercion(route.schema?.querystring);
    if (coerce !== undefined) {
      const existingPre =
        route.preValidation === undefined
          ? []
          : Array.isArray(route.preValidation)
            ? route.preValidation
            : [route.preValidation];
      const coerceQuery: preValidationAsyncHookHandler = async function coerceQuery(request) {
        if (request.query !== null && typeof request.query === 'object')
          coerce(request.query as QueryValues);
      };
      route.preValidation = [coerceQuery, ...existingPre];
    }
    const existing =
      route.preHandler === undefined
        ? []
        : Array.isArray(route.preHandler)
          ? route.preHandler
          : [route.preHandler];
    route.preHandler = [...existing, reportValidation];
  });
}

/**
 * Routes whose JSON body is optional (`config.bodyOptional`): no body is an empty object, so the
 * schema's defaults apply and an absent body is not "a JSON object body is required".
 */
export function defaultOptionalBody(request: FastifyRequest): void {
  if (request.body === undefined && request.routeOptions.config.bodyOptional === true)
    request.body = {};
}
