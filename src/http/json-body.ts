/**
 * The JSON body parser: Fastify's own (prototype-poisoning checks included), except that an empty
 * body sent with `content-type: application/json` is no body at all rather than a 400. Clients
 * (and `curl -H 'content-type: application/json' -X POST`) send that for calls whose body is
 * optional — logout, logout-all, revoke. A route that needs a body still refuses it ("a JSON object
 * body is required"); a body that is not valid JSON (a lone space included) is still a 400.
 */
import type { FastifyInstance } from 'fastify';

export function acceptEmptyJsonBodies(app: FastifyInstance, bodyLimit: number): void {
  const parseJson = app.getDefaultJsonParser(
    app.initialConfig.onProtoPoisoning ?? 'error',
    app.initialConfig.onConstructorPoisoning ?? 'error',
  );
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit },
    (request, body, done) => {
      if (body === '') {
        done(null, undefined);
        return;
      }
      // The default JSON parser is the callback kind (it calls done); its type also admits the async.
      void parseJson(request, body as string, done);
    },
  );
}
