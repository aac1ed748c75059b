/**
 * A raw Server-Sent Events client for the push-stream tests, on node:http (no EventSource
 * library): it shows exactly what went over the wire — every field of every event, the status and
 * headers of a refused connection — and can stop reading (pause) to play a slow consumer.
 */
import http from 'node:http';

export interface SseEvent {
  readonly event: string;
  /** The `id:` field, if the event had one. */
  readonly id: string | undefined;
  /** `data`, parsed as JSON. */
  readonly data: any;
  /** When it was parsed (Date.now()). */
  readonly receivedAtMs: number;
}

export interface SseConnectOptions {
  readonly authorization?: string;
  readonly lastEventId?: string;
  readonly headers?: Record<string, string>;
}

/** A refused connection: the status, headers and (JSON) body. */
export interface SseRefusal {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: any;
}

export function basicAuth(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
}

export class SseStream {
  readonly events: SseEvent[] = [];
  /** The id of the last event that had one (what a client resumes from). */
  lastEventId: string | undefined;
  /** SSE comment lines received (`: …`): they keep a connection alive but are not events. */
  comments = 0;
  private buffer = '';
  private waiters: Array<() => void> = [];
  ended = false;
  readonly endedPromise: Promise<void>;
  private markEnded!: () => void;

  constructor(
    readonly response: http.IncomingMessage,
    private readonly request: http.ClientRequest,
  ) {
    this.endedPromise = new Promise((resolve) => {
      this.markEnded = resolve;
    });
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.feed(chunk));
    const end = (): void => {
      if (this.ended) return;
      this.ended = true;
      this.markEnded();
      this.notify();
    };
    response.on('end', end);
    response.on('close', end);
    response.on('error', end);
    request.on('error', end);
  }

  get headers(): http.IncomingHttpHeaders {
    return this.response.headers;
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end < 0) break;
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = 'message';
      let id: string | undefined;
      const data: string[] = [];
      const lines = block.split('\n');
      // A block of comment lines only (what a stream sends while catching up) is no event.
      if (lines.every((line) => line.startsWith(':'))) {
        this.comments += lines.length;
        continue;
      }
      for (const line of lines) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'id') id = value;
        else if (field === 'data') data.push(value);
      }
      if (id !== undefined) this.lastEventId = id;
      // A block without data (the stream's opening `retry:`) is no event (WHATWG HTML §9.2.6).
      if (data.length === 0) continue;
      this.events.push({ event, id, data: JSON.parse(data.join('\n')), receivedAtMs: Date.now() });
    }
    this.notify();
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits until `probe(events)` gives a value (or throws after timeoutMs, or if the stream ends first). */
  async until<T>(
    what: string,
    probe: (events: readonly SseEvent[]) => T | undefined,
    timeoutMs = 15_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe(this.events);
      if (value !== undefined) return value;
      if (this.ended)
        throw new Error(`stream ended while waiting for ${what} (${this.events.length} events)`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out waiting for ${what} (${this.events.length} events)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for the whole first snapshot (through its final part); returns its parts. */
  async snapshot(timeoutMs = 15_000): Promise<SseEvent[]> {
    return this.until(
      'the snapshot',
      (events) => {
        const final = events.findIndex((e) => e.event === 'snapshot' && e.data.final === true);
        return final < 0
          ? undefined
          : events.slice(0, final + 1).filter((e) => e.event === 'snapshot');
      },
      timeoutMs,
    );
  }

  /** The revocation events received so far (in order). */
  revocations(): SseEvent[] {
    return this.events.filter((e) => e.event === 'revocation');
  }

  /** Stops reading from the socket (the server's output backs up). */
  pause(): void {
    this.response.pause();
  }

  close(): void {
    this.request.destroy();
    this.response.destroy();
  }
}

/** Opens the stream; resolves a live SseStream for a 200, else the refusal. */
export function connectSse(
  url: string,
  options: SseConnectOptions = {},
): Promise<SseStream | SseRefusal> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: 'text/event-stream', ...options.headers };
    if (options.authorization !== undefined) headers.authorization = options.authorization;
    if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
    const req = http.get(url, { headers, agent: false });
    req.once('error', reject);
    req.once('response', (res) => {
      if (res.statusCode !== 200) {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => {
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = text;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
        return;
      }
      resolve(new SseStream(res, req));
    });
  });
}

/** connectSse that must succeed. */
export async function openSse(url: string, options: SseConnectOptions = {}): Promise<SseStream> {
  const result = await connectSse(url, options);
  if (!(result instanceof SseStream))
    throw new Error(`stream refused: ${result.status} ${JSON.stringify(result.body)}`);
  return result;
}
