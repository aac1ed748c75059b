/**
 * Writes the stream conformance vectors (`conformance/stream/*.json`, format in vector.ts) from the
 * service's own frame builders and proof signer, so the vectors are what revokd really sends.
 * Deterministic (fixed keys, clock and ids; Ed25519 signatures are deterministic): running it again
 * rewrites the same files, and test/verifier/stream-conformance.test.ts checks they are current.
 *
 *   npx tsx conformance/stream/generate.ts
 *
 * The private keys below are test material published on purpose: they sign nothing but vectors.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { snapshotFrames } from '../../src/app/revocation-stream/snapshot-parts.js';
import { heartbeatFrame } from '../../src/app/revocation-stream/sse-frames.js';
import { GENESIS_CHAIN, nextChain, revocationData } from '../../src/core/revocation/feed-chain.js';
import { STREAM_PROTOCOL_VERSION } from '../../src/core/revocation/stream-protocol.js';
import { type StreamProof, signStreamProof } from '../../src/core/revocation/stream-proof.js';
import type { RevocationRecord } from '../../src/core/revocation/types.js';
import { signAccessToken } from '../../src/core/tokens/access-token.js';
import type { SigningKey } from '../../src/core/tokens/key-ring.js';
import type { ExpectedError, Step, Vector } from './vector.js';

const ISSUER = 'https://auth.example.com';
const AUDIENCE = 'https://api.example.com';
/** The vectors' clock: every step is this plus a few seconds. */
const T0 = 1_800_000_000_000;

function signingKey(kid: string, jwk: Record<string, string>): SigningKey {
  const privateKey = createPrivateKey({ key: jwk as never, format: 'jwk' });
  const key = createPublicKey(privateKey);
  return {
    kid,
    alg: 'EdDSA',
    key,
    privateKey,
    publicJwk: { ...key.export({ format: 'jwk' }), kid, alg: 'EdDSA', use: 'sig' },
  };
}

const ISSUER_KEY = signingKey('conformance-1', {
  crv: 'Ed25519',
  kty: 'OKP',
  d: 'wU6tWD2IukzlOMrx06v43VCBH1_dykDPS03-90Nj5h0',
  x: 'JKthqdU5TXMGHz0jTT7rKbhI6D6d1ZLycaP_eNjtJHo',
});
/** Not in the JWKS: what a man in the middle signs with, under the issuer's kid. */
const ATTACKER_KEY = signingKey('conformance-1', {
  crv: 'Ed25519',
  kty: 'OKP',
  d: 'xrxCBuM3wODupc9Rm1Swsj3yvhM8PzHUqc-NWjzakHM',
  x: 'TxftR3g2z1Q7OXkI8pZHGeMomZTGEuRyWMj3AVW_SMo',
});

interface Received {
  readonly event: string;
  readonly id: string | null;
  readonly data: string;
}

function parseFrame(frame: string): Received {
  const field = (name: string): string | undefined =>
    new RegExp(`^${name}: (.*)$`, 'm').exec(frame)?.[1];
  return { event: field('event')!, id: field('id') ?? null, data: field('data')! };
}

/** A feed being committed: records with seqs, the chain, and the events that carry them. */
class Feed {
  private seq = 100;
  chain = GENESIS_CHAIN;
  readonly records: RevocationRecord[] = [];

  record(
    scope: RevocationRecord['scope'],
    target: string,
    extra: Partial<RevocationRecord> = {},
  ): RevocationRecord {
    this.seq += 1;
    const expires =
      scope === 'token' || scope === 'session' || scope === 'window' || scope === 'api_token'
        ? T0 + 3_600_000
        : null;
    return {
      seq: this.seq,
      scope,
      target,
      issuer: scope === 'token' ? ISSUER : null,
      generation: null,
      windowFrom: null,
      windowTo: null,
      expiresAtMs: expires,
      initiator: 'admin',
      reason: 'compromised',
      note: null,
      createdAtMs: T0 - 1_000 + this.seq,
      ...extra,
    };
  }

  /** Commits `record`; the event that carries it. */
  commit(record: RevocationRecord): Received {
    this.records.push(record);
    return this.commitData(String(record.seq), revocationData(record));
  }

  /** Commits an event whose data text is given (a newer service's fields, reasons or scopes). */
  commitData(id: string, data: string): Received {
    this.chain = nextChain(this.chain, data);
    const seq = Number(id);
    if (seq > this.seq) this.seq = seq;
    return { event: 'revocation', id, data };
  }

  get head(): string {
    return String(this.seq);
  }

  proof(fields: Omit<StreamProof, 'v' | 'iss'>, key = ISSUER_KEY): string {
    return signStreamProof({ v: STREAM_PROTOCOL_VERSION, iss: ISSUER, ...fields }, key);
  }

  /** The snapshot of every record committed so far, in parts of `partSize`, proven as of `atMs`. */
  snapshot(
    atMs: number,
    partSize = 2,
    generations = {
      global: 0,
      users: [] as Array<[string, number]>,
      clients: [] as Array<[string, number]>,
    },
  ): Received[] {
    const snapshot = {
      records: this.records,
      globalGeneration: generations.global,
      userGenerations: generations.users,
      clientGenerations: generations.clients,
      cursor: this.head,
      chain: this.chain,
    };
    const limits = { clockToleranceSeconds: 5, accessTtlSeconds: 900 };
    return [
      ...snapshotFrames(snapshot, { atMs, sign: (p) => this.proof(p), partSize, limits }),
    ].map(parseFrame);
  }

  heartbeat(atMs: number, options: { key?: SigningKey; chain?: string } = {}): Received {
    const fields = { at: atMs, head: this.head, chain: options.chain ?? this.chain };
    return parseFrame(heartbeatFrame(fields, this.proof(fields, options.key)));
  }
}

interface TokenSpec {
  sub?: string;
  sid?: string;
  client_id?: string;
  iat?: number;
  gen?: number;
  ugen?: number;
  cgen?: number;
}

async function token(jti: string, spec: TokenSpec = {}): Promise<string> {
  const iat = spec.iat ?? T0 / 1000 - 60;
  return signAccessToken(
    {
      iss: ISSUER,
      aud: AUDIENCE,
      sub: spec.sub ?? `user-${jti}`,
      iat,
      exp: iat + 900,
      jti,
      sid: spec.sid ?? `sid-${jti}`,
      client_id: spec.client_id ?? 'web',
      scope: 'read',
      gen: spec.gen ?? 0,
      ugen: spec.ugen ?? 0,
      cgen: spec.cgen ?? 0,
    },
    ISSUER_KEY,
  );
}

const at = (ms: number, received: Received, expect_error?: ExpectedError): Step => ({
  now_ms: T0 + ms,
  receive: received,
  ...(expect_error === undefined ? {} : { expect_error }),
});
const receiveAll = (ms: number, events: readonly Received[]): Step[] =>
  events.map((e) => at(ms, e));
const check = (
  ms: number,
  name: string,
  expect: 'accept' | 'revoked' | 'unavailable' | 'invalid',
): Step => ({ now_ms: T0 + ms, check: { token: name, expect } });
const connect = (
  lastEventId: string | null,
  protocolHeader: string | null = String(STREAM_PROTOCOL_VERSION),
): Step => ({ connect: { expect_last_event_id: lastEventId, protocol_header: protocolHeader } });

function vector(
  name: string,
  description: string,
  tokens: Record<string, string>,
  steps: Step[],
  consumer: Partial<Vector['consumer']> = {},
): Vector {
  return {
    protocol: STREAM_PROTOCOL_VERSION,
    name,
    description,
    consumer: {
      issuer: ISSUER,
      audience: AUDIENCE,
      max_staleness_ms: 2_000,
      fail_mode: 'closed',
      clock_tolerance_seconds: 5,
      max_token_lifetime_seconds: 3_600,
      ...consumer,
    },
    jwks: { keys: [ISSUER_KEY.publicJwk!] },
    tokens,
    steps,
  };
}

async function vectors(): Promise<Vector[]> {
  const out: Vector[] = [];
  const tokens = {
    alice: await token('jti-alice'),
    bob: await token('jti-bob-00'),
    carol: await token('jti-carol'),
  };

  {
    const feed = new Feed();
    feed.commit(feed.record('token', 'jti-alice'));
    feed.commit(feed.record('session', 'sid-unrelated'));
    feed.commit(feed.record('user', 'user-nobody', { generation: 1 }));
    const snapshot = feed.snapshot(T0);
    const bobOut = feed.commit(feed.record('token', 'jti-bob-00'));
    out.push(
      vector(
        'snapshot-then-events',
        'A snapshot in two parts and a final part with its proof; a revocation event; a heartbeat. A snapshot applies only once its final part is proven; an event applies at once; only proofs make the consumer current.',
        tokens,
        [
          connect(null),
          check(0, 'alice', 'unavailable'),
          ...receiveAll(10, snapshot.slice(0, -1)),
          check(10, 'alice', 'unavailable'),
          at(20, snapshot.at(-1)!),
          check(20, 'alice', 'revoked'),
          check(20, 'bob', 'accept'),
          at(30, bobOut),
          check(30, 'bob', 'revoked'),
          check(30, 'carol', 'accept'),
          at(1_500, feed.heartbeat(T0 + 1_500)),
          check(3_400, 'carol', 'accept'),
          check(3_600, 'carol', 'unavailable'),
          at(3_700, feed.heartbeat(T0 + 3_700)),
          check(3_700, 'carol', 'accept'),
        ],
      ),
    );
  }

  {
    const feed = new Feed();
    feed.commit(feed.record('token', 'jti-alice'));
    const snapshot = feed.snapshot(T0);
    const e1 = feed.commit(feed.record('token', 'jti-bob-00'));
    const hb1 = feed.heartbeat(T0 + 200);
    const e2 = feed.commit(feed.record('token', 'jti-carol'));
    out.push(
      vector(
        'resume-after-a-cut',
        "After a connection ends, the consumer resumes with the id of the last event it applied (the snapshot's when none followed) and continues the chain across connections.",
        tokens,
        [
          connect(null),
          ...receiveAll(0, snapshot),
          at(100, e1),
          at(200, hb1),
          connect(e1.id),
          at(300, e2),
          at(400, feed.heartbeat(T0 + 400)),
          check(400, 'alice', 'revoked'),
          check(400, 'bob', 'revoked'),
          check(400, 'carol', 'revoked'),
        ],
      ),
    );
  }

  {
    const feed = new Feed();
    feed.commit(feed.record('session', 'sid-unrelated'));
    const snapshot = feed.snapshot(T0);
    feed.commit(feed.record('token', 'jti-alice')); // withheld by a man in the middle
    const resync = feed.snapshot(T0 + 1_000);
    out.push(
      vector(
        'withheld-event',
        'A revocation is withheld and the heartbeat after it passed: the heartbeat proves a chain the consumer does not hold. It must be stale at once, and reconnect with no Last-Event-ID for a fresh snapshot.',
        tokens,
        [
          connect(null),
          ...receiveAll(0, snapshot),
          check(0, 'alice', 'accept'),
          at(500, feed.heartbeat(T0 + 500), 'tampered'),
          check(500, 'alice', 'unavailable'),
          connect(null),
          ...receiveAll(1_000, resync),
          check(1_000, 'alice', 'revoked'),
        ],
      ),
    );
  }

  {
    const feed = new Feed();
    const snapshot = feed.snapshot(T0);
    const real = feed.commit(feed.record('token', 'jti-alice'));
    const altered = { ...real, data: real.data.replace('jti-alice', 'jti-other') };
    out.push(
      vector(
        'altered-event',
        "An event's data is altered on the way (another jti): the chain over the bytes received differs from the one the next heartbeat proves.",
        tokens,
        [
          connect(null),
          ...receiveAll(0, snapshot),
          at(100, altered),
          check(100, 'bob', 'accept'),
          at(500, feed.heartbeat(T0 + 500), 'tampered'),
          check(500, 'alice', 'unavailable'),
          check(500, 'bob', 'unavailable'),
        ],
      ),
    );
  }

  {
    const feed = new Feed();
    const snapshot = feed.snapshot(T0);
    const e1 = feed.commit(feed.record('token', 'jti-alice'));
    const e2 = feed.commit(feed.record('token', 'jti-bob-00'));
    out.push(
      vector(
        'reordered-events',
        'Two events swapped on the way: the state would be the same, the chain is not.',
        tokens,
        [
          connect(null),
          ...receiveAll(0, snapshot),
          at(100, e2),
          at(100, e1),
          at(500, feed.heartbeat(T0 + 500), 'tampered'),
          check(500, 'carol', 'unavailable'),
        ],
      ),
    );
  }

  {
    const feed = new Feed();
    const e0 = feed.commit(feed.record('token', 'jti-alice'));
    const snapshot = feed.snapshot(T0);
    out.push(
      vector(
        'replayed-event',
        'An old event (already in the snapshot) sent again: the chain moves, the proof does not.',
        tokens,
        [
          connect(null),
          ...receiveAll(0, snapshot),
          at(100, e0),
          at(500, feed.heartbeat(T0 + 500), 'tampered'),
          check(500, 'bob', 'unavailable'),
        ],
      ),
    );
  }

  {
    const feed = new Feed();
    const snapshot = feed.snapshot(T0);
    out.push(
      vector(
        'forged-heartbeat',
        'A heartbeat with the issuer\'s kid but not its signature (a man in the middle keeping a consumer "current"): refused as tampering; the view is stale at once.',
        tokens,
        [
          connect(null),
          ...receiveAll(0, snapshot),
          check(0, 'alice', 'accept'),
          at(1_900, feed.heartbeat(T0 + 1_900, { key: ATTACKER_KEY }), 'tampered'),
          check(1_900, 'alice', 'unavailable'),
        ],
      ),
    );
  }

  {
    const feed = new Feed();
    const snapshot = feed.snapshot(T0);
    const old = feed.heartbeat(T0 + 100);
    out.push(
      vector(
        'replayed-heartbeat',
        'A genuine but old heartbeat sent again later proves only its own time: the consumer goes stale max_staleness_ms after it, however often it is replayed.',
        tokens,
        [
          connect(null),
          ...receiveAll(0, snapshot),
          at(100, old),
          at(1_000, old),
          at(2_000, old),
          check(2_000, 'alice', 'accept'),
          at(2_200, old),
          check(2_200, 'alice', 'unavailable'),
          at(3_000, old),
          check(3_000, 'alice', 'unavailable'),
        ],
      ),
    );
  }

  {
    const feed = new Feed();
    const snapshot = feed.snapshot(T0);
    const newer = feed.commitData(
      '201',
      JSON.stringify({
        seq: 201,
        initiator: 'policy',
        reason: 'quantum_key_leak',
        created_at: T0,
        scope: 'token',
        jti: 'jti-alice',
        iss: ISSUER,
        expires_at: T0 + 3_600_000,
        risk_score: 97,
      }),
    );
    out.push(
      vector(
        'newer-reason-field-and-event',
        'What a newer service may add and an older consumer must ignore: an unknown reason and field (applied; the chain covers the bytes as received) and an unknown event type.',
        tokens,
        [
          connect(null),
          ...receiveAll(0, snapshot),
          at(100, { event: 'x-future-event', id: null, data: '{"anything":true}' }),
          at(200, newer),
          at(300, feed.heartbeat(T0 + 300)),
          check(300, 'alice', 'revoked'),
          check(300, 'bob', 'accept'),
        ],
      ),
    );
  }

  {
    const feed = new Feed();
    const snapshot = feed.snapshot(T0);
    const unknown = feed.commitData(
      '301',
      JSON.stringify({
        seq: 301,
        initiator: 'admin',
        reason: 'admin',
        created_at: T0,
        scope: 'device',
        device_id: 'dev-1',
        expires_at: null,
      }),
    );
    out.push(
      vector(
        'unknown-scope',
        'A revocation of a scope this protocol does not define: the consumer cannot enforce it, so it stops deciding for good — even in fail mode open — with an error naming the protocol it needs, and does not reconnect.',
        tokens,
        [
          connect(null, '3'),
          ...receiveAll(0, snapshot),
          check(0, 'bob', 'accept'),
          at(100, unknown, 'halted'),
          check(100, 'bob', 'unavailable'),
          at(200, feed.heartbeat(T0 + 200)),
          check(200, 'bob', 'unavailable'),
        ],
        { fail_mode: 'open' },
      ),
    );
  }

  {
    const feed = new Feed();
    const snapshot = feed.snapshot(T0);
    const part0 = JSON.parse(snapshot[0]!.data) as { revocations: unknown[] };
    part0.revocations.push({
      seq: 99,
      initiator: 'admin',
      reason: 'admin',
      created_at: T0,
      scope: 'device',
      device_id: 'dev-1',
      expires_at: null,
    });
    out.push(
      vector(
        'unknown-scope-in-snapshot',
        'A snapshot part holding a revocation of a scope this protocol does not define: the consumer halts as for such an event (never reconnects to meet the same snapshot again).',
        tokens,
        [
          connect(null, '3'),
          at(0, { ...snapshot[0]!, data: JSON.stringify(part0) }, 'halted'),
          check(0, 'bob', 'unavailable'),
        ],
        { fail_mode: 'open' },
      ),
    );
  }

  {
    const feed = new Feed();
    feed.commit(feed.record('token', 'jti-alice'));
    const frames = feed.snapshot(T0);
    const stripped = {
      ...frames[0]!,
      data: frames[0]!.data.replace(/"revocations":\[.*\]\}$/, '"revocations":[]}'),
    };
    out.push(
      vector(
        'snapshot-stripped',
        "A snapshot part emptied on the way: its digest no longer matches the one the final part's proof signs, and the snapshot is not applied.",
        tokens,
        [
          connect(null),
          at(0, stripped),
          ...receiveAll(0, frames.slice(1, -1)),
          at(0, frames.at(-1)!, 'tampered'),
          check(0, 'alice', 'unavailable'),
          check(0, 'bob', 'unavailable'),
        ],
      ),
    );
  }

  {
    const feed = new Feed();
    feed.commit(feed.record('token', 'jti-alice'));
    const v1Snapshot = {
      event: 'snapshot',
      id: feed.head,
      data: JSON.stringify({
        part: 0,
        final: true,
        generations: { global: 0, users: [], clients: [] },
        revocations: feed.records.map((r) => JSON.parse(revocationData(r)) as unknown),
      }),
    };
    out.push(
      vector(
        'protocol-1-service',
        'A service that announces no protocol and sends no proofs can never show a consumer current: the consumer stops with an error saying so (it does not loop on reconnects).',
        tokens,
        [connect(null, null), at(0, v1Snapshot, 'halted'), check(0, 'bob', 'unavailable')],
      ),
    );
  }

  {
    const feed = new Feed();
    const iat = T0 / 1000 - 60;
    const scoped = {
      jti: await token('jti-tok-0'),
      session: await token('jti-ses-0', { sid: 'sid-s' }),
      user: await token('jti-usr-0', { sub: 'user-u', ugen: 0 }),
      user_after: await token('jti-usr-2', { sub: 'user-u', ugen: 1 }),
      client: await token('jti-cli-0', { client_id: 'client-c' }),
      key_other: await token('jti-key-0'),
      window: await token('jti-win-0', { iat: iat - 100 }),
      after_window: await token('jti-win-2', { iat }),
      global: await token('jti-glo-0', { gen: 0 }),
      global_after: await token('jti-glo-2', { gen: 1 }),
      issued_before_global: await token('jti-old-0'),
    };
    const snapshot = feed.snapshot(T0);
    const events = [
      feed.commit(feed.record('token', 'jti-tok-0')),
      feed.commit(feed.record('session', 'sid-s')),
      feed.commit(feed.record('user', 'user-u', { generation: 1 })),
      feed.commit(feed.record('client', 'client-c', { generation: 1 })),
      feed.commit(feed.record('key', 'some-other-kid')),
      feed.commit(feed.record('window', '*', { windowFrom: iat - 200, windowTo: iat - 50 })),
    ];
    const beforeGlobal = feed.heartbeat(T0 + 200);
    const globalEvent = feed.commit(feed.record('global', '*', { generation: 1 }));
    out.push(
      vector(
        'every-scope',
        "What each scope revokes, named as the token's claims name it: jti, sid, sub below a generation, client_id below a generation, kid, an iat window, and everything below a global generation.",
        scoped,
        [
          connect(null),
          ...receiveAll(0, snapshot),
          ...receiveAll(100, events),
          at(200, beforeGlobal),
          check(200, 'jti', 'revoked'),
          check(200, 'session', 'revoked'),
          check(200, 'user', 'revoked'),
          check(200, 'user_after', 'accept'),
          check(200, 'client', 'revoked'),
          check(200, 'key_other', 'accept'),
          check(200, 'window', 'revoked'),
          check(200, 'after_window', 'accept'),
          check(200, 'global', 'accept'),
          at(300, globalEvent),
          at(400, feed.heartbeat(T0 + 400)),
          check(400, 'global', 'revoked'),
          check(400, 'global_after', 'accept'),
          check(400, 'issued_before_global', 'revoked'),
        ],
      ),
    );
  }
  return out;
}

export const VECTOR_DIR = path.dirname(fileURLToPath(import.meta.url));

/** The vectors as files: name → JSON text. */
export async function vectorFiles(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const v of await vectors()) files.set(`${v.name}.json`, `${JSON.stringify(v, null, 2)}\n`);
  return files;
}

if (
  process.argv[1] !== undefined &&
  fileURLToPath(import.meta.url) === path.resolve(process.argv[1])
) {
  for (const [name, text] of await vectorFiles())
    fs.writeFileSync(path.join(VECTOR_DIR, name), text);
  process.stdout.write(
    `wrote ${(await vectorFiles()).size} vectors to ${path.relative(process.cwd(), VECTOR_DIR)}/\n`,
  );
}
