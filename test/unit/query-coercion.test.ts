/**
 * Query strings are validated once, by their schemas (src/http/validation.ts): an integer or a
 * boolean parameter is read from its text before the schema runs, narrowly (digits only; true or
 * false), and only in the query string — a JSON body is never coerced. The refusals keep the
 * sentences the hand readers used to give.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import {
  AJV_OPTIONS,
  installSchemaValidation,
  queryCoercion,
  validationFailure,
} from '../../src/http/validation.js';

describe('query strings: integers and booleans read by their schemas', () => {
  let app: FastifyInstance;
  before(async () => {
    app = Fastify({ ajv: AJV_OPTIONS });
    installSchemaValidation(app);
    // The schema failure arrives as the RevokdError validation.ts's preHandler throws.
    app.setErrorHandler((err: Error & { validation?: unknown }, request, reply) =>
      reply.code(400).send({
        error:
          err.validation === undefined
            ? err.message
            : validationFailure(err as never, request).message,
      }),
    );
    const query = Type.Object({
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
      seq: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
      all: Type.Optional(
        Type.Boolean({ default: false, 'x-invalid': 'all must be true or false' }),
      ),
      acknowledged: Type.Optional(
        Type.Boolean({ 'x-invalid': 'acknowledged must be true or false' }),
      ),
      name: Type.Optional(Type.String()),
    });
    app.get('/q', { schema: { querystring: query } }, async (request) => request.query);
    app.post(
      '/b',
      { schema: { body: Type.Object({ limit: Type.Integer(), all: Type.Boolean() }) } },
      async (request) => request.body,
    );
    await app.ready();
  });
  after(() => app.close());

  const get = async (qs: string) => {
    const res = await app.inject({ method: 'GET', url: `/q${qs}` });
    return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
  };

  test('digits and true/false become numbers and booleans; defaults apply when absent or empty', async () => {
    assert.deepEqual((await get('?limit=7&seq=9&all=true&acknowledged=false&name=12')).body, {
      limit: 7,
      seq: 9,
      all: true,
      acknowledged: false,
      name: '12',
    });
    assert.deepEqual((await get('')).body, { limit: 50, all: false });
    assert.deepEqual(
      (await get('?limit=&all=&acknowledged=')).body,
      { limit: 50, all: false },
      'an empty value is absent',
    );
    assert.deepEqual((await get('?limit=0500')).body, { limit: 500, all: false });
  });

  test("refusals keep the hand readers' sentences", async () => {
    const cases: Array<[string, string]> = [
      ['?limit=abc', 'limit must be a whole number'],
      ['?limit=-1', 'limit must be a whole number'],
      ['?limit=1.5', 'limit must be a whole number'],
      ['?limit=%205', 'limit must be a whole number'],
      ['?limit=0x10', 'limit must be a whole number'],
      ['?limit=1e2', 'limit must be a whole number'],
      ['?limit=99999999999999999999', 'limit must be a whole number'],
      ['?limit=0', 'limit must be between 1 and 500'],
      ['?limit=501', 'limit must be between 1 and 500'],
      ['?limit=1&limit=2', 'limit must be given once'],
      ['?seq=', 'seq must be a whole number'],
      ['?all=yes', 'all must be true or false'],
      ['?acknowledged=TRUE', 'acknowledged must be true or false'],
      ['?all=true&all=false', 'all must be given once'],
    ];
    for (const [qs, message] of cases) {
      const res = await get(qs);
      assert.equal(res.status, 400, qs);
      assert.equal(res.body.error, message, qs);
    }
  });

  test('a JSON body is never coerced', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/b',
      payload: { limit: '5', all: 'true' },
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json<{ error: string }>().error, 'limit must be a whole number');
  });

  test('queryCoercion: nothing to do for a schema without integer or boolean parameters', () => {
    assert.equal(queryCoercion(undefined), undefined);
    assert.equal(queryCoercion(Type.Object({ q: Type.Optional(Type.String()) })), undefined);
  });
});
