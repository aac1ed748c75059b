/**
 * Benchmark fixtures: an Ed25519 key ring, access tokens shaped like the ones revokd issues, and a
 * RevocationState filled the way the replica fills it (one feed record at a time).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { signAccessToken } from '../src/core/tokens/access-token.js';
import { newKeyPair } from '../src/keys/new-key-pair.js';
import type { KeyRing, SigningKey } from '../src/core/tokens/key-ring.js';
import type { RevocationState } from '../src/core/revocation/revocation-state.js';
import type { RevocationRecord } from '../src/core/revocation/types.js';

export const ISSUER = 'https://auth.example.com';
/** revokd's default audience is the issuer. */
export const AUDIENCE = ISSUER;
export const CLIENT_ID = 'revokd';
export const ACCESS_TTL_SECONDS = 900;
export const CLOCK_TOLERANCE_SECONDS = 5;

/** Generations in force in the filled state; the benchmark's live tokens carry exactly these. */
export const GLOBAL_GENERATION = 2;
export const CLIENT_GENERATION = 1;

/** An Ed25519 key ring with one key, built the way KeyManager builds it (kid = JWK thumbprint). */
export async function makeKeyRing(): Promise<KeyRing> {
  const { privateKey, publicKey } = newKeyPair('EdDSA');
  const publicJwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
  const signing: SigningKey = {
    kid,
    alg: 'EdDSA',
    key: publicKey,
    privateKey,
    publicJwk: { ...publicJwk, kid, alg: 'EdDSA', use: 'sig' },
  };
  return { signing, verification: new Map([[kid, signing]]) };
}

/**
 * Random base64url ids from one buffer (same format as `newId()`: 16 random bytes, 22 chars).
 * Each id is a fresh flat string, like a jti read from the store.
 */
export class IdSource {
  private buffer = Buffer.alloc(0);
  private offset = 0;

  next(): string {
    if (this.offset + 16 > this.buffer.length) {
      this.buffer = randomBytes(16 * 65_536);
      this.offset = 0;
    }
    const id = this.buffer.toString('base64url', this.offset, this.offset + 16);
    this.offset += 16;
    return id;
  }
}

export interface UserFixture {
  readonly sub: string;
  readonly ugen: number;
}

/** A session-bound access token as `login` issues it (sub is a UUID, sid and jti are `newId()`). */
export async function makeAccessToken(
  ring: KeyRing,
  ids: IdSource,
  user: UserFixture,
  jti: string,
  nowSec: number,
): Promise<string> {
  if (ring.signing === undefined) throw new Error('the bench ring has no signing key');
  return signAccessToken(
    {
      iss: ISSUER,
      sub: user.sub,
      aud: AUDIENCE,
      iat: nowSec,
      exp: nowSec + ACCESS_TTL_SECONDS,
      jti,
      sid: ids.next(),
      client_id: CLIENT_ID,
      scope: 'openid profile email',
      gen: GLOBAL_GENERATION,
      ugen: user.ugen,
      cgen: CLIENT_GENERATION,
    },
    ring.signing,
  );
}

let seq = 0;

function record(
  fields: Pick<RevocationRecord, 'scope' | 'target'> & Partial<RevocationRecord>,
): RevocationRecord {
  seq++;
  return {
    seq,
    issuer: null,
    generation: null,
    windowFrom: null,
    windowTo: null,
    expiresAtMs: null,
    initiator: 'user',
    reason: 'logout',
    note: null,
    createdAtMs: 0,
    ...fields,
  };
}

/** A `scope: 'token'` feed record as the store emits it: the jti, its issuer, the token's expiry. */
export function tokenRecord(jti: string, expiresAtMs: number): RevocationRecord {
  return record({
    scope: 'token',
    target: jti,
    issuer: ISSUER,
    expiresAtMs,
    createdAtMs: expiresAtMs - ACCESS_TTL_SECONDS * 1000,
  });
}

/**
 * Applies `count` token revocations with random jtis. `include` are applied first (the jtis the
 * benchmark later presents as revoked). Expiries spread over one access-token lifetime, as they
 * would in a live feed.
 */
export function applyTokenRevocations(
  state: RevocationState,
  ids: IdSource,
  count: number,
  include: readonly string[],
  nowMs: number,
): void {
  const ttlMs = ACCESS_TTL_SECONDS * 1000;
  for (let i = 0; i < count; i++) {
    const jti = i < include.length ? include[i]! : ids.next();
    state.apply(tokenRecord(jti, nowMs + ttlMs - (i % ttlMs)));
  }
}

/**
 * The rest of a busy state: revoked sessions, users whose generation was bumped (logout-all,
 * password change), a client generation and a global generation. The users returned are the ones
 * the benchmark's live tokens belong to: they have a generation entry, and their tokens carry it,
 * so `check` reaches and passes every lookup.
 */
export function applyOtherRevocations(
  state: RevocationState,
  ids: IdSource,
  counts: { sessions: number; users: number },
  nowMs: number,
): UserFixture[] {
  const ttlMs = ACCESS_TTL_SECONDS * 1000;
  for (let i = 0; i < counts.sessions; i++) {
    state.apply(
      record({ scope: 'session', target: ids.next(), expiresAtMs: nowMs + ttlMs - (i % ttlMs) }),
    );
  }
  const users: UserFixture[] = [];
  for (let i = 0; i < counts.users; i++) {
    const user = { sub: randomUUID(), ugen: 1 + (i % 3) };
    state.apply(
      record({ scope: 'user', target: user.sub, generation: user.ugen, reason: 'logout_all' }),
    );
    users.push(user);
  }
  state.apply(
    record({
      scope: 'client',
      target: CLIENT_ID,
      generation: CLIENT_GENERATION,
      initiator: 'admin',
      reason: 'admin',
    }),
  );
  state.apply(
    record({
      scope: 'client',
      target: 'other-client',
      generation: 4,
      initiator: 'admin',
      reason: 'admin',
    }),
  );
  state.apply(
    record({
      scope: 'global',
      target: '*',
      generation: GLOBAL_GENERATION,
      initiator: 'admin',
      reason: 'admin',
    }),
  );
  return users;
}
