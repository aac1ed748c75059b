/**
 * A real TCP proxy that records every connection attempt made through it, in order: what a test
 * watches a client's reconnect behaviour through without touching its timers. Each attempt is
 * forwarded to the upstream port, or reset at once — when the upstream refuses it (the server is
 * down) or while the test asks for refusals (`refuseNext`). `cutAll()` drops every forwarded
 * connection, the way a load balancer or a crash of the server would.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';

export interface Attempt {
  /** performance.now() when the connection was accepted. */
  readonly at: number;
  /** 'refused': reset by this proxy, or by the upstream; 'forwarded': it reached the upstream. */
  outcome: 'pending' | 'refused' | 'forwarded';
}

export class CountingTcpProxy {
  readonly attempts: Attempt[] = [];
  /** Attempts still to reset without trying the upstream. */
  refuseNext = 0;
  private readonly server: net.Server;
  private readonly upstreamPort: number;
  private readonly open = new Set<net.Socket>();

  private constructor(upstreamPort: number) {
    this.upstreamPort = upstreamPort;
    this.server = net.createServer((client) => this.accept(client));
  }

  static async start(upstreamPort: number): Promise<CountingTcpProxy> {
    const proxy = new CountingTcpProxy(upstreamPort);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', resolve);
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Drops every forwarded connection (both sides). */
  cutAll(): void {
    for (const socket of this.open) socket.destroy();
  }

  async stop(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    const attempt: Attempt = { at: performance.now(), outcome: 'pending' };
    this.attempts.push(attempt);
    client.on('error', () => {});
    if (this.refuseNext > 0) {
      this.refuseNext--;
      attempt.outcome = 'refused';
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(this.upstreamPort, '127.0.0.1');
    upstream.on('error', () => {
      if (attempt.outcome === 'pending') attempt.outcome = 'refused';
      client.resetAndDestroy();
    });
    upstream.once('connect', () => {
      attempt.outcome = 'forwarded';
      this.open.add(client);
      this.open.add(upstream);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    const forget = (): void => {
      this.open.delete(client);
      this.open.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.once('close', forget);
    upstream.once('close', forget);
  }
}
