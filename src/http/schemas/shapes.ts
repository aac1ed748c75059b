/**
 * Building blocks for route schemas. Response objects are closed (`additionalProperties: false`):
 * the document then says exactly which fields an answer has, and the conformance test
 * (test/e2e/openapi.test.ts) fails when a route returns a field its schema does not list. Responses
 * are serialized with JSON.stringify, not from these schemas (see ../validation.ts), so a field
 * missing from a schema is a failing test, never a field silently dropped from an answer.
 */
import { type TProperties, type TSchema, Type } from '@sinclair/typebox';

/** An object with exactly these properties (responses). */
export const Closed = <T extends TProperties>(
  properties: T,
  options: { description?: string } = {},
) => Type.Object(properties, { additionalProperties: false, ...options });

/** A string that is one of `values` (a plain `enum`, so a refusal names the allowed values). */
export const StringEnum = <const T extends readonly string[]>(
  values: T,
  options: Record<string, unknown> = {},
) => Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** An ISO 8601 time as the service writes it (`new Date(ms).toISOString()`). */
export const IsoTime = Type.String({ format: 'date-time' });
export const NullableIsoTime = Nullable(IsoTime);

/** A map of names to counts (e.g. audit entries by type). */
export const Counts = Type.Record(Type.String(), Type.Integer());

/** Free-form details recorded with an event (alerts, audit entries): any JSON object. */
export const Details = Type.Record(Type.String(), Type.Unknown());
