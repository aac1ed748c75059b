/**
 * The one error shape (SPEC §5, src/core/errors.ts, src/http/send-error.ts), declared on every
 * JSON route for the 4xx and 5xx ranges.
 */
import { Type } from '@sinclair/typebox';
import { ERROR_CATALOGUE, type ErrorCode } from '../../core/errors.js';
import { Closed, StringEnum } from './shapes.js';

const CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];
const OAUTH_ERRORS = [...new Set(Object.values(ERROR_CATALOGUE).map((e) => e.oauth))];

export const ErrorBody = Closed(
  {
    error: StringEnum(OAUTH_ERRORS, {
      description: 'OAuth-style error name (RFC 6749 §5.2 where one applies)',
    }),
    error_description: Type.String({ description: 'For people; may change' }),
    code: StringEnum(CODES, { description: 'Stable code for programs (docs/errors.md)' }),
  },
  { description: 'The error shape of every failure: {error, error_description, code}' },
);

/** The error ranges every JSON route can answer with (401 carries WWW-Authenticate, 429/503 Retry-After). */
export const ERROR_RESPONSES = { '4xx': ErrorBody, '5xx': ErrorBody } as const;
