/** The one error shape (SPEC §5, src/http/send-error.ts) as a TypeBox schema for route responses. */
import { Type } from '@sinclair/typebox';

export const ErrorResponse = Type.Object({
  error: Type.String({ description: 'OAuth-style error name' }),
  error_description: Type.String(),
  code: Type.String({ description: 'Stable ERR_… code (docs/errors.md)' }),
});
