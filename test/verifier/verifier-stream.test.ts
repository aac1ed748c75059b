/**
 * createVerifier against a real HTTP server speaking the stream's wire format: start, every
 * revocation scope, Last-Event-ID resume, the staleness bound in both fail modes, JWKS caching and
 * key revocation, bad credentials, start timeout, option validation, and close() leaving nothing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, afterEach, before, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import {
  createVerifier,
  type Verifier,
  type VerifierOptions,
} from '../../packages/verifier/src/index.js';
import { nonCanonicalSpellings } from '../support/base64url-spellings.js';
import { REPO_ROOT } from '../support/server-process.js';
import { until } from '../support/until.js';
import {
  AUDIENCE,
  CLIENT_ID,
  CLIENT_SECRET,
  ISSUER,
  WireStreamServer,
  makeSigningKey,
  record,
  signToken,
} from './wire-stream-server.js';

const rejectsWith = async (
  promise: Promise<unknown>,
  code: string,
  status: number,
): Promise<void> => {
  await assert.rejects(promise, (err: { code?: string; status?: number }) => {
    assert.equal(err.code, code);
    assert.equal(err.status, status);
    return true;
  });
};

describe('createVerifier over the push stream', () => {
  let server: WireStreamServer;
  const verifiers: Verifier[] = [];
  const open = async (extra: Partial<VerifierOptions> = {}): Promise<Verifier> => {
    const v = await createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: server.jwksUri,
      stream: { url: server.streamUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
      maxStalenessMs: 1000,
      failMode: 'closed',
      ...extra,
    });
    verifiers.push(v);
    return v;
  };

  before(async () => {
    server = await WireStreamServer.start();
  });
  // A failed outage test must not leave the next tests without a stream.
  afterEach(() => server.bringUp());
  after(async () => {
    for (const v of verifiers) await v.close();
    await server.stop();
  });

  test('resolves with the snapshot loaded: a token revoked before start is rejected, others pass', async () => {
    const key = server.keys[0]!;
    const revokedEarly = await signToken(key, { jti: 'revoked-before-start' });
    server.publish(record('token', 'revoked-before-start'));
    const v = await open();
    await rejectsWith(v.verify(revokedEarly), 'ERR_TOKEN_REVOKED', 401);
    const claims = await v.verify(await signToken(key, { sub: 'alice' }));
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.iss, ISSUER);
  });

  test('every scope pushed on the stream rejects the tokens it covers, and only those', async () => {
    const key = server.keys[0]!;
    const v = await open();
    const nowSec = Math.floor(Date.now() / 1000);
    const cases: Array<{ name: string; token: string; revoke: () => void }> = [
      {
        name: 'jti',
        token: await signToken(key, { jti: 'scope-jti-0001' }),
        revoke: () => server.publish(record('token', 'scope-jti-0001')),
      },
      {
        name: 'session',
        token: await signToken(key, { sid: 'scope-sid' }),
        revoke: () => server.publish(record('session', 'scope-sid')),
      },
      {
        name: 'user',
        token: await signToken(key, { sub: 'scope-user' }),
        revoke: () => server.publish(record('user', 'scope-user', { generation: 1 })),
      },
      {
        name: 'client',
        token: await signToken(key, { client_id: 'scope-client' }),
        revoke: () => server.publish(record('client', 'scope-client', { generation: 1 })),
      },
      {
        name: 'window',
        token: await signToken(key, { iat: nowSec - 100 }),
        revoke: () =>
          server.publish(
            record('window', '*', { windowFrom: nowSec - 101, windowTo: nowSec - 99 }),
          ),
      },
    ];
    const bystander = await signToken(key, { sub: 'bystander', sid: 'other', client_id: 'other' });
    for (const c of cases) {
      await v.verify(c.token);
      c.revoke();
      await until(`${c.name} revocation applied`, async () =>
        v.verify(c.token).then(
          () => undefined,
          (err) => (err.code === 'ERR_TOKEN_REVOKED' ? true : undefined),
        ),
      );
      await v.verify(bystander);
    }
    const newAfterUserRevoke = await signToken(key, { sub: 'scope-user', ugen: 1 });
    await v.verify(newAfterUserRevoke);
    server.publish(record('global', '*', { generation: 1 }));
    await until('global revocation applied', async () =>
      v.verify(bystander).then(
        () => undefined,
        (err) => (err.code === 'ERR_TOKEN_REVOKED' ? true : undefined),
      ),
    );
    await v.verify(await signToken(key, { sub: 'scope-user', ugen: 1 }));
  });

  test('a key revoked on the stream rejects its tokens at once, with no JWKS refetch', async () => {
    const second = makeSigningKey('key-2');
    server.keys.push(second);
    const v = await open();
    const token = await signToken(second);
    await v.verify(token);
    const fetches = server.jwksFetches;
    server.publish(record('key', 'key-2'));
    await until('key revocation applied', async () =>
      v.verify(token).then(
        () => undefined,
        (err) => (err.code === 'ERR_TOKEN_REVOKED' ? true : undefined),
      ),
    );
    assert.equal(server.jwksFetches, fetches);
    server.keys.pop();
  });

  test('the verified-token cache: a one-byte variant of a cached token is refused, a cached token still expires, size 0 turns it off', async () => {
    const key = server.keys[0]!;
    for (const verifiedTokenCacheSize of [10_000, 0]) {
      const v = await open({ verifiedTokenCacheSize, clockToleranceSeconds: 0 });
      const token = await signToken(key, { ttl: 2 });
      for (let i = 0; i < 5; i++) await v.verify(token);
      for (const segment of [1, 2]) {
        const parts = token.split('.');
        const s = parts[segment]!;
        const at = Math.floor(s.length / 2);
        parts[segment] = s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
        await rejectsWith(v.verify(parts.join('.')), 'ERR_INVALID_TOKEN', 401);
      }
      const exp = (Math.floor(Date.now() / 1000) + 2) * 1000;
      await until(
        'the cached token to expire',
        async () =>
          v.verify(token).then(
            () => undefined,
            (err) => (err.code === 'ERR_TOKEN_EXPIRED' ? true : undefined),
          ),
        6_000,
      );
      assert.ok(Date.now() >= exp - 1000, 'not before its exp');
    }
  });

  test("the 15 other spellings of a cached token's signature are refused (each time: never cached); the token itself passes", async () => {
    const key = server.keys[0]!;
    const v = await open();
    const token = await signToken(key);
    for (let i = 0; i < 3; i++) await v.verify(token);
    const spellings = nonCanonicalSpellings(token, 2);
    assert.equal(spellings.length, 15, 'an Ed25519 signature has 4 unused bits');
    for (const variant of [
      ...spellings,
      ...nonCanonicalSpellings(token, 0),
      ...nonCanonicalSpellings(token, 1),
    ]) {
      for (let i = 0; i < 2; i++) await rejectsWith(v.verify(variant), 'ERR_INVALID_TOKEN', 401);
    }
    assert.equal((await v.verify(token)).iss, ISSUER, 'the canonical spelling is accepted');
  });

  test('onRevocation tells each applied revocation, after which verify already refuses it; unsubscribe stops it', async () => {
    const key = server.keys[0]!;
    const v = await open();
    const token = await signToken(key, { jti: 'told-jti-0001' });
    await v.verify(token);
    const told: Array<{ scope: string; target: string; refused: boolean }> = [];
    const unsubscribe = v.onRevocation((r) => {
      told.push({ scope: r.scope, target: r.target, refused: false });
      const entry = told.at(-1)!;
      v.verify(token).then(
        () => undefined,
        (err: { code?: string }) => {
          entry.refused = err.code === 'ERR_TOKEN_REVOKED';
        },
      );
    });
    server.publish(record('token', 'told-jti-0001'));
    await until('the revocation to be told', async () =>
      told[0]?.refused === true ? true : undefined,
    );
    assert.deepEqual(
      told.map(({ scope, target }) => ({ scope, target })),
      [{ scope: 'token', target: 'told-jti-0001' }],
    );
    unsubscribe();
    server.publish(record('token', 'told-jti-0002'));
    await until('the second revocation to be applied', async () =>
      v.verify(await signToken(key, { jti: 'told-jti-0002' })).then(
        () => undefined,
        () => true,
      ),
    );
    assert.equal(told.length, 1);
  });

  test('an unknown kid refetches the JWKS once; a flood of unknown kids does not', async () => {
    const v = await open();
    const fetches = server.jwksFetches;
    const rotated = makeSigningKey('key-rotated');
    server.keys.push(rotated);
    assert.equal((await v.verify(await signToken(rotated))).sub, 'user-1');
    assert.equal(server.jwksFetches, fetches + 1);
    const stranger = makeSigningKey('never-published');
    const forged = await signToken(stranger);
    await Promise.all(
      Array.from({ length: 20 }, () => rejectsWith(v.verify(forged), 'ERR_INVALID_TOKEN', 401)),
    );
    assert.ok(
      server.jwksFetches <= fetches + 2,
      `at most one more fetch, saw ${server.jwksFetches - fetches - 1}`,
    );
    server.keys.pop();
  });

  test('reconnects with Last-Event-ID and gets exactly what it missed', async () => {
    const v = await open();
    const key = server.keys[0]!;
    const lastBefore = String(server.records.at(-1)!.seq);
    const requestsBefore = server.lastEventIds.length;
    server.down();
    const missed = await signToken(key, { jti: 'missed-while-down' });
    server.feed.append(record('token', 'missed-while-down'));
    server.bringUp();
    await until('reconnected', async () =>
      server.lastEventIds.length > requestsBefore && server.openStreams > 0 ? true : undefined,
    );
    assert.ok(
      server.lastEventIds.slice(requestsBefore).includes(lastBefore),
      `resumed from ${lastBefore}: ${server.lastEventIds.slice(requestsBefore).join(',')}`,
    );
    await until('missed revocation applied', async () =>
      v.verify(missed).then(
        () => undefined,
        (err) => (err.code === 'ERR_TOKEN_REVOKED' ? true : undefined),
      ),
    );
    assert.ok(v.status().streamConnections >= 2);
  });

  test('stale and closed: 503 with Retry-After, never a pass or a 401; normal again once the stream is back', async () => {
    const v = await open({ maxStalenessMs: 300 });
    const token = await signToken(server.keys[0]!);
    await v.verify(token);
    server.down();
    await until('stale', async () => (v.status().stale ? true : undefined));
    await assert.rejects(
      v.verify(token),
      (err: { code: string; status: number; retryAfterSeconds: number }) => {
        assert.equal(err.code, 'ERR_STORE_UNAVAILABLE');
        assert.equal(err.status, 503);
        assert.ok(err.retryAfterSeconds >= 1);
        return true;
      },
    );
    server.bringUp();
    await until('current again', async () => (v.status().stale ? undefined : true));
    await v.verify(token);
  });

  test('stale and open: accepted and counted (status and metric), revocations known still reject; bounded by the token lifetime', async () => {
    const registry = new Registry();
    const v = await open({
      maxStalenessMs: 300,
      failMode: 'open',
      metrics: { registry },
      maxTokenLifetimeSeconds: 600,
    });
    const key = server.keys[0]!;
    const token = await signToken(key);
    const revoked = await signToken(key, { jti: 'revoked-then-outage' });
    server.publish(record('token', 'revoked-then-outage'));
    await until('revocation applied', async () =>
      v.verify(revoked).then(
        () => undefined,
        () => true,
      ),
    );
    server.down();
    await until('stale', async () => (v.status().stale ? true : undefined));
    assert.equal(v.status().failOpenAccepted, 0);
    await v.verify(token);
    await v.verify(token);
    assert.equal(v.status().failOpenAccepted, 2);
    await rejectsWith(v.verify(revoked), 'ERR_TOKEN_REVOKED', 401);
    const text = await registry.metrics();
    assert.match(text, /revokd_verifier_checks_total\{outcome="fail_open"\} 2/);
    assert.match(text, /revokd_verifier_replica_staleness_seconds (0\.[3-9]|[1-9])/);
    server.bringUp();
    await until('current again', async () => (v.status().stale ? undefined : true));
    await v.verify(token);
    assert.equal(v.status().failOpenAccepted, 2);
    assert.match(await registry.metrics(), /revokd_verifier_propagation_seconds_count [1-9]/);
  });

  test('a malformed event drops the connection and the verifier resumes; it is never applied', async () => {
    const v = await open();
    const connections = v.status().streamConnections;
    server.broadcast('event: revocation\nid: 999999\ndata: {"scope":"token","jti":"x"}\n\n');
    await until('reconnected', async () =>
      v.status().streamConnections > connections && v.status().streamConnected ? true : undefined,
    );
    await v.verify(await signToken(server.keys[0]!, { jti: 'x-but-longer' }));
  });

  test('refused credentials reject createVerifier at once with a clear error', async () => {
    const started = Date.now();
    await assert.rejects(
      createVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        jwksUri: server.jwksUri,
        stream: { url: server.streamUrl, clientId: CLIENT_ID, clientSecret: 'wrong' },
        maxStalenessMs: 1000,
        failMode: 'closed',
        startTimeoutMs: 30_000,
      }),
      /refused the client credentials \(HTTP 401\).*revocations:read/,
    );
    assert.ok(Date.now() - started < 30_000);
  });

  test('an unreachable stream rejects createVerifier after startTimeoutMs, leaving nothing running', async () => {
    // In a process of its own: it must print the error and then exit by itself (no timer or socket left).
    const entry = pathToFileURL(path.join(REPO_ROOT, 'packages/verifier/src/index.ts')).href;
    const script = `import { createVerifier } from ${JSON.stringify(entry)};
      await createVerifier({ issuer: 'https://i.test', audience: 'a', keys: [${JSON.stringify(server.keys[0]!.publicJwk)}],
        stream: { url: 'http://127.0.0.1:9/stream', clientId: 'c', clientSecret: 's' }, maxStalenessMs: 1000, failMode: 'closed', startTimeoutMs: 500 })
        .then(() => console.log('resolved'), (err) => console.log(err.message));`;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    clearTimeout(killer);
    assert.match(output, /not loaded within 500 ms/);
    assert.deepEqual([code, signal], [0, null], 'the process exited by itself');
  });

  test('close() stops the stream and verify answers 503 afterwards', async () => {
    // A server of its own: its only stream is this verifier's.
    const own = await WireStreamServer.start(server.keys);
    try {
      const v = await createVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        keys: { keys: [own.keys[0]!.publicJwk!] },
        stream: { url: own.streamUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
        maxStalenessMs: 1000,
        failMode: 'closed',
      });
      assert.equal(own.openStreams, 1);
      await v.close();
      await until('stream closed at the server', async () =>
        own.openStreams === 0 ? true : undefined,
      );
      await rejectsWith(v.verify(await signToken(own.keys[0]!)), 'ERR_STORE_UNAVAILABLE', 503);
    } finally {
      await own.stop();
    }
  });

  test('programming errors in options are TypeErrors naming the option', async () => {
    const good = {
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: server.jwksUri,
      stream: { url: server.streamUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
      maxStalenessMs: 1000,
      failMode: 'closed' as const,
    };
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ issuer: '' }, /options\.issuer/],
      [{ audience: 3 }, /options\.audience/],
      [{ jwksUri: 'ftp://x' }, /options\.jwksUri/],
      [{ keys: [], jwksUri: undefined }, /options\.keys/],
      [{ keys: [{}] }, /jwksUri or options\.keys, not both/],
      [{ stream: undefined }, /options\.stream/],
      [{ stream: { ...good.stream, url: 'not a url' } }, /options\.stream\.url/],
      [{ stream: { ...good.stream, clientSecret: '' } }, /options\.stream\.clientSecret/],
      [{ maxStalenessMs: 0 }, /options\.maxStalenessMs/],
      [{ failMode: 'sometimes' }, /options\.failMode/],
      [{ clockToleranceSeconds: -1 }, /options\.clockToleranceSeconds/],
      [{ maxTokenLifetimeSeconds: 1.5 }, /options\.maxTokenLifetimeSeconds/],
      [{ metrics: { registry: {} } }, /options\.metrics\.registry/],
    ];
    for (const [change, message] of bad) {
      await assert.rejects(
        createVerifier({ ...good, ...change }),
        (err: Error) => err instanceof TypeError && message.test(err.message),
      );
    }
  });

  test('tokens the service would refuse are refused with its codes', async () => {
    const v = await open();
    const key = server.keys[0]!;
    await rejectsWith(v.verify('not.a.jwt'), 'ERR_INVALID_TOKEN', 401);
    await rejectsWith(v.verify(undefined), 'ERR_INVALID_TOKEN', 401);
    await rejectsWith(
      v.verify(await signToken(key, { iat: Math.floor(Date.now() / 1000) - 700, ttl: 600 })),
      'ERR_TOKEN_EXPIRED',
      401,
    );
    await rejectsWith(v.verify(await signToken(key, { ttl: 100_000 })), 'ERR_INVALID_TOKEN', 401);
    const good = await signToken(key);
    const [h, p, s] = good.split('.');
    await rejectsWith(v.verify(`${h}.${p}.${s!.slice(0, -4)}AAAA`), 'ERR_INVALID_TOKEN', 401);
  });
});
