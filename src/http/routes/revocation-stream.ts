/**
 * `GET /api/v1/revocations/stream` (SPEC §5.6): the push stream resource servers (the
 * `@revokd/verifier` package) keep their replica current from. Server-Sent Events in the format of
 * src/core/revocation/wire-format.ts; how a stream starts, catches up, joins the live sequence and
 * heartbeats is in src/app/revocation-stream/ (stream-session.ts explains why nothing is lost or
 * repeated). This file is only the HTTP side: credentials, the start read, headers, the hijack.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app/context.js';
import {
  STREAM_SCOPE,
  type StreamCredentials,
  authorizeStreamClient,
} from '../../app/revocation-stream/authorize-stream-client.js';
import { sharedSnapshots } from '../../app/revocation-stream/shared-snapshot.js';
import {
  staleCredentials,
  watchCredentials,
} from '../../app/revocation-stream/credential-watch.js';
import { retryFrame } from '../../app/revocation-stream/sse-frames.js';
import { SseWriter } from '../../app/revocation-stream/sse-writer.js';
import { type ProofSigner, StreamHub } from '../../app/revocation-stream/stream-hub.js';
import {
  STREAM_PROTOCOL_HEADER,
  STREAM_PROTOCOL_VERSION,
} from '../../core/revocation/stream-protocol.js';
import { signStreamProof } from '../../core/revocation/stream-proof.js';
import { type StreamStart, StreamSession } from '../../app/revocation-stream/stream-session.js';
import { lastEventIdOf, streamStart } from '../../app/revocation-stream/stream-start.js';
import { RevokdError, isRevokdError } from '../../core/errors.js';
import { bearerTokenOf } from '../bearer-guard.js';
import { Type } from '@sinclair/typebox';
import { ERROR_RESPONSES } from '../schemas/error.js';
import { SECURITY } from '../openapi.js';
import { clientCredentialsOf } from '../client-credentials.js';

export const STREAM_PATH = '/api/v1/revocations/stream';

/**
 * The `retry:` every stream starts with. A restart takes this service away for well under a
 * second, and a consumer that waits longer than that to come back is stale for nothing: 250 ms
 * brings verifiers back within half a second of the service being ready (issue 21), while the
 * consumers' jitter spreads their reconnects and their own floor and cap (docs/stream-protocol.md
 * §2) bound what this value can make them do. A constant: SPEC §5.6 names no setting for it.
 */
export const STREAM_RETRY_MS = 250;

const STREAM_SCHEMA = {
  tags: ['revocations'],
  summary: 'Server-Sent Events stream of revocations (the @revokd/verifier package consumes it)',
  description: `A client with the ${STREAM_SCOPE} scope, by HTTP Basic or by a bearer token of client_credentials. Events: snapshot, revocation, heartbeat — stream protocol ${STREAM_PROTOCOL_VERSION}, docs/stream-protocol.md.`,
  security: SECURITY.clientOrBearer,
  headers: Type.Object({
    'last-event-id': Type.Optional(Type.String({ description: 'Resume after this event' })),
  }),
  querystring: Type.Object({
    last_event_id: Type.Optional(
      Type.String({ description: 'Same as Last-Event-ID, for clients that cannot set headers' }),
    ),
  }),
  response: {
    200: {
      description: 'The event stream; it stays open',
      content: { 'text/event-stream': { schema: Type.String() } },
    },
    ...ERROR_RESPONSES,
  },
};

function credentialsOf(request: FastifyRequest): StreamCredentials {
  const header = request.headers.authorization;
  if (header === undefined || header.trim() === '') return { kind: 'none' };
  if (/^Basic /i.test(header))
    return { kind: 'basic', credentials: clientCredentialsOf(request, {}) };
  if (/^Bearer /i.test(header)) return { kind: 'bearer', token: bearerTokenOf(request) };
  return { kind: 'none' };
}

export function revocationStreamRoutes(app: FastifyInstance, ctx: AppContext): void {
  const settings = ctx.config.stream;
  // Ticks a quarter of a heartbeat apart: a heartbeat is at most that late.
  // Proofs are signed with the key tokens are signed with: the one every consumer already trusts.
  const sign: ProofSigner = (proof) => {
    const key = ctx.keys.current.signing;
    return key === undefined
      ? undefined
      : signStreamProof({ v: STREAM_PROTOCOL_VERSION, iss: ctx.config.issuer, ...proof }, key);
  };
  const hub = new StreamHub(
    ctx.replica,
    settings,
    Math.max(25, Math.floor(settings.heartbeatMs / 4)),
    sign,
  );
  ctx.metrics.watchStreams(() => hub.size);
  const feed = {
    // Announced in every snapshot, so a consumer can refuse a clock tolerance it cannot cover.
    openSnapshot: sharedSnapshots(
      ctx.stores.revocations,
      {
        sign,
        limits: {
          clockToleranceSeconds: ctx.config.clockToleranceSeconds,
          accessTtlSeconds: ctx.config.accessTtlSeconds,
        },
        // This instance's own count: a hint for the consumer's table, not a promise.
        tokenEntries: () => ctx.replica.state.size().tokens,
      },
      ctx.now,
    ),
    readFeed: (after: string, limit: number) => ctx.stores.revocations.readFeed(after, limit),
    parseFeedCursor: (text: string) => ctx.stores.revocations.parseFeedCursor(text),
    cursorIsAhead: (cursor: string) => ctx.stores.revocations.cursorIsAhead(cursor),
  };
  // preClose runs before Fastify waits for in-flight requests: a stream never ends by itself, so
  // shutdown (SIGTERM) would otherwise wait for every consumer to hang up.
  app.addHook('preClose', async () => hub.closeAll());

  // Credentials first, in a preHandler: the schema's failures are reported after it (validation.ts).
  const authorize = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const presented = credentialsOf(request);
    try {
      authorized.set(request, await authorizeStreamClient(ctx, presented, request.clientIp));
    } catch (err) {
      // RFC 6750 §3.1: a bearer request lacking the scope is told which one it needs.
      if (presented.kind === 'bearer' && isRevokdError(err) && err.code === 'ERR_FORBIDDEN') {
        reply.header(
          'www-authenticate',
          `Bearer realm="revokd", error="insufficient_scope", scope="${STREAM_SCOPE}"`,
        );
      }
      throw err;
    }
  };
  const authorized = new WeakMap<
    FastifyRequest,
    Awaited<ReturnType<typeof authorizeStreamClient>>
  >();

  app.get(
    STREAM_PATH,
    { preHandler: authorize, config: { validationCode: 'ERR_BAD_REQUEST' }, schema: STREAM_SCHEMA },
    async (request, reply) => {
      const who = authorized.get(request)!;
      const lastEventId = lastEventIdOf(
        request.headers['last-event-id'],
        (request.query as Record<string, unknown>).last_event_id,
      );
      const release = hub.admit(who.client.id);
      let start: StreamStart | undefined;
      // A snapshot this request will not send: its shared parts are not held for it.
      const abandon = (): void => {
        if (start?.kind === 'snapshot') start.snapshot.leave();
        release();
      };
      try {
        start = await streamStart(feed, lastEventId, ctx.now());
        // From here to watchCredentials nothing awaits: a record the replica applies now is seen by the watch.
        const stale = staleCredentials(ctx, who);
        if (stale !== undefined) throw stale;
      } catch (err) {
        abandon();
        throw err;
      }
      // A block that arrived during the start read found no session to end: refuse it here (from
      // this check to the session's subscription to the hub, nothing awaits).
      if (ctx.security.blocks.blockFor(request.clientIp) !== undefined) {
        abandon();
        throw new RevokdError('ERR_IP_BLOCKED', 'requests from this address are blocked');
      }

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-store',
        // nginx and similar proxies buffer responses unless told not to: a buffered stream is a stale one.
        'x-accel-buffering': 'no',
        'x-content-type-options': 'nosniff',
        [STREAM_PROTOCOL_HEADER]: String(STREAM_PROTOCOL_VERSION),
        connection: 'keep-alive',
      });
      res.flushHeaders();
      res.socket?.setNoDelay(true);
      const writer = new SseWriter(res, settings);
      writer.send(retryFrame(STREAM_RETRY_MS));
      const session = new StreamSession({
        hub,
        feed,
        view: ctx.replica,
        writer,
        log: request.log,
        peerIp: request.clientIp,
        timing: { heartbeatMs: settings.heartbeatMs, feedPollMs: ctx.config.feedPollMs },
        joinDeadlineMs: ctx.config.maxStalenessMs,
        onEvent: (kind) => ctx.metrics.countStreamEvent(kind),
      });
      const stopWatching = watchCredentials(ctx, who, () => session.end('credentials_ended'));
      writer.onClose((reason) => {
        stopWatching();
        release();
        request.log.info(
          { clientId: who.client.id, reason, frames: writer.framesSent },
          'revocation stream closed',
        );
      });
      request.log.info({ clientId: who.client.id, start: start.kind }, 'revocation stream opened');
      void session.run(start);
    },
  );
}
