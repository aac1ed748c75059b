/** The shared middleware scenarios on plain node:http. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { nodeBearer } from '../../packages/verifier/src/adapters/node.js';
import { runMiddlewareScenarios } from './middleware-scenarios.js';

runMiddlewareScenarios('node:http', async (verifier, options) => {
  const requireBearer = nodeBearer(verifier, options);
  const server = http.createServer((req, res) => {
    // nodeBearer answers refusals itself and does not reject: nothing to catch here.
    void requireBearer(req, res).then((claims) => {
      if (claims === undefined) return;
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ sub: claims.sub, jti: claims.jti, scope: claims.scope }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
});
