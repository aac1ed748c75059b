/**
 * GET /openapi.json (issue 12, must-show 3): the document validates as OpenAPI 3.1; every API route
 * the server registers is in it with its method, and no route of the web UI is (both collected
 * independently, from Fastify's own route table, and told apart by path: issue 17, item 9); and a
 * real scenario over HTTP against a server process gets, from every API route it calls,
 * answers that match the schema the document declares for that path, method and status — status
 * declared, content type declared, JSON body valid (response objects are closed, so an undeclared
 * field fails too). The checker is itself shown to catch a mismatch.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import pino from 'pino';
import { type OpenedContext, openAppContext } from '../../src/app/open-app-context.js';
import { STREAM_SCOPE } from '../../src/app/revocation-stream/authorize-stream-client.js';
import { loadConfig } from '../../src/core/config.js';
import { buildApp } from '../../src/http/app.js';
import {
  type JsonResponse,
  createClientViaAdmin,
  createUserViaAdmin,
  login,
  request,
} from '../support/http-client.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ServerProcess, tempDir } from '../support/server-process.js';
import { SseStream, basicAuth, connectSse } from '../support/sse-client.js';

// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as (ajv: Ajv) => Ajv;

type Doc = { openapi: string; paths: Record<string, Record<string, Operation>> };
type Operation = { responses: Record<string, { content?: Record<string, { schema?: object }> }> };

/**
 * The API's paths, told apart without asking @fastify/swagger: the JSON API, the RFC endpoints and
 * discovery, the probes, metrics and this document. Every other registered path is the web UI's.
 */
const isApiPath = (url: string): boolean =>
  /^\/(?:api|oauth|\.well-known)(?:\/|$)|^\/(?:healthz|readyz|metrics|openapi\.json)$/.test(url);

/** `/api/v1/tokens/:id` → `/api/v1/tokens/{id}` (how the document spells paths). */
const toOpenApiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/**
 * Every (method, url) in Fastify's route table, read from printRoutes (a tree: each line's text
 * continues its parent's). HEAD routes Fastify adds for each GET are left out.
 */
function registeredRoutes(tree: string): Array<{ method: string; url: string }> {
  const routes: Array<{ method: string; url: string }> = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const at = line.indexOf('── ');
    if (at < 0) continue;
    const depth = Math.round(at / 4);
    const match = /^(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line.slice(at + 3))!;
    const url = (depth > 0 ? (stack[depth - 1] ?? '') : '') + match[1]!;
    stack[depth] = url;
    stack.length = depth + 1;
    for (const method of (match[2] ?? '')
      .split(',')
      .map((m) => m.trim())
      .filter((m) => m !== '' && m !== 'HEAD'))
      routes.push({ method, url });
  }
  return routes;
}

/** Validates answers against the document: the schema for this path + method + status (exact, then 4XX-style, then default). */
class Conformance {
  private readonly ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
  private readonly compiled = new Map<object, ValidateFunction>();
  readonly problems: string[] = [];
  readonly checked = new Set<string>();

  constructor(private readonly doc: Doc) {}

  declared(
    method: string,
    url: string,
    status: number,
  ): { error: string } | { response: Operation['responses'][string] } {
    const operation = this.doc.paths[toOpenApiPath(url)]?.[method.toLowerCase()];
    if (operation === undefined) return { error: `${method} ${url} is not in the document` };
    const response =
      operation.responses[String(status)] ??
      operation.responses[`${String(status)[0]}XX`] ??
      operation.responses.default;
    if (response === undefined)
      return {
        error: `${method} ${url}: status ${status} is not declared (declared: ${Object.keys(operation.responses).join(', ')})`,
      };
    return { response };
  }

  /** Problems with one answer (empty when it conforms). */
  problemsWith(
    method: string,
    url: string,
    status: number,
    contentType: string | null,
    body: string,
    schemaOverride?: object,
  ): string[] {
    const where = `${method} ${url} → ${status}`;
    const found = this.declared(method, url, status);
    if ('error' in found) return [found.error];
    const content = found.response.content;
    const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    if (content === undefined)
      return body === ''
        ? []
        : [`${where}: declared without a body, but answered ${JSON.stringify(body.slice(0, 80))}`];
    if (body === '' && type === '')
      return [`${where}: declared a body (${Object.keys(content).join(', ')}), answered none`];
    const media = content[type];
    if (media === undefined)
      return [
        `${where}: content-type ${type} is not declared (declared: ${Object.keys(content).join(', ')})`,
      ];
    if (type !== 'application/json') return [];
    const schema = schemaOverride ?? media.schema;
    if (schema === undefined) return [`${where}: no schema for application/json`];
    let validate = this.compiled.get(schema);
    if (validate === undefined) {
      validate = this.ajv.compile(schema);
      this.compiled.set(schema, validate);
    }
    const parsed: unknown = JSON.parse(body);
    if (validate(parsed)) return [];
    return [
      `${where}: body does not match its schema: ${this.ajv.errorsText(validate.errors)} in ${body.slice(0, 300)}`,
    ];
  }

  /** Records an answer of the scenario. */
  check(
    method: string,
    url: string,
    res: { status: number; headers: Headers; text: string },
  ): void {
    this.checked.add(`${method} ${toOpenApiPath(url)}`);
    this.problems.push(
      ...this.problemsWith(method, url, res.status, res.headers.get('content-type'), res.text),
    );
  }
}

describe('GET /openapi.json', () => {
  let ctx: OpenedContext;
  let tree: string;
  let inProcessDoc: Doc;

  before(async () => {
    const config = loadConfig({
      REVOKD_DATA_DIR: tempDir('openapi'),
      REVOKD_LOG_LEVEL: 'silent',
      PORT: '8080',
    });
    ctx = await openAppContext(config, { log: pino({ level: 'silent' }) });
    const app = await buildApp(ctx);
    await app.ready();
    tree = app.printRoutes({ commonPrefix: false });
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    inProcessDoc = res.json();
    await app.close();
  });
  after(async () => {
    await ctx?.close();
  });

  test('the document is valid OpenAPI 3.1', async () => {
    assert.equal(inProcessDoc.openapi, '3.1.0');
    const result = await new Validator().validate(inProcessDoc);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
  });

  test('every API route the server registers is in the document with its method; no web UI route is, nor a honeypot', () => {
    const routes = registeredRoutes(tree);
    const honeypots = new Set(ctx.config.honeypotPaths);
    assert.ok(routes.length > 60, `routes read from the route table: ${routes.length}\n${tree}`);
    assert.ok(
      routes.some((r) => honeypots.has(r.url)),
      'the honeypot routes are registered',
    );
    const api = routes.filter((r) => !honeypots.has(r.url) && isApiPath(r.url));
    const ui = routes.filter((r) => !honeypots.has(r.url) && !isApiPath(r.url));
    assert.ok(api.length > 50, `API routes: ${api.length}`);
    assert.ok(
      ui.some((r) => r.method === 'POST' && r.url === '/login') && ui.length > 20,
      `the web UI's pages and forms are registered: ${ui.length}`,
    );
    const missing = api
      .filter(
        (r) => inProcessDoc.paths[toOpenApiPath(r.url)]?.[r.method.toLowerCase()] === undefined,
      )
      .map((r) => `${r.method} ${r.url}`);
    assert.deepEqual(missing, [], 'API routes missing from /openapi.json');
    // The UI's pages and forms are for a browser: a client generator has nothing to do with them.
    const described = Object.keys(inProcessDoc.paths);
    assert.deepEqual(
      described.filter((p) => !isApiPath(p)),
      [],
      'paths of the web UI described in /openapi.json',
    );
    assert.equal(
      JSON.stringify(inProcessDoc).includes('webSession'),
      false,
      "the UI's cookie is not an API credential",
    );
    // A published list of decoys is a list of paths for an attacker to avoid.
    for (const path of honeypots)
      assert.equal(inProcessDoc.paths[path], undefined, `honeypot ${path} is described`);
  });

  test('the route table reader sees nested routes (so a missing route cannot hide from the coverage check)', () => {
    const sample = registeredRoutes(
      '└── /api/v1/tokens (GET, HEAD, POST)\n    └── /\n        ├── :id (GET, HEAD, DELETE)\n        └── revoke-all (POST)\n',
    );
    assert.deepEqual(sample, [
      { method: 'GET', url: '/api/v1/tokens' },
      { method: 'POST', url: '/api/v1/tokens' },
      { method: 'GET', url: '/api/v1/tokens/:id' },
      { method: 'DELETE', url: '/api/v1/tokens/:id' },
      { method: 'POST', url: '/api/v1/tokens/revoke-all' },
    ]);
  });

  describe('answers over HTTP match the schemas the document declares', () => {
    let server: ServerProcess;
    let doc: Doc;
    let conformance: Conformance;
    let loginAnswer: JsonResponse;

    before(async () => {
      server = await ServerProcess.start();
      const res = await request(`${server.url}/openapi.json`);
      assert.equal(res.status, 200);
      doc = res.body;
      conformance = new Conformance(doc);
    });
    after(async () => {
      await server?.stop();
    });

    /** Calls a web UI route: a page or a redirect, and not in the document. */
    const ui = async (
      method: string,
      pattern: string,
      values: Record<string, string>,
      init: Parameters<typeof request>[1] = {},
    ) => {
      const concrete = Object.entries(values).reduce(
        (u, [k, v]) => u.replace(`:${k}`, encodeURIComponent(v)),
        pattern,
      );
      const res = await request(`${server.url}${concrete}`, {
        method,
        redirect: 'manual',
        ...init,
      });
      const type = (res.headers.get('content-type') ?? '').split(';')[0]!;
      assert.ok(
        res.status === 303 ||
          ['text/html', 'text/css', 'text/javascript', 'image/svg+xml'].includes(type),
        `${method} ${concrete}: ${res.status} ${type}`,
      );
      assert.equal(
        doc.paths[toOpenApiPath(pattern)],
        undefined,
        `${pattern} (web UI) is described`,
      );
      return res;
    };

    /** Calls a route and checks the answer against the document. `url` is the route's pattern with values filled in. */
    const call = async (
      method: string,
      pattern: string,
      values: Record<string, string>,
      init: Parameters<typeof request>[1] = {},
    ) => {
      const concrete = Object.entries(values).reduce(
        (u, [k, v]) => u.replace(`:${k}`, encodeURIComponent(v)),
        pattern,
      );
      const res = await request(`${server.url}${concrete}`, {
        method,
        redirect: 'manual',
        ...init,
      });
      conformance.check(method, pattern, res);
      return res;
    };

    test('a scenario through the API, the RFC endpoints, the stream and the UI', async () => {
      const c = call;
      for (const path of [
        '/healthz',
        '/readyz',
        '/api/v1/auth/revocation-status',
        '/.well-known/oauth-authorization-server',
        '/.well-known/jwks.json',
        '/metrics',
        '/openapi.json',
      ]) {
        await c('GET', path, {});
      }

      // Sign in, look around, refresh.
      loginAnswer = await c(
        'POST',
        '/api/v1/auth/login',
        {},
        { json: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } },
      );
      const admin = loginAnswer.body.access_token as string;
      await c(
        'POST',
        '/api/v1/auth/login',
        {},
        { json: { email: ADMIN_EMAIL, password: 'wrong-password' } },
      );
      await c('POST', '/api/v1/auth/login', {}, { json: { email: 42 } });
      const userId = (
        await createUserViaAdmin(server.url, admin, 'reader@example.com', 'reader-password-1')
      ).id;
      await c(
        'POST',
        '/api/v1/admin/users',
        {},
        {
          bearer: admin,
          json: { email: 'second@example.com', password: 'second-password-1', role: 'user' },
        },
      );
      await c('GET', '/api/v1/admin/users', {}, { bearer: admin });
      const user = await login(server.url, 'reader@example.com', 'reader-password-1');
      await c('GET', '/api/v1/auth/me', {}, { bearer: user.access_token });
      await c('GET', '/api/v1/auth/me', {});
      await c('GET', '/api/v1/auth/token/validate', {}, { bearer: user.access_token });
      const sessions = await c('GET', '/api/v1/sessions', {}, { bearer: user.access_token });
      assert.equal(sessions.body.length, 1);
      const refreshed = await c(
        'POST',
        '/api/v1/auth/refresh',
        {},
        { json: { refresh_token: user.refresh_token } },
      );
      const userToken = refreshed.body.access_token as string;

      // API tokens.
      const created = await c(
        'POST',
        '/api/v1/tokens',
        {},
        { bearer: userToken, json: { name: 'ci', scopes: ['read'], expires_in_days: 30 } },
      );
      await c('GET', '/api/v1/auth/me', {}, { bearer: created.body.token });
      await c('GET', '/api/v1/tokens', {}, { bearer: userToken });
      await c('GET', '/api/v1/tokens/:id', { id: created.body.id }, { bearer: userToken });
      await c('GET', '/api/v1/tokens/:id', { id: 'not-a-uuid' }, { bearer: userToken });
      await c('DELETE', '/api/v1/tokens/:id', { id: created.body.id }, { bearer: userToken });
      const second = await c(
        'POST',
        '/api/v1/tokens',
        {},
        { bearer: userToken, json: { name: 'other' } },
      );
      await c('GET', '/api/v1/admin/users/:id/api-tokens', { id: userId }, { bearer: admin });
      await c(
        'POST',
        '/api/v1/admin/api-tokens/:id/revoke',
        { id: second.body.id },
        { bearer: admin, json: { reason: 'leaked in a log' } },
      );
      await c(
        'POST',
        '/api/v1/tokens/revoke-all',
        {},
        { bearer: userToken, headers: { 'content-type': 'application/json' }, body: '' },
      );

      // Clients and the RFC endpoints.
      const client = await createClientViaAdmin(server.url, admin, 'verifier', [STREAM_SCOPE]);
      await c(
        'POST',
        '/api/v1/admin/clients',
        {},
        { bearer: admin, json: { name: 'public-app', public: true } },
      );
      await c('GET', '/api/v1/admin/clients', {}, { bearer: admin });
      const rotated = await c(
        'POST',
        '/api/v1/admin/clients/:id/rotate-secret',
        { id: client.client_id },
        { bearer: admin },
      );
      const basic = basicAuth(client.client_id, rotated.body.client_secret);
      const cc = await c(
        'POST',
        '/oauth/token',
        {},
        { form: { grant_type: 'client_credentials' }, headers: { authorization: basic } },
      );
      await c(
        'POST',
        '/oauth/token',
        {},
        { form: { grant_type: 'password' }, headers: { authorization: basic } },
      );
      await c(
        'POST',
        '/oauth/token',
        {},
        {
          form: {
            grant_type: 'refresh_token',
            refresh_token: refreshed.body.refresh_token,
            client_id: 'revokd',
          },
        },
      );
      await c(
        'POST',
        '/oauth/introspect',
        {},
        { form: { token: cc.body.access_token }, headers: { authorization: basic } },
      );
      await c(
        'POST',
        '/oauth/introspect',
        {},
        { form: { token: 'junk' }, headers: { authorization: basic } },
      );
      await c('POST', '/oauth/introspect', {}, { form: { token: 'junk' } });
      await c(
        'POST',
        '/oauth/revoke',
        {},
        { form: { token: cc.body.access_token }, headers: { authorization: basic } },
      );
      await c('POST', '/oauth/revoke', {}, { form: {}, headers: { authorization: basic } });

      // The stream: headers and content type as declared (the events are tested in revocation-stream*.test.ts).
      const stream = await connectSse(`${server.url}/api/v1/revocations/stream`, {
        authorization: basic,
      });
      assert.ok(stream instanceof SseStream, 'the stream opens');
      const declared = conformance.declared('GET', '/api/v1/revocations/stream', 200);
      assert.ok(
        'response' in declared && declared.response.content?.['text/event-stream'] !== undefined,
        'the stream declares text/event-stream',
      );
      stream.close();
      await c('GET', '/api/v1/revocations/stream', {});
      await c(
        'POST',
        '/api/v1/admin/clients/:id/disable',
        { id: client.client_id },
        { bearer: admin },
      );
      await c(
        'POST',
        '/api/v1/admin/clients/:id/enable',
        { id: client.client_id },
        { bearer: admin },
      );

      // Revocation by scope, windows.
      await c(
        'POST',
        '/api/v1/admin/revocations',
        {},
        { bearer: admin, json: { scope: 'session', value: 'no-such-session' } },
      );
      const nowS = Math.floor(Date.now() / 1000);
      await c(
        'POST',
        '/api/v1/admin/revocations',
        {},
        {
          bearer: admin,
          json: { scope: 'window', value: `${nowS - 7200}-${nowS - 3600}`, note: 'test window' },
        },
      );
      await c('GET', '/api/v1/admin/revocations/windows', {}, { bearer: admin });

      // Security console API.
      const block = await c(
        'POST',
        '/api/v1/security/blocks',
        {},
        {
          bearer: admin,
          json: { cidr: '203.0.113.0/24', reason: 'scanner', duration_seconds: 3600 },
        },
      );
      await c('GET', '/api/v1/security/blocks', {}, { bearer: admin });
      await c('DELETE', '/api/v1/security/blocks/:id', { id: block.body.id }, { bearer: admin });
      await c('DELETE', '/api/v1/security/blocks/:id', { id: 'nope' }, { bearer: admin });
      await c('GET', '/api/v1/security/alerts', {}, { bearer: admin });
      await c(
        'POST',
        '/api/v1/security/alerts/:id/acknowledge',
        { id: '00000000-0000-4000-8000-000000000000' },
        { bearer: admin },
      );
      await c('GET', '/api/v1/security/metrics', {}, { bearer: admin });
      await c('GET', '/api/v1/security/user/:id/activity', { id: userId }, { bearer: admin });
      await c('GET', '/api/v1/security/blacklist/status', {}, { bearer: admin });
      await c('GET', '/api/v1/security/health', {}, { bearer: admin });
      await c('GET', '/api/v1/security/audit/summary', {}, { bearer: admin });
      const audit = await c('GET', '/api/v1/security/audit', {}, { bearer: admin });
      assert.ok(audit.body.entries.length > 0);
      await c('GET', '/api/v1/security/audit/verify', {}, { bearer: admin });
      await c('GET', '/api/v1/security/audit/checkpoint', {}, { bearer: admin });
      await c('POST', '/api/v1/security/canaries', {}, { bearer: admin, json: { name: 'bait' } });
      await c(
        'POST',
        '/api/v1/security/decoys',
        {},
        { bearer: admin, json: { email: 'decoy@example.com' } },
      );
      await c(
        'POST',
        '/api/v1/security/token/revoke-user/:user_id',
        { user_id: userId },
        { bearer: admin, json: { reason: 'preview' } },
      );

      // Revoking: one token, a session, everything; sign out (empty JSON bodies where the body is optional).
      const again = await login(server.url, 'reader@example.com', 'reader-password-1');
      await c(
        'POST',
        '/api/v1/auth/revoke',
        {},
        { bearer: again.access_token, headers: { 'content-type': 'application/json' }, body: '' },
      );
      const third = await login(server.url, 'reader@example.com', 'reader-password-1');
      const fourth = await login(server.url, 'reader@example.com', 'reader-password-1');
      await c(
        'DELETE',
        '/api/v1/sessions/:id',
        { id: third.session_id },
        { bearer: fourth.access_token },
      );
      await c(
        'POST',
        '/api/v1/auth/logout',
        {},
        { bearer: fourth.access_token, headers: { 'content-type': 'application/json' }, body: '' },
      );
      const fifth = await login(server.url, 'reader@example.com', 'reader-password-1');
      await c(
        'POST',
        '/api/v1/auth/revoke-all',
        {},
        { bearer: fifth.access_token, json: { include_api_tokens: true } },
      );
      const sixth = await login(server.url, 'reader@example.com', 'reader-password-1');
      await c('POST', '/api/v1/auth/logout-all', {}, { bearer: sixth.access_token });
      const seventh = await login(server.url, 'reader@example.com', 'reader-password-1');
      await c('POST', '/api/v1/auth/logout-all-devices', {}, { bearer: seventh.access_token });
      const eighth = await login(server.url, 'reader@example.com', 'reader-password-1');
      await c(
        'POST',
        '/api/v1/auth/password',
        {},
        {
          bearer: eighth.access_token,
          json: { current_password: 'reader-password-1', new_password: 'password' },
        },
      );
      await c(
        'POST',
        '/api/v1/auth/password',
        {},
        {
          bearer: eighth.access_token,
          json: { current_password: 'reader-password-1', new_password: 'Quiet-Lantern-Orbit-4821' },
        },
      );
      await c(
        'POST',
        '/api/v1/admin/users/:id/password',
        { id: userId },
        { bearer: admin, json: { new_password: 'Copper-Meadow-Violin-7305' } },
      );
      await c('POST', '/api/v1/admin/users/:id/disable', { id: userId }, { bearer: admin });
      await c('POST', '/api/v1/admin/users/:id/enable', { id: userId }, { bearer: admin });

      // The web UI: pages are text/html, posts redirect; none of it is described.
      const loginPage = await ui('GET', '/login', {});
      const loginCookie = (loginPage.headers.get('set-cookie') ?? '').split(';')[0]!;
      const loginCsrf = /name="_csrf" value="([^"]+)"/.exec(loginPage.text)?.[1] ?? '';
      const signedIn = await ui(
        'POST',
        '/login',
        {},
        {
          form: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD, _csrf: loginCsrf },
          headers: { cookie: loginCookie, origin: server.url },
        },
      );
      assert.equal(signedIn.status, 303, signedIn.text);
      const session = (signedIn.headers.get('set-cookie') ?? '').split(';')[0]!;
      for (const page of [
        '/',
        '/sessions',
        '/tokens',
        '/account',
        '/admin',
        '/admin/users',
        '/admin/alerts',
        '/admin/blocks',
        '/admin/audit',
      ]) {
        await ui('GET', page, {}, { headers: { cookie: session } });
      }
      await ui('GET', '/static/:name', { name: 'app.css' }, {});
      await ui('GET', '/static/:name', { name: 'nope.css' }, {});
    });

    test('no answer of the scenario differs from its schema, and the scenario reached the routes it names', () => {
      assert.deepEqual(conformance.problems, []);
      const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
      );
      const jsonApi = documented.filter((r) =>
        / \/(api|oauth|\.well-known|healthz|readyz|metrics|openapi)/.test(r),
      );
      const unvisited = jsonApi.filter((r) => !conformance.checked.has(r));
      assert.deepEqual(unvisited, [], 'JSON routes the scenario did not check');
    });

    test('the checker catches a mismatch: a field the schema does not list, a missing field, an undeclared status or type', () => {
      const body = loginAnswer.text;
      const type = 'application/json; charset=utf-8';
      assert.deepEqual(
        conformance.problemsWith('POST', '/api/v1/auth/login', 200, type, body),
        [],
        'the real answer conforms',
      );
      // The schema as it would be had someone forgotten a field the route returns.
      const declared = conformance.declared('POST', '/api/v1/auth/login', 200);
      assert.ok('response' in declared);
      const schema = structuredClone(declared.response.content!['application/json']!.schema) as {
        properties: Record<string, unknown>;
        required: string[];
      };
      delete schema.properties.session_id;
      schema.required = schema.required.filter((n) => n !== 'session_id');
      assert.match(
        conformance.problemsWith('POST', '/api/v1/auth/login', 200, type, body, schema).join('\n'),
        /must NOT have additional properties/,
      );
      // An answer missing a required field, or with a field of the wrong type.
      const { access_token: _dropped, ...withoutToken } = loginAnswer.body as Record<
        string,
        unknown
      >;
      assert.match(
        conformance
          .problemsWith('POST', '/api/v1/auth/login', 200, type, JSON.stringify(withoutToken))
          .join('\n'),
        /access_token/,
      );
      assert.match(
        conformance
          .problemsWith(
            'POST',
            '/api/v1/auth/login',
            200,
            type,
            JSON.stringify({ ...loginAnswer.body, expires_in: '900' }),
          )
          .join('\n'),
        /integer/,
      );
      assert.match(
        conformance.problemsWith('POST', '/api/v1/auth/logout', 200, type, '{}').join('\n'),
        /not declared|does not match/,
      );
      assert.match(
        conformance.problemsWith('GET', '/metrics', 200, 'application/json', '{}').join('\n'),
        /content-type application\/json is not declared/,
      );
      assert.match(
        conformance.problemsWith('GET', '/no-such-route', 200, type, '{}').join('\n'),
        /not in the document/,
      );
    });
  });
});
