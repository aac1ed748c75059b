/**
 * The verifier as a resource server installs and runs it, against a real revokd process: packed
 * with `npm pack`, installed into an empty project, run by plain `node` — by the very commands
 * docs/verifier.md "Install" shows (installed-verifier.ts reads and runs them).
 * - its install adds no `.node` file and no server dependency (issue 11, must-show 6);
 * - its tarball is one dist/ tree with no packages/ or src/ segment, and a TypeScript consumer's typed
 *   imports of it type-check with tsc (issue 20);
 * - the docs' first script (check.mjs) runs as written (issue 19);
 * - SIGKILL and restart of the service: the verifier catches up, a revocation made while the
 *   service was down included, without being restarted (must-show 2);
 * - stream unreachable past maxStalenessMs: closed → 503 only, open → accepted and counted, then
 *   normal again (must-show 3);
 * - a token is rejected within 1 s of its revocation through every scope (must-show 1).
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import {
  createClientViaAdmin,
  createUserViaAdmin,
  login,
  request,
} from '../support/http-client.js';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  REPO_ROOT,
  ServerProcess,
  sleep,
} from '../support/server-process.js';
import { until } from '../support/until.js';
import {
  type InstalledProject,
  Probe,
  installPackedVerifier,
  installedFiles,
  installedPackages,
  readInstallDocs,
  runDocsBlock,
} from './installed-verifier.js';

const VICTIM = { email: 'victim@example.com', password: 'victim-password-1' };
/** The bound the issue states: a revocation reaches the verifier within this. */
const PROPAGATION_BOUND_MS = 1000;
const MAX_STALENESS_MS = 1500;

describe('@revokd/verifier installed from its tarball, against a running revokd', () => {
  let server: ServerProcess;
  let project: InstalledProject;
  let adminToken: string;
  let victimId: string;
  let options: Record<string, unknown>;
  const probes: Probe[] = [];
  const startProbe = async (failMode: 'closed' | 'open'): Promise<Probe> => {
    const probe = await Probe.start(project, { ...options, failMode });
    probes.push(probe);
    return probe;
  };
  const revoke = async (
    json: Record<string, unknown>,
    url = '/api/v1/admin/revocations',
  ): Promise<void> => {
    // A fresh admin token each time: an earlier case's revocation (global, the signing key) covers the last one.
    adminToken = (await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
    const res = await request(`${server.url}${url}`, {
      method: 'POST',
      bearer: adminToken,
      json: { reason: 'admin', ...json },
    });
    assert.ok(
      res.status === 200 || res.status === 201,
      `revoke ${JSON.stringify(json)}: ${res.status} ${res.text}`,
    );
  };
  const victimLogin = (headers: Record<string, string> = {}) =>
    login(server.url, VICTIM.email, VICTIM.password, headers);

  before(async () => {
    [server, project] = await Promise.all([
      ServerProcess.start({ env: { REVOKD_TRUSTED_PROXIES: '127.0.0.1' } }),
      Promise.resolve().then(installPackedVerifier),
    ]);
    adminToken = (await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
    victimId = (await createUserViaAdmin(server.url, adminToken, VICTIM.email, VICTIM.password)).id;
    const streamClient = await createClientViaAdmin(server.url, adminToken, 'resource-server', [
      'revocations:read',
    ]);
    const metadata = (await request(`${server.url}/.well-known/oauth-authorization-server`))
      .body as { issuer: string; jwks_uri: string };
    options = {
      issuer: metadata.issuer,
      audience: decodeJwt(adminToken).aud,
      jwksUri: metadata.jwks_uri,
      stream: {
        url: `${server.url}/api/v1/revocations/stream`,
        clientId: streamClient.client_id,
        clientSecret: streamClient.client_secret,
      },
      maxStalenessMs: MAX_STALENESS_MS,
    };
  });
  after(async () => {
    for (const probe of probes) await probe.close();
    await server?.stop();
    project?.remove();
  });

  test('the install holds the verifier and jose only: no .node file, no server dependency', (t) => {
    const packages = installedPackages(project);
    t.diagnostic(
      `installed packages: ${packages.join(', ')} (tarball ${path.basename(project.tarball)}, ${fs.statSync(project.tarball).size} bytes)`,
    );
    assert.deepEqual(
      packages.map((p) => p.replace(/@[^@]+$/, '')),
      ['@revokd/verifier', 'jose'],
    );
    const files = installedFiles(project);
    assert.deepEqual(
      files.filter((f) => f.endsWith('.node')),
      [],
    );
    // The compiled shared modules (dist/core, dist/replica) are the revocation, token and replica code, nothing of the server.
    const shared = files.filter(
      (f) => /^@revokd.verifier.dist.(core|replica)./.test(f) && f.endsWith('.js'),
    );
    t.diagnostic(
      `shared modules compiled into the package: ${shared.map((f) => f.split(`dist${path.sep}`)[1]).join(', ')}`,
    );
    assert.ok(shared.length > 0);
    for (const f of shared)
      assert.match(
        f,
        /dist.(core.(errors|exhaustive|revocation.|tokens.)|replica.revocation-replica)/,
      );
    const imports = new Set<string>();
    for (const f of files.filter((x) => x.startsWith('@revokd') && x.endsWith('.js'))) {
      const text = fs.readFileSync(path.join(project.dir, 'node_modules', f), 'utf8');
      for (const m of text.matchAll(/(?:from\s+|import\()\s*['"]([^'"]+)['"]/g))
        if (!m[1]!.startsWith('.')) imports.add(m[1]!);
    }
    t.diagnostic(`bare imports in the verifier: ${[...imports].sort().join(', ')}`);
    for (const spec of imports)
      assert.ok(
        spec === 'jose' || spec === 'prom-client' || spec.startsWith('node:'),
        `unexpected import ${spec}`,
      );
  });

  test('the tarball is one dist/ tree: no packages/ or src/ segment, every export and the bin in it, declarations beside the JavaScript', (t) => {
    const entries = execFileSync('tar', ['-tzf', project.tarball], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter((e) => !e.endsWith('/'))
      .sort();
    t.diagnostic(`${entries.length} files in ${path.basename(project.tarball)}`);
    const files = entries.map((e) => e.replace(/^package\//, ''));
    assert.deepEqual(
      files.filter((f) => !f.startsWith('dist/')),
      ['LICENSE', 'README.md', 'package.json'],
    );
    assert.deepEqual(
      files.filter((f) =>
        f.split('/').some((segment) => segment === 'packages' || segment === 'src'),
      ),
      [],
    );
    // The verifier's own modules at the top of dist/ (its adapters and gateway one level down), the shared code in dist/core and dist/replica.
    assert.deepEqual(
      [
        ...new Set(
          files
            .filter((f) => f.startsWith('dist/'))
            .map((f) => f.split('/').slice(0, -1).join('/').split('/').slice(0, 2).join('/')),
        ),
      ].sort(),
      ['dist', 'dist/adapters', 'dist/core', 'dist/gateway', 'dist/replica'],
    );
    for (const f of files.filter((x) => x.endsWith('.js')))
      assert.ok(files.includes(f.replace(/\.js$/, '.d.ts')), `${f} has its declarations beside it`);
    const manifest = JSON.parse(
      fs.readFileSync(path.join(project.dir, 'node_modules/@revokd/verifier/package.json'), 'utf8'),
    ) as {
      exports: Record<string, { types: string; default: string }>;
      types: string;
      bin: Record<string, string>;
    };
    assert.deepEqual(Object.keys(manifest.exports), [
      '.',
      './express',
      './fastify',
      './hono',
      './node',
    ]);
    const targets = [
      ...Object.values(manifest.exports).flatMap((e) => [e.types, e.default]),
      manifest.types,
      ...Object.values(manifest.bin),
    ];
    for (const target of targets)
      assert.ok(files.includes(path.posix.normalize(target)), `${target} is in the tarball`);
    assert.equal(manifest.bin['revokd-verifier'], 'dist/cli.js');
  });

  test("a TypeScript consumer's typed imports of @revokd/verifier and its adapters type-check (tsc, strict, nodenext and bundler resolution)", async (t) => {
    const consumer = path.join(project.dir, 'consumer.ts');
    fs.writeFileSync(consumer, CONSUMER_TS);
    const tsc = path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
    const typeRoots = path.join(REPO_ROOT, 'node_modules/@types'); // @types/node, as a TypeScript project has it
    try {
      for (const [module, resolution] of [
        ['nodenext', 'nodenext'],
        ['preserve', 'bundler'],
      ]) {
        fs.writeFileSync(
          path.join(project.dir, 'tsconfig.json'),
          JSON.stringify({
            compilerOptions: {
              target: 'ES2022',
              module,
              moduleResolution: resolution,
              strict: true,
              noEmit: true,
              skipLibCheck: false,
              typeRoots: [typeRoots],
              types: ['node'],
            },
            files: ['consumer.ts'],
          }),
        );
        // Not execFileSync: blocking this process for seconds lets the server drop the test's idle keep-alive connections unseen.
        const run = await promisify(execFile)(
          process.execPath,
          [tsc, '-p', 'tsconfig.json', '--listFiles'],
          { cwd: project.dir, encoding: 'utf8' },
        ).catch((err: { stdout?: string; stderr?: string }) =>
          assert.fail(`tsc (${resolution}) refused the consumer:\n${err.stdout}${err.stderr}`),
        );
        const fromPackage = run.stdout
          .split('\n')
          .filter((f) => f.includes('node_modules/@revokd/verifier/'));
        assert.ok(
          fromPackage.some((f) => f.endsWith('/dist/core/tokens/access-token.d.ts')),
          `the package's own declarations are used: ${fromPackage.join(', ')}`,
        );
        t.diagnostic(
          `tsc (module ${module}, moduleResolution ${resolution}): consumer.ts accepted, ${fromPackage.length} declaration files of the package read`,
        );
      }
    } finally {
      fs.rmSync(path.join(project.dir, 'tsconfig.json'), { force: true });
    }
  });

  test("the docs' install commands and first script, run as written: ESM import of the package and its /express subpath; live → valid, revoked → refused", async (t) => {
    const docs = readInstallDocs();
    const stream = options.stream as { clientId: string; clientSecret: string };
    const token = (await victimLogin()).access_token;
    const run = (): string[] =>
      runDocsBlock(docs.run, project.dir, path.dirname(project.dir), {
        REVOKD_URL: server.url,
        REVOKD_CLIENT_ID: stream.clientId,
        REVOKD_CLIENT_SECRET: stream.clientSecret,
        ACCESS_TOKEN: token,
      })
        .trimEnd()
        .split('\n');
    const started = performance.now();
    assert.deepEqual(run(), [
      'verifier started; express middleware: function',
      `valid: sub=${victimId} scope=""`,
    ]);
    t.diagnostic(
      `\`${docs.run.split('\n')[0]}\` took ${(performance.now() - started).toFixed(0)} ms`,
    );
    await revoke({ scope: 'jti', value: decodeJwt(token).jti });
    assert.deepEqual(run(), [
      'verifier started; express middleware: function',
      'refused: ERR_TOKEN_REVOKED (401)',
    ]);
  });

  test('SIGKILL and restart of the service: the verifier catches up without a restart', async (t) => {
    const probe = await startProbe('closed');
    const beforeCrash = (await victimLogin()).access_token;
    const whileDown = (await victimLogin()).access_token;
    assert.equal((await probe.verify(whileDown)).ok, true);
    await server.kill();
    // Revoked while the service is down (the CLI writes the store): the verifier must get it on resume.
    const cli = await server.cli([
      'revoke',
      'jti',
      decodeJwt(whileDown).jti as string,
      '--reason',
      'admin',
    ]);
    assert.equal(cli.code, 0, cli.stderr);
    await server.spawn();
    // While the service was down the verifier answered 503 (stale, closed): correct, and not the end.
    // It must come back to a decided answer — 401 revoked — without being restarted.
    const caughtUp = await until(
      'the verifier to reject the token revoked while the service was down',
      async () => {
        const answer = await probe.verify(whileDown);
        return answer.code === 'ERR_TOKEN_REVOKED' ? answer : undefined;
      },
      20_000,
    );
    assert.equal(caughtUp.status, 401, JSON.stringify(caughtUp));
    assert.equal((await probe.verify(beforeCrash)).ok, true);
    const after = (await victimLogin()).access_token;
    assert.equal((await probe.verify(after)).ok, true);
    await revoke({ scope: 'jti', value: decodeJwt(after).jti });
    const answer = await probe.waitRejected(after, PROPAGATION_BOUND_MS);
    t.diagnostic(
      `after the restart: revoked through the API → rejected in ${(answer.afterMs as number).toFixed(1)} ms; ${JSON.stringify(await probe.ask({ cmd: 'status' }))}`,
    );
    assert.equal(answer.code, 'ERR_TOKEN_REVOKED');
  });

  test('stream unreachable past maxStalenessMs: closed → 503 only, open → accepted and counted; normal once it returns', async () => {
    const closed = await startProbe('closed');
    const open = await startProbe('open');
    const token = (await victimLogin()).access_token;
    assert.equal((await closed.verify(token)).ok, true);
    await server.kill();
    await until('both stale', async () =>
      (await closed.ask({ cmd: 'status' })).stale === true &&
      (await open.ask({ cmd: 'status' })).stale === true
        ? true
        : undefined,
    );
    for (let i = 0; i < 5; i++) {
      const answer = await closed.verify(token);
      assert.deepEqual(
        [answer.ok, answer.code, answer.status],
        [false, 'ERR_STORE_UNAVAILABLE', 503],
      );
    }
    const before = (await open.ask({ cmd: 'status' })).failOpenAccepted as number;
    assert.equal((await open.verify(token)).ok, true);
    assert.equal((await open.ask({ cmd: 'status' })).failOpenAccepted, before + 1);
    await server.spawn();
    await until('current again', async () =>
      (await closed.ask({ cmd: 'status' })).stale === false ? true : undefined,
    );
    assert.equal((await closed.verify(token)).ok, true);
    await revoke({ scope: 'session', value: decodeJwt(token).sid });
    assert.equal(
      (await closed.waitRejected(token, PROPAGATION_BOUND_MS)).code,
      'ERR_TOKEN_REVOKED',
    );
  });

  test(`a token is rejected within ${PROPAGATION_BOUND_MS} ms of its revocation, through every scope`, async (t) => {
    const probe = await startProbe('closed');
    const latencies: string[] = [];
    const expectRejected = async (
      scope: string,
      token: string,
      doRevoke: () => Promise<void>,
    ): Promise<void> => {
      assert.equal(
        (await probe.verify(token)).ok,
        true,
        `${scope}: accepted before the revocation`,
      );
      await doRevoke();
      const answer = await probe.waitRejected(token, PROPAGATION_BOUND_MS);
      assert.deepEqual(
        [answer.code, answer.status],
        ['ERR_TOKEN_REVOKED', 401],
        `${scope}: ${JSON.stringify(answer)}`,
      );
      latencies.push(`${scope} ${(answer.afterMs as number).toFixed(1)} ms`);
    };
    const jtiToken = (await victimLogin()).access_token;
    await expectRejected('jti', jtiToken, () =>
      revoke({ scope: 'jti', value: decodeJwt(jtiToken).jti }),
    );
    const sessionLogin = await victimLogin();
    await expectRejected('session', sessionLogin.access_token, () =>
      revoke({ scope: 'session', value: sessionLogin.session_id }),
    );
    await expectRejected('user', (await victimLogin()).access_token, () =>
      revoke({ scope: 'user', value: victimId }),
    );
    const machine = await createClientViaAdmin(server.url, adminToken, 'machine');
    const grant = await request(`${server.url}/oauth/token`, {
      method: 'POST',
      form: { grant_type: 'client_credentials' },
      headers: {
        authorization: `Basic ${Buffer.from(`${machine.client_id}:${machine.client_secret}`).toString('base64')}`,
      },
    });
    assert.equal(grant.status, 200, grant.text);
    await expectRejected('client', grant.body.access_token, () =>
      revoke({ scope: 'client', value: machine.client_id }),
    );
    const fromIp = (await victimLogin({ 'x-forwarded-for': '203.0.113.9' })).access_token;
    await expectRejected('ip block', fromIp, () =>
      revoke({ ip: '203.0.113.9', reason: 'verifier test' }, '/api/v1/security/blocks'),
    );
    const windowToken = (await victimLogin()).access_token;
    const iat = decodeJwt(windowToken).iat as number;
    await expectRejected('window', windowToken, () =>
      revoke({ scope: 'window', value: `${iat}-${iat + 1}` }),
    );
    await sleep(Math.max(0, (iat + 1) * 1000 - Date.now()) + 50);
    await expectRejected('global', (await victimLogin()).access_token, () =>
      revoke({ scope: 'all' }),
    );
    const keyToken = (await victimLogin()).access_token;
    await expectRejected('key', keyToken, () =>
      revoke({ scope: 'key', value: decodeProtectedHeader(keyToken).kid }),
    );
    t.diagnostic(
      `revoked through the API → rejected by the installed verifier: ${latencies.join(', ')}`,
    );
  });
});

/**
 * A TypeScript resource server's imports: typed uses of every entry point. The @ts-expect-error
 * lines fail the check should the declarations resolve to `any` (an unused directive is an error).
 */
const CONSUMER_TS = `import { createVerifier, isRevokdError, RevokdError, type AccessClaims, type Verifier, type VerifierOptions } from '@revokd/verifier';
import { expressBearer } from '@revokd/verifier/express';
import { fastifyBearer } from '@revokd/verifier/fastify';
import { honoBearer } from '@revokd/verifier/hono';
import { nodeBearer } from '@revokd/verifier/node';

const options: VerifierOptions = {
  issuer: 'https://auth.example.com', audience: 'https://auth.example.com', jwksUri: 'https://auth.example.com/.well-known/jwks.json',
  stream: { url: 'https://auth.example.com/api/v1/revocations/stream', clientId: 'orders-api', clientSecret: 's' },
  maxStalenessMs: 2000, failMode: 'closed',
};
export async function check(token: string): Promise<string> {
  const verifier: Verifier = await createVerifier(options);
  try {
    const claims: AccessClaims = await verifier.verify(token);
    // @ts-expect-error sub is a string
    const wrong: number = claims.sub;
    void wrong;
    return claims.sub;
  } catch (err) {
    if (isRevokdError(err)) return \`\${err.code} \${err.status}\`;
    if (err instanceof RevokdError) return err.code;
    throw err;
  } finally {
    await verifier.close();
  }
}
export function middlewares(verifier: Verifier): unknown[] {
  // @ts-expect-error requireScopes is a list of scopes
  expressBearer(verifier, { requireScopes: 'orders:write' });
  return [expressBearer(verifier, { requireScopes: ['orders:write'] }), fastifyBearer(verifier), honoBearer(verifier), nodeBearer(verifier)];
}
`;
