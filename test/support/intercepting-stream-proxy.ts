/**
 * A real man in the middle for the push stream: an HTTP proxy between a consumer and revokd that
 * forwards every request (credentials, Last-Event-ID and all) and passes the event stream through
 * frame by frame — or, when told to, withholds, alters, reorders or replays frames. What a hostile
 * or broken proxy, load balancer or sidecar could do; the verifier must notice every one of them.
 */
import http from 'node:http';
import { type StoppableHttpServer, listenStoppable } from './stoppable-http-server.js';

/** One SSE frame as revokd writes it (`event:` / `id:` / `data:` lines, or a comment). */
export interface Frame {
  readonly text: string;
  readonly event: string | undefined;
  readonly data: string | undefined;
}

/** Decides what goes downstream for each frame from upstream (an empty array: withheld). */
export type FrameTamper = (frame: Frame) => readonly string[];

export const passThrough: FrameTamper = (frame) => [frame.text];

function parseFrame(text: string): Frame {
  const line = (name: string): string | undefined =>
    new RegExp(`^${name}: ?(.*)$`, 'm').exec(text)?.[1];
  return { text, event: line('event'), data: line('data') };
}

export class InterceptingStreamProxy {
  /** Applied to every frame of every stream from now on. */
  tamper: FrameTamper = passThrough;
  /** Every frame revokd sent through this proxy, in order (for replays). */
  readonly seen: Frame[] = [];
  private server: StoppableHttpServer | undefined;
  private readonly upstream: URL;
  private readonly downstreams = new Set<http.ServerResponse>();

  private constructor(upstream: string) {
    this.upstream = new URL(upstream);
  }

  static async start(upstream: string): Promise<InterceptingStreamProxy> {
    const proxy = new InterceptingStreamProxy(upstream);
    proxy.server = await listenStoppable((req, res) => proxy.forward(req, res));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.server!.port}`;
  }

  /** Writes frames of the proxy's own making to every open stream (a replay, say). */
  inject(text: string): void {
    for (const res of this.downstreams) res.write(text);
  }

  async stop(): Promise<void> {
    await this.server?.stop();
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const headers = { ...req.headers, host: this.upstream.host };
    const out = http.request(
      {
        host: this.upstream.hostname,
        port: this.upstream.port,
        method: req.method,
        path: req.url,
        headers,
      },
      (upstream) => {
        res.writeHead(upstream.statusCode ?? 502, upstream.headers);
        if (!String(upstream.headers['content-type'] ?? '').startsWith('text/event-stream')) {
          upstream.pipe(res);
          return;
        }
        res.flushHeaders();
        this.downstreams.add(res);
        res.once('close', () => {
          this.downstreams.delete(res);
          upstream.destroy();
        });
        upstream.once('close', () => res.end());
        let buffered = '';
        upstream.setEncoding('utf8');
        upstream.on('data', (chunk: string) => {
          buffered += chunk;
          for (let end = buffered.indexOf('\n\n'); end !== -1; end = buffered.indexOf('\n\n')) {
            const frame = parseFrame(buffered.slice(0, end + 2));
            buffered = buffered.slice(end + 2);
            this.seen.push(frame);
            for (const text of this.tamper(frame)) res.write(text);
          }
        });
      },
    );
    out.on('error', () => res.destroy());
    res.once('close', () => out.destroy());
    req.pipe(out);
  }
}
