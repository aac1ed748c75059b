/**
 * A loopback HTTP server for tests that can always be stopped: it remembers its sockets, so stop()
 * cuts long-lived responses (SSE streams) and sockets accepted meanwhile instead of waiting on them.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface StoppableHttpServer {
  /** The port it listens on, on 127.0.0.1. */
  readonly port: number;
  /** Closes the server and destroys every socket it accepted; resolves once it is closed. */
  stop(): Promise<void>;
}

export async function listenStoppable(handler: http.RequestListener): Promise<StoppableHttpServer> {
  const server = http.createServer(handler);
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // After close(): a socket accepted meanwhile is cut too, so close() cannot wait on it forever.
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
