/**
 * A push-stream server whose behaviour the test switches, to put a verifier in each state its
 * close() must end: connected, connecting (the server accepts and never answers), backing off (503),
 * mid-snapshot (a large first part, then nothing), mid-event (half an event written).
 */
import http from 'node:http';
import { type StoppableHttpServer, listenStoppable } from '../support/stoppable-http-server.js';
import { toWire } from '../../src/core/revocation/wire-format.js';
import type { SigningKey } from '../../src/core/tokens/key-ring.js';
import { SignedStream } from './signed-stream.js';
import { ISSUER, record } from './wire-stream-server.js';

export type StreamMode = 'normal' | 'silent' | 'unavailable' | 'half-snapshot';

export class ScriptedStreamServer {
  mode: StreamMode = 'normal';
  /** Stream requests received (any mode). */
  requests = 0;
  private server: StoppableHttpServer | undefined;
  private readonly open = new Set<http.ServerResponse>();
  private readonly feed: SignedStream;
  private readonly heartbeat = setInterval(() => this.write(this.feed.heartbeat()), 200);

  private constructor(key: SigningKey) {
    this.feed = new SignedStream(key, ISSUER);
    this.feed.append(record('token', 'revoked-at-start'));
  }

  /** `key` signs the stream's proofs (the verifier must know it). */
  static async start(key: SigningKey): Promise<ScriptedStreamServer> {
    const s = new ScriptedStreamServer(key);
    s.server = await listenStoppable((_req, res) => s.handle(res));
    return s;
  }

  get streamUrl(): string {
    return `http://127.0.0.1:${this.server!.port}/stream`;
  }

  /** Ends every open stream (the verifier reconnects, into the current mode). */
  cut(): void {
    for (const res of this.open) res.destroy();
    this.open.clear();
  }

  /** Writes raw bytes to every open stream. */
  write(raw: string): void {
    for (const res of this.open) if (res.headersSent) res.write(raw);
  }

  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.server?.stop();
  }

  private handle(res: http.ServerResponse): void {
    this.requests++;
    this.open.add(res);
    res.once('close', () => this.open.delete(res));
    switch (this.mode) {
      case 'silent':
        return; // accepted, never answered: the client is still connecting
      case 'unavailable':
        this.open.delete(res);
        res.writeHead(503, { 'retry-after': '1' }).end();
        return;
      case 'half-snapshot': {
        const revocations = Array.from({ length: 5_000 }, (_, i) =>
          toWire(record('token', `big-snapshot-${i}`)),
        );
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(
          `event: snapshot\ndata: ${JSON.stringify({ part: 0, final: false, generations: { global: 0, users: [], clients: [] }, revocations })}\n\n`,
        );
        this.open.delete(res); // no heartbeats: the snapshot never completes
        return;
      }
      case 'normal': {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'revokd-stream-protocol': '2' });
        res.write('retry: 50\n\n');
        res.write(this.feed.snapshot());
        res.write(this.feed.heartbeat());
      }
    }
  }
}
