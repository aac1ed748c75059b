/**
 * A small Express resource server protected by revokd access tokens, verified in process by
 * `@revokd/verifier` (see README.md):
 *
 *   GET  /orders    any valid access token         → 200 { user, orders }
 *   POST /orders    a token with scope orders:write → 201 { id, by }   (without it: 403 insufficient_scope)
 *   GET  /healthz   no token                       → 200 / 503 with the verifier's status
 *
 * A revoked token is refused (401) as soon as revokd's push stream delivers the revocation — no call
 * to revokd per request. Run it beside a revokd (REVOKD_URL, default http://127.0.0.1:8080) with a
 * client allowed to read the stream:
 *   REVOKD_CLIENT_ID=… REVOKD_CLIENT_SECRET=… npx tsx examples/express/server.ts
 */
import type { AddressInfo } from 'node:net';
import express, { type Request } from 'express';
import { type AccessClaims, createVerifier } from '@revokd/verifier';
import { expressBearer } from '@revokd/verifier/express';

function env(name: string, fallback?: string): string {
  const value = process.env[name]?.trim();
  if (value !== undefined && value !== '') return value;
  if (fallback !== undefined) return fallback;
  console.error(`${name} is required (see examples/express/README.md)`);
  process.exit(2);
}

const revokd = env('REVOKD_URL', 'http://127.0.0.1:8080').replace(/\/+$/, '');
const issuer = env('REVOKD_ISSUER', revokd);
const port = Number(env('PORT', '3000'));
const host = env('HOST', '127.0.0.1');

const verifier = await createVerifier({
  issuer,
  audience: env('REVOKD_AUDIENCE', issuer),
  jwksUri: `${revokd}/.well-known/jwks.json`,
  stream: {
    url: `${revokd}/api/v1/revocations/stream`,
    clientId: env('REVOKD_CLIENT_ID'),
    clientSecret: env('REVOKD_CLIENT_SECRET'),
  },
  maxStalenessMs: Number(env('MAX_STALENESS_MS', '2000')),
  failMode: 'closed',
});

/** The claims `expressBearer` put on the request. */
const auth = (req: Request): AccessClaims => (req as Request & { auth: AccessClaims }).auth;

const orders: Array<{ id: number; by: string; item: string }> = [];
const app = express();
app.use(express.json());

app.get('/healthz', (_req, res) => {
  const status = verifier.status();
  res
    .status(status.canDecide ? 200 : 503)
    .json({ canDecide: status.canDecide, stale: status.stale, stalenessMs: status.stalenessMs });
});

// Any valid, unrevoked access token.
app.get('/orders', expressBearer(verifier), (req, res) => {
  res.json({ user: auth(req).sub, orders: orders.filter((o) => o.by === auth(req).sub) });
});

// Only tokens granted orders:write; others get 403 and
// `WWW-Authenticate: Bearer realm="orders", error="insufficient_scope", scope="orders:write"`.
app.post(
  '/orders',
  expressBearer(verifier, { realm: 'orders', requireScopes: ['orders:write'] }),
  (req, res) => {
    const body = req.body as { item?: unknown } | undefined;
    const order = {
      id: orders.length + 1,
      by: auth(req).sub,
      item: typeof body?.item === 'string' ? body.item : 'unnamed',
    };
    orders.push(order);
    res.status(201).json(order);
  },
);

const server = app.listen(port, host, () => {
  const address = server.address() as AddressInfo;
  console.log(`express example listening on http://${address.address}:${address.port}`);
});
server.on('error', (err) => {
  console.error(`cannot listen on ${host}:${port}: ${err.message}`);
  process.exit(1);
});

async function shutdown(): Promise<void> {
  server.closeIdleConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await verifier.close();
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown());
process.once('SIGINT', () => void shutdown());
