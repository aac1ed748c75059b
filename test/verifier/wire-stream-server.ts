/**
 * A small real HTTP server that speaks the push stream's protocol 2 (docs/stream-protocol.md:
 * signed heartbeats and snapshots over the feed chain, signed-stream.ts) and publishes a JWKS, for testing the verifier's parsing, resume, staleness and
 * middleware without the whole service. The service's own endpoint is exercised by the e2e tests.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { type StoppableHttpServer, listenStoppable } from '../support/stoppable-http-server.js';
import { signAccessToken } from '../../src/core/tokens/access-token.js';
import { newKeyPair } from '../../src/keys/new-key-pair.js';
import type { SigningKey } from '../../src/core/tokens/key-ring.js';
import type { RevocationRecord } from '../../src/core/revocation/types.js';
import { SignedStream } from './signed-stream.js';
import { revocationFrame } from '../../src/app/revocation-stream/sse-frames.js';

export const ISSUER = 'https://issuer.test';
export const AUDIENCE = 'api.test';
export const CLIENT_ID = 'rs-client';
export const CLIENT_SECRET = 'rs-secret with spaces+plus';

export function makeSigningKey(kid: string): SigningKey {
  const { publicKey, privateKey } = newKeyPair('EdDSA');
  return {
    kid,
    alg: 'EdDSA',
    key: publicKey,
    privateKey,
    publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'EdDSA', use: 'sig' },
  };
}

export interface TokenFields {
  sub?: string;
  sid?: string;
  client_id?: string;
  jti?: string;
  iat?: number;
  ttl?: number;
  gen?: number;
  ugen?: number;
  cgen?: number;
  scope?: string;
}

export async function signToken(key: SigningKey, fields: TokenFields = {}): Promise<string> {
  const iat = fields.iat ?? Math.floor(Date.now() / 1000);
  return signAccessToken(
    {
      iss: ISSUER,
      aud: AUDIENCE,
      sub: fields.sub ?? 'user-1',
      iat,
      exp: iat + (fields.ttl ?? 600),
      jti: fields.jti ?? randomBytes(16).toString('base64url'),
      sid: fields.sid ?? 'sess-1',
      client_id: fields.client_id ?? 'web',
      scope: fields.scope ?? 'read',
      gen: fields.gen ?? globalGeneration,
      ugen: fields.ugen ?? 0,
      cgen: fields.cgen ?? 0,
    },
    key,
  );
}

let seqCounter = 0;
/** The global generation published so far: new tokens are stamped with it, as the service does. */
let globalGeneration = 0;
/** A revocation record of a scope, as a store would commit it. */
export function record(
  scope: RevocationRecord['scope'],
  target: string,
  extra: Partial<RevocationRecord> = {},
): RevocationRecord {
  if (scope === 'global') globalGeneration = Math.max(globalGeneration, extra.generation ?? 0);
  return {
    seq: ++seqCounter,
    scope,
    target,
    issuer: scope === 'token' ? ISSUER : null,
    generation: null,
    windowFrom: null,
    windowTo: null,
    expiresAtMs:
      scope === 'token' || scope === 'session' || scope === 'window'
        ? Date.now() + 3_600_000
        : null,
    initiator: 'admin',
    reason: 'admin',
    note: null,
    createdAtMs: Date.now(),
    ...extra,
  };
}

export class WireStreamServer {
  readonly keys: SigningKey[];
  /** The feed: its records and chain, and the frames proving them (signed with the first key). */
  readonly feed: SignedStream;
  /** The Last-Event-ID of every stream request, in order (undefined: none sent). */
  readonly lastEventIds: Array<string | undefined> = [];
  jwksFetches = 0;
  private server: StoppableHttpServer | undefined;
  private readonly streams = new Set<http.ServerResponse>();
  private heartbeat: NodeJS.Timeout | undefined;
  private port = 0;
  /** When false the stream answers 503 (an outage); connections already open are cut. */
  private up = true;

  private constructor(keys: SigningKey[]) {
    this.keys = keys;
    this.feed = new SignedStream(keys[0]!, ISSUER);
  }

  get records(): readonly RevocationRecord[] {
    return this.feed.records;
  }

  static async start(keys: SigningKey[] = [makeSigningKey('key-1')]): Promise<WireStreamServer> {
    const s = new WireStreamServer(keys);
    s.server = await listenStoppable((req, res) => s.handle(req, res));
    s.port = s.server.port;
    s.heartbeat = setInterval(() => s.broadcast(s.feed.heartbeat()), 200);
    return s;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get streamUrl(): string {
    return `${this.url}/stream`;
  }
  get jwksUri(): string {
    return `${this.url}/jwks.json`;
  }
  get openStreams(): number {
    return this.streams.size;
  }

  /** Commits a revocation and pushes it to every open stream. */
  publish(r: RevocationRecord): void {
    this.broadcast(this.feed.append(r));
  }

  /** Sends raw bytes to every open stream (for malformed-stream tests). */
  broadcast(raw: string): void {
    for (const res of this.streams) res.write(raw);
  }

  /** The stream becomes unreachable: open streams are cut and new ones refused until up(). */
  down(): void {
    this.up = false;
    for (const res of this.streams) res.destroy();
    this.streams.clear();
  }

  bringUp(): void {
    this.up = true;
  }

  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.server?.stop();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.url === '/jwks.json') {
      this.jwksFetches++;
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: this.keys.map((k) => k.publicJwk) }));
      return;
    }
    if (req.url !== '/stream') return void res.writeHead(404).end();
    const expected = `Basic ${Buffer.from(`${CLIENT_ID}:${encodeURIComponent(CLIENT_SECRET).replace(/%20/g, '+')}`).toString('base64')}`;
    if (req.headers.authorization !== expected)
      return void res.writeHead(401, { 'www-authenticate': 'Basic realm="revokd"' }).end();
    if (!this.up) return void res.writeHead(503, { 'retry-after': '1' }).end();
    const lastId = req.headers['last-event-id'] as string | undefined;
    this.lastEventIds.push(lastId);
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      'revokd-stream-protocol': '2',
    });
    res.write('retry: 50\n\n');
    const known =
      lastId !== undefined &&
      /^[0-9]+$/.test(lastId) &&
      this.records.some((r) => String(r.seq) === lastId);
    if (known) {
      for (const r of this.records.filter((x) => x.seq > Number(lastId)))
        res.write(revocationEvent(r));
    } else {
      res.write(this.feed.snapshot());
    }
    res.write(this.feed.heartbeat());
    this.streams.add(res);
    res.once('close', () => this.streams.delete(res));
  }
}

function revocationEvent(r: RevocationRecord): string {
  return revocationFrame(r, String(r.seq));
}
