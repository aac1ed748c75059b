/** The shared middleware scenarios on Express. */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { expressBearer } from '../../packages/verifier/src/adapters/express.js';
import type { AccessClaims } from '../../packages/verifier/src/index.js';
import { runMiddlewareScenarios } from './middleware-scenarios.js';

runMiddlewareScenarios('express', async (verifier, options) => {
  const app = express();
  app.use(expressBearer(verifier, options));
  app.get('/whoami', (req, res) => {
    const claims = (req as unknown as { auth: AccessClaims }).auth;
    res.json({ sub: claims.sub, jti: claims.jti, scope: claims.scope });
  });
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
});
