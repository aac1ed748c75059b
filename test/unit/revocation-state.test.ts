/** The revocation model (SPEC §3) as pure decisions: each scope alone, and every pair composed. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RevocationState } from '../../src/core/revocation/revocation-state.js';
import type {
  RevocationRecord,
  RevocationScope,
  TokenStamp,
} from '../../src/core/revocation/types.js';
import { revocationRecord } from '../support/revocation-record.js';

/** The scopes a token stamp is checked against (API tokens are checked by id, below). */
type StampScope = Exclude<RevocationScope, 'api_token'>;

let seq = 0;
const record = (
  over: Partial<RevocationRecord> & Pick<RevocationRecord, 'scope' | 'target'>,
): RevocationRecord => revocationRecord({ seq: ++seq, ...over });

const token: TokenStamp = {
  iss: 'https://iss',
  jti: 'jti-00000001',
  sid: 'sid-1',
  sub: 'user-1',
  clientId: 'client-1',
  kid: 'kid-1',
  iat: 1000,
  gen: 0,
  ugen: 0,
  cgen: 0,
};

/** One revocation of each scope that covers `token`. */
const covering: Record<StampScope, RevocationRecord> = {
  token: record({ scope: 'token', target: token.jti, issuer: token.iss, expiresAtMs: 10_000 }),
  session: record({ scope: 'session', target: token.sid, expiresAtMs: 10_000 }),
  user: record({ scope: 'user', target: token.sub, generation: 1 }),
  client: record({ scope: 'client', target: token.clientId, generation: 1 }),
  key: record({ scope: 'key', target: token.kid! }),
  window: record({ scope: 'window', target: '*', windowFrom: 900, windowTo: 1001 }),
  global: record({ scope: 'global', target: '*', generation: 1 }),
};

/** The same scopes aimed elsewhere: they must not touch `token`. */
const elsewhere: Record<StampScope, RevocationRecord> = {
  token: record({ scope: 'token', target: 'jti-other', issuer: token.iss }),
  session: record({ scope: 'session', target: 'sid-other' }),
  user: record({ scope: 'user', target: 'user-other', generation: 5 }),
  client: record({ scope: 'client', target: 'client-other', generation: 5 }),
  key: record({ scope: 'key', target: 'kid-other' }),
  window: record({ scope: 'window', target: '*', windowFrom: 1001, windowTo: 2000 }),
  global: record({ scope: 'global', target: '*', generation: 0 }),
};

const scopes = Object.keys(covering) as StampScope[];

describe('revocation state', () => {
  test('an empty state revokes nothing', () => {
    assert.deepEqual(new RevocationState().check(token), { revoked: false });
  });

  for (const scope of scopes) {
    test(`${scope}: a covering revocation rejects the token; one aimed elsewhere does not`, () => {
      const hit = new RevocationState();
      hit.apply(covering[scope]);
      assert.deepEqual(hit.check(token), { revoked: true, scope });
      const miss = new RevocationState();
      miss.apply(elsewhere[scope]);
      assert.deepEqual(miss.check(token), { revoked: false });
    });
  }

  test('composition: for every pair of scopes, either one alone revokes, whatever the other says', () => {
    for (const a of scopes) {
      for (const b of scopes) {
        const state = new RevocationState();
        state.apply(elsewhere[b]);
        state.apply(covering[a]);
        assert.equal(state.check(token).revoked, true, `${a} covering, ${b} elsewhere`);
        const reverse = new RevocationState();
        reverse.apply(covering[a]);
        reverse.apply(elsewhere[b]);
        assert.equal(reverse.check(token).revoked, true, `${a} covering then ${b} elsewhere`);
      }
    }
  });

  test('same instant: a token stamped with the bumped generation passes, the old one does not', () => {
    const state = new RevocationState();
    state.apply(record({ scope: 'user', target: token.sub, generation: 3 }));
    assert.equal(state.check({ ...token, ugen: 2, iat: 5000 }).revoked, true);
    assert.equal(state.check({ ...token, ugen: 3, iat: 5000 }).revoked, false);
  });

  test('generations only move up, so feed records applied out of order cannot un-revoke', () => {
    const state = new RevocationState();
    state.apply(record({ scope: 'global', target: '*', generation: 4 }));
    state.apply(record({ scope: 'global', target: '*', generation: 2 }));
    state.setGenerations(1, [[token.sub, 1]], []);
    assert.equal(state.check({ ...token, gen: 3 }).revoked, true);
    assert.equal(state.generations(token.sub, token.clientId).gen, 4);
  });

  test('a per-user generation never affects another user, and a client one never another client', () => {
    const state = new RevocationState();
    state.apply(record({ scope: 'user', target: 'user-2', generation: 9 }));
    state.apply(record({ scope: 'client', target: 'client-2', generation: 9 }));
    assert.equal(state.check(token).revoked, false);
  });

  test('window bounds: from is inclusive, to is exclusive', () => {
    const state = new RevocationState();
    state.apply(record({ scope: 'window', target: '*', windowFrom: 1000, windowTo: 1010 }));
    assert.equal(state.check({ ...token, iat: 999 }).revoked, false);
    assert.equal(state.check({ ...token, iat: 1000 }).revoked, true);
    assert.equal(state.check({ ...token, iat: 1009 }).revoked, true);
    assert.equal(state.check({ ...token, iat: 1010 }).revoked, false);
  });

  test("a token entry is keyed on the verified jti (a feed is one issuer's), with or without an issuer named", () => {
    const named = new RevocationState();
    named.apply(record({ scope: 'token', target: token.jti, issuer: token.iss }));
    assert.deepEqual(named.check(token), { revoked: true, scope: 'token' });
    const bare = new RevocationState();
    bare.apply(record({ scope: 'token', target: token.jti, issuer: null }));
    assert.deepEqual(bare.check(token), { revoked: true, scope: 'token' });
    assert.equal(bare.check({ ...token, jti: 'jti-00000002' }).revoked, false);
  });

  test('api_token records are tracked by id and never touch JWT checks', () => {
    const state = new RevocationState();
    state.apply(record({ scope: 'api_token', target: 'api-1', expiresAtMs: 5000 }));
    assert.equal(state.isApiTokenRevoked('api-1'), true);
    assert.equal(state.isApiTokenRevoked('api-2'), false);
    assert.equal(state.check(token).revoked, false);
    state.prune(6000);
    assert.equal(state.isApiTokenRevoked('api-1'), false);
  });

  test('prune drops only entries past their expiry', () => {
    const state = new RevocationState();
    state.apply(
      record({ scope: 'token', target: token.jti, issuer: token.iss, expiresAtMs: 5000 }),
    );
    state.apply(record({ scope: 'session', target: 'sid-keep', expiresAtMs: 9000 }));
    assert.equal(state.prune(4999), 0);
    assert.equal(state.check(token).revoked, true);
    assert.equal(state.prune(5001), 1);
    assert.equal(state.check(token).revoked, false);
    assert.equal(state.check({ ...token, sid: 'sid-keep' }).revoked, true);
  });
});
