/** The shared middleware scenarios on Hono (served by @hono/node-server). */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { honoBearer } from '../../packages/verifier/src/adapters/hono.js';
import type { AccessClaims } from '../../packages/verifier/src/index.js';
import { runMiddlewareScenarios } from './middleware-scenarios.js';

runMiddlewareScenarios('hono', async (verifier, options) => {
  const app = new Hono<{ Variables: { auth: AccessClaims } }>();
  app.use(honoBearer(verifier, options));
  app.get('/whoami', (c) =>
    c.json({ sub: c.get('auth').sub, jti: c.get('auth').jti, scope: c.get('auth').scope }),
  );
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        (server as import('node:http').Server).closeAllConnections();
        server.close(() => resolve());
      }),
  };
});
