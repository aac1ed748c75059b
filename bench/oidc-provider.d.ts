/**
 * The part of `oidc-provider` (which ships no type declarations) that bench/oidc-provider-peer.ts
 * uses: construct, listen, hear server errors. Its configuration object is passed through as is.
 */
declare module 'oidc-provider' {
  import type { Server } from 'node:http';

  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    listen(port: number, host: string, onListening: () => void): Server;
    on(event: 'server_error', listener: (ctx: unknown, err: Error) => void): this;
  }
}
