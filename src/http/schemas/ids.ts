/**
 * Identifiers in paths. The `x-invalid` annotation is the message a request gets when the value does
 * not match (../validation.ts reads it): the readable messages test/e2e/id-validation-messages.test.ts
 * checks, from the schema rather than from each handler.
 */
import { Type } from '@sinclair/typebox';
import { UUID_PATTERN } from '../../core/ids.js';

/** `{id}` path parameter that must be a UUID; `what` names it in the refusal ("user id must be a UUID"). */
export const UuidParam = (what: string, name = 'id') =>
  Type.Object({
    [name]: Type.String({
      pattern: UUID_PATTERN.source,
      description: `The ${what} (a UUID)`,
      'x-invalid': `${what} must be a UUID`,
    }),
  });

/**
 * A session id in a path. Malformed ids answer 404 like unknown ones (the handler checks the
 * pattern), so the schema only describes it: another user's session and a junk id look the same.
 */
export const SessionIdParam = Type.Object({
  id: Type.String({ description: 'A session id (from GET /api/v1/sessions)' }),
});

/** A path id the handler resolves itself (client ids, API-token ids with their own message). */
export const IdParam = (description: string) => Type.Object({ id: Type.String({ description }) });
