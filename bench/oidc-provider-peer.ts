/**
 * node-oidc-provider (`oidc-provider` from npm) as the peer of revokd's RFC 7662 / RFC 7009
 * endpoints in bench/http-throughput.ts: started in a child process of its own (so neither server
 * shares an event loop with autocannon or with the other), on a free loopback port, with the
 * smallest configuration that gives the honest equivalent of revokd's API-token introspection:
 *
 *   - one confidential client, `client_secret_basic`, allowed the client_credentials grant;
 *   - features clientCredentials, introspection and revocation on; everything else off
 *     (devInteractions, no login UI: nothing in the request path but the endpoints measured);
 *   - tokens are its own opaque `ClientCredentials` tokens (no resource indicator ⇒ opaque, a
 *     lookup by id in its adapter per introspection — as revokd looks an API token up by hash);
 *   - the adapter is in memory: a plain `Map` (below). The package's own memory adapter is an LRU
 *     capped at 1,000 entries, which would evict the pre-issued tokens of a run; a Map keeps them
 *     all. In memory FLATTERS the peer: revokd reads its tokens from SQLite or PostgreSQL.
 *
 * Run as a child (`node --import tsx bench/oidc-provider-peer.ts`): it prints one JSON line
 * `{"port":…}` on stdout once it listens, and exits when its stdin closes or on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { newKeyPair } from '../src/keys/new-key-pair.js';

/** The peer's one client (a benchmark fixture, not a secret). */
export const PEER_CLIENT = {
  clientId: 'bench-rs',
  clientSecret: 'bench-rs-secret-0123456789abcdef',
} as const;

/** A running peer; `stop()` ends the child process. */
export interface OidcProviderPeer {
  readonly url: string;
  readonly pid: number;
  /** Access tokens from its token endpoint (client_credentials grant), `concurrency` at a time. */
  mintTokens(count: number, concurrency?: number): Promise<string[]>;
  stop(): Promise<void>;
}

/** Basic credentials of {@link PEER_CLIENT} (RFC 6749 §2.3.1: form-urlencoded, then base64). */
export function peerBasicAuth(): string {
  const encode = (s: string): string => encodeURIComponent(s);
  return `Basic ${Buffer.from(`${encode(PEER_CLIENT.clientId)}:${encode(PEER_CLIENT.clientSecret)}`).toString('base64')}`;
}

/** Starts the peer in a child process and waits until it listens. */
export async function startOidcProviderPeer(): Promise<OidcProviderPeer> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve'],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NODE_ENV: 'production', DEBUG: '' },
    },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`oidc-provider peer did not start in 20 s:\n${stderr}`)),
      20_000,
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`oidc-provider peer exited with ${code}:\n${stderr}`));
    });
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    pid: child.pid as number,
    mintTokens: (count, concurrency = 8) => mintPeerTokens(url, count, concurrency),
    stop: () => stopChild(child),
  };
}

async function mintPeerTokens(url: string, count: number, concurrency: number): Promise<string[]> {
  const tokens: string[] = [];
  const worker = async (): Promise<void> => {
    while (tokens.length < count) {
      const res = await fetch(`${url}/token`, {
        method: 'POST',
        headers: {
          authorization: peerBasicAuth(),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
      const body = (await res.json()) as { access_token?: string };
      if (res.status !== 200 || typeof body.access_token !== 'string')
        throw new Error(`oidc-provider token endpoint: ${res.status} ${JSON.stringify(body)}`);
      tokens.push(body.access_token);
    }
  };
  await Promise.all([...Array(concurrency)].map(worker));
  return tokens.slice(0, count);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

// ---------------------------------------------------------------------------------------------
// The child: the provider itself.
// ---------------------------------------------------------------------------------------------

/** The adapter interface oidc-provider calls (only what client_credentials, introspection and revocation use). */
class MapAdapter {
  private static readonly rows = new Map<
    string,
    { payload: Record<string, unknown>; expiresAtMs: number }
  >();
  constructor(private readonly model: string) {}
  private key(id: string): string {
    return `${this.model}:${id}`;
  }
  async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void> {
    MapAdapter.rows.set(this.key(id), {
      payload,
      expiresAtMs:
        expiresIn === undefined ? Number.POSITIVE_INFINITY : Date.now() + expiresIn * 1000,
    });
  }
  async find(id: string): Promise<Record<string, unknown> | undefined> {
    const row = MapAdapter.rows.get(this.key(id));
    if (row === undefined) return undefined;
    if (row.expiresAtMs <= Date.now()) {
      MapAdapter.rows.delete(this.key(id));
      return undefined;
    }
    return row.payload;
  }
  async findByUid(): Promise<undefined> {
    return undefined;
  }
  async findByUserCode(): Promise<undefined> {
    return undefined;
  }
  async consume(id: string): Promise<void> {
    const row = MapAdapter.rows.get(this.key(id));
    if (row !== undefined) row.payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id: string): Promise<void> {
    MapAdapter.rows.delete(this.key(id));
  }
  async revokeByGrantId(): Promise<void> {
    // ClientCredentials tokens belong to no grant: nothing to cascade to.
  }
}

async function serve(): Promise<void> {
  const { Provider } = await import('oidc-provider');
  // A signing key of its own (it signs nothing measured here, but without one it falls back to a
  // development key and says so). Made the one way revokd makes keys, safe to export to JWK.
  const { privateKey } = newKeyPair('EdDSA');
  const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'EdDSA', use: 'sig', kid: 'bench' };
  // The issuer is only echoed back as `iss` in introspection responses: no port needed in it.
  const provider = new Provider('http://127.0.0.1', {
    adapter: MapAdapter,
    clients: [
      {
        client_id: PEER_CLIENT.clientId,
        client_secret: PEER_CLIENT.clientSecret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'EdDSA',
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: ['bench-cookie-key-0123456789abcdef'] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // The same rule as revokd: a confidential client introspects any token; only the client a
      // token was issued to may revoke it.
      introspection: { enabled: true, allowedPolicy: async () => true },
      revocation: {
        enabled: true,
        allowedPolicy: async (
          _ctx: unknown,
          client: { clientId: string },
          token: { clientId?: string },
        ) => token.clientId === client.clientId,
      },
    },
    ttl: { ClientCredentials: 3600 },
  });
  provider.on('server_error', (_ctx: unknown, err: Error) =>
    process.stderr.write(`oidc-provider server_error: ${err.stack ?? err.message}\n`),
  );
  const server = provider.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
  });
  const stop = (): void => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  process.stdin.on('end', stop);
  process.stdin.resume();
  process.once('SIGTERM', stop);
}

if (
  process.argv[1] !== undefined &&
  fileURLToPath(import.meta.url) === process.argv[1] &&
  process.argv.includes('--serve')
) {
  await serve();
}
