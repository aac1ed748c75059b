/**
 * A small line-protocol TCP server authenticated by revokd API tokens (see README.md).
 *
 *   client: AUTH rvk_…           server: OK <email> <scopes>   (or ERR <reason>, then close)
 *   client: PING                 server: PONG
 *   client: WHOAMI               server: USER <email> <scopes> token=<token id>
 *   client: QUIT                 server: BYE
 *
 * When the token is revoked — by its owner, an admin, a policy, or by disabling its owner — the
 * change feed tells this process within REVOKD_FEED_POLL_MS and the connection gets
 * `BYE token revoked` and is closed. Every 30 s each connection's token is re-checked as a backstop.
 *
 * Run it with the same REVOKD_DATA_DIR (or REVOKD_DATABASE_URL) as the HTTP service:
 *   REVOKD_DATA_DIR=./data npx tsx examples/tcp-server/server.ts
 */
import net from 'node:net';
import { type Revokd, type VerifiedApiToken, isRevokdError, openRevokd } from '../../src/index.js';

const MAX_LINE_BYTES = 8 * 1024;
const AUTH_TIMEOUT_MS = 10_000;
const RECHECK_EVERY_MS = 30_000;
/** After `BYE …` the socket is ended; a peer that does not close its side is cut off after this. */
const CLOSE_GRACE_MS = 500;
const MAX_CONNECTIONS = 1000;

function envInt(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
    process.exit(2);
  }
  return n;
}

const port = envInt('TCP_PORT', 7070, 0, 65535);
const host = process.env.TCP_HOST?.trim() || '127.0.0.1';
const idleMs = envInt('TCP_IDLE_SECONDS', 300, 1, 86_400) * 1000;

/** Why a token was refused, in words a client can show (no internal detail). */
function refusal(err: unknown): string {
  if (!isRevokdError(err)) return 'internal error';
  switch (err.code) {
    case 'ERR_INVALID_TOKEN':
      return 'invalid token';
    case 'ERR_TOKEN_REVOKED':
      return 'token revoked';
    case 'ERR_TOKEN_EXPIRED':
      return 'token expired';
    case 'ERR_STORE_UNAVAILABLE':
      return 'temporarily unavailable';
    default:
      return 'authentication failed';
  }
}

/** The token no longer authenticates (as opposed to: could not be checked right now). */
const isCredentialFailure = (err: unknown): boolean =>
  isRevokdError(err) &&
  (err.code === 'ERR_INVALID_TOKEN' ||
    err.code === 'ERR_TOKEN_REVOKED' ||
    err.code === 'ERR_TOKEN_EXPIRED');

const scopeList = (scopes: readonly string[]): string =>
  scopes.length === 0 ? '-' : scopes.join(',');

class Connections {
  private readonly byToken = new Map<string, Set<Connection>>();
  private readonly byUser = new Map<string, Set<Connection>>();
  readonly all = new Set<Connection>();

  authenticated(conn: Connection, who: VerifiedApiToken): void {
    add(this.byToken, who.tokenId, conn);
    add(this.byUser, who.userId, conn);
  }

  remove(conn: Connection): void {
    this.all.delete(conn);
    if (conn.who !== undefined) {
      drop(this.byToken, conn.who.tokenId, conn);
      drop(this.byUser, conn.who.userId, conn);
    }
  }

  ofToken(tokenId: string): Connection[] {
    return [...(this.byToken.get(tokenId) ?? [])];
  }

  ofUser(userId: string): Connection[] {
    return [...(this.byUser.get(userId) ?? [])];
  }
}

function add(map: Map<string, Set<Connection>>, key: string, conn: Connection): void {
  let set = map.get(key);
  if (set === undefined) map.set(key, (set = new Set()));
  set.add(conn);
}

function drop(map: Map<string, Set<Connection>>, key: string, conn: Connection): void {
  const set = map.get(key);
  set?.delete(conn);
  if (set?.size === 0) map.delete(key);
}

class Connection {
  who: VerifiedApiToken | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private busy = false;
  private closed = false;
  private recheckTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: net.Socket,
    private readonly revokd: Revokd,
    private readonly registry: Connections,
  ) {
    registry.all.add(this);
    socket.setNoDelay(true);
    socket.setTimeout(AUTH_TIMEOUT_MS);
    socket.on('timeout', () =>
      this.close(this.who === undefined ? 'ERR authentication timeout' : 'BYE idle timeout'),
    );
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => undefined); // resets and the like: 'close' follows
    socket.on('close', () => {
      if (!this.closed) this.cleanup();
    });
  }

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    void this.pump();
  }

  /** Handles complete lines one at a time, in order (AUTH is asynchronous). */
  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (!this.closed) {
        const newline = this.buffer.indexOf(0x0a);
        if (newline === -1) {
          if (this.buffer.length > MAX_LINE_BYTES) this.close('ERR line too long');
          return;
        }
        if (newline > MAX_LINE_BYTES) return this.close('ERR line too long');
        const line = this.buffer.subarray(0, newline).toString('utf8').replace(/\r$/, '');
        this.buffer = this.buffer.subarray(newline + 1);
        await this.handle(line);
      }
    } finally {
      this.busy = false;
    }
  }

  private async handle(line: string): Promise<void> {
    const trimmed = line.trim();
    if (trimmed === '') return;
    const [verb = '', ...args] = trimmed.split(/\s+/);
    const command = verb.toUpperCase();
    if (this.who === undefined) {
      if (command !== 'AUTH') return this.close('ERR not authenticated');
      if (args.length !== 1) return this.close('ERR usage: AUTH <token>');
      return this.authenticate(args[0] as string);
    }
    switch (command) {
      case 'PING':
        return this.send('PONG');
      case 'WHOAMI':
        return this.send(
          `USER ${this.who.email} ${scopeList(this.who.scopes)} token=${this.who.tokenId}`,
        );
      case 'QUIT':
        return this.close('BYE');
      case 'AUTH':
        return this.send('ERR already authenticated');
      default:
        return this.send('ERR unknown command');
    }
  }

  private async authenticate(token: string): Promise<void> {
    // No more input until the answer: nothing may run as this client before it is authenticated.
    this.socket.pause();
    try {
      const who = await this.revokd.verifyApiToken(token, {
        ...(this.socket.remoteAddress === undefined ? {} : { ip: this.socket.remoteAddress }),
      });
      if (this.closed) return;
      this.who = who;
      this.registry.authenticated(this, who);
      this.socket.setTimeout(idleMs);
      this.recheckTimer = setInterval(() => void this.recheck(), RECHECK_EVERY_MS);
      this.recheckTimer.unref();
      this.send(`OK ${who.email} ${scopeList(who.scopes)}`);
      // A revocation the feed delivered between the check above and the registration would have
      // found no connection to drop: look once more now that the connection is registered.
      void this.recheck();
    } catch (err) {
      if (!isRevokdError(err)) console.error('tcp-server: token verification failed:', err);
      this.close(`ERR ${refusal(err)}`);
    } finally {
      if (!this.closed) this.socket.resume();
    }
  }

  /** Drops the connection if its token no longer authenticates; keeps it if the check could not be made. */
  async recheck(): Promise<void> {
    if (this.who === undefined || this.closed) return;
    try {
      await this.revokd.recheckApiToken(this.who.tokenId);
    } catch (err) {
      if (isCredentialFailure(err)) this.close(`BYE ${refusal(err)}`);
      else console.error('tcp-server: could not re-check a token (connection kept):', err);
    }
  }

  send(line: string): void {
    if (!this.closed) this.socket.write(`${line}\n`);
  }

  /** Sends a last line, ends the connection and forgets it. */
  close(lastLine: string): void {
    if (this.closed) return;
    this.socket.end(`${lastLine}\n`);
    this.cleanup();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  private cleanup(): void {
    this.closed = true;
    this.buffer = Buffer.alloc(0);
    if (this.recheckTimer !== undefined) clearInterval(this.recheckTimer);
    this.registry.remove(this);
  }
}

async function main(): Promise<void> {
  const revokd = await openRevokd();
  const registry = new Connections();

  revokd.onApiTokenRevoked((tokenId) => {
    for (const conn of registry.ofToken(tokenId)) conn.close('BYE token revoked');
  });
  // A user-scope revocation (e.g. the user was disabled): re-check that user's connections now,
  // dropping those whose token no longer authenticates. Disabling a user also revokes each API
  // token, which the listener above hears too.
  revokd.onUserRevoked((userId) => {
    for (const conn of registry.ofUser(userId)) void conn.recheck();
  });

  const server = net.createServer((socket) => new Connection(socket, revokd, registry));
  server.maxConnections = MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;
  console.log(`revokd tcp example listening on ${address.address}:${address.port}`);

  let stopping = false;
  const shutdown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const closed = new Promise((resolve) => server.close(resolve));
    for (const conn of [...registry.all]) conn.close('BYE server shutting down');
    await closed;
    await revokd.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
}

main().catch((err: unknown) => {
  console.error('tcp-server: could not start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
