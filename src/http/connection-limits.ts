/**
 * Connection hygiene (docs/architecture.md, "Connection limits"): no client can hold a connection
 * open by sending slowly or not at all. Node enforces the request and headers timeouts only when it
 * sweeps its connection list, every `connectionsCheckingInterval` (default 30 s, which would let a
 * stalled body live up to twice the timeout); sweeping every second keeps the bound close to the
 * configured value. Fastify passes `http` to `http.createServer` (where the interval must be given)
 * and sets `requestTimeout` / `keepAliveTimeout` on the server itself.
 */
import type { ServerOptions } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { HttpLimitsConfig } from '../core/config.js';

/** How often Node looks for requests past their headers/request timeout. */
export const CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;

export function connectionLimitOptions(limits: HttpLimitsConfig): {
  requestTimeout: number;
  keepAliveTimeout: number;
  http: ServerOptions;
} {
  return {
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS,
    },
  };
}

/** The cap can only be set on the created server: past it, Node closes new sockets on arrival. */
export function applyConnectionCap(app: FastifyInstance, limits: HttpLimitsConfig): void {
  app.server.maxConnections = limits.maxConnections;
}
