/**
 * What the forward-auth gateway tests share: a real revokd with a stream client and a user, the
 * `revokd-verifier serve` process (the package's compiled bin, run by plain node), the environment
 * that configures it, and a raw HTTP request that can send a header twice.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { decodeJwt } from 'jose';
import { createClientViaAdmin, createUserViaAdmin, login, request } from './http-client.js';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  REPO_ROOT,
  ServerProcess,
  sleep,
  tempDir,
} from './server-process.js';
import { basicAuth } from './sse-client.js';
import { type RanToEnd, runToEnd } from './run-to-end.js';

const verifierPackage = JSON.parse(
  fs.readFileSync(path.join(REPO_ROOT, 'packages/verifier/package.json'), 'utf8'),
) as { bin: Record<string, string> };
/** The package's `revokd-verifier` bin: compiled JavaScript in its dist (built by `npm run build`). */
export const GATEWAY_BIN = path.join(
  REPO_ROOT,
  'packages/verifier',
  verifierPackage.bin['revokd-verifier'] as string,
);

export const USER = { email: 'gateway-user@example.com', password: 'gateway-user-password-1' };
export const APP_SCOPE = 'orders:read';

export interface GatewaySetup {
  readonly server: ServerProcess;
  /** REVOKD_VERIFIER_* for the gateway (the secret in a file in `dir`). */
  readonly env: Record<string, string>;
  readonly dir: string;
  readonly adminToken: string;
  /** A fresh access token of the user (no APP_SCOPE). */
  userToken(): Promise<string>;
  /** A client_credentials token with APP_SCOPE. */
  appToken(): Promise<string>;
  /** POST /api/v1/admin/revocations; resolves on its 200. */
  revoke(scope: string, value: string): Promise<void>;
  cleanup(): Promise<void>;
}

/** A revokd process, a stream client, a user and an application client with APP_SCOPE. */
export async function setUpRevokd(label: string, maxStalenessMs: number): Promise<GatewaySetup> {
  const server = await ServerProcess.start();
  const adminToken = (await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
  await createUserViaAdmin(server.url, adminToken, USER.email, USER.password);
  const stream = await createClientViaAdmin(server.url, adminToken, `${label}-gateway`, [
    'revocations:read',
  ]);
  const app = await createClientViaAdmin(server.url, adminToken, `${label}-app`, [APP_SCOPE]);
  const metadata = (await request(`${server.url}/.well-known/oauth-authorization-server`)).body as {
    issuer: string;
    jwks_uri: string;
  };
  const dir = tempDir(`gateway-${label}`);
  const secretFile = path.join(dir, 'stream-secret');
  fs.writeFileSync(secretFile, `${stream.client_secret}\n`, { mode: 0o600 });
  const env = {
    REVOKD_VERIFIER_ISSUER: metadata.issuer,
    REVOKD_VERIFIER_AUDIENCE: decodeJwt(adminToken).aud as string,
    REVOKD_VERIFIER_JWKS_URI: metadata.jwks_uri,
    REVOKD_VERIFIER_STREAM_URL: `${server.url}/api/v1/revocations/stream`,
    REVOKD_VERIFIER_CLIENT_ID: stream.client_id,
    REVOKD_VERIFIER_CLIENT_SECRET_FILE: secretFile,
    REVOKD_VERIFIER_MAX_STALENESS_MS: String(maxStalenessMs),
    REVOKD_VERIFIER_FAIL_MODE: 'closed',
  };
  let revoker = adminToken;
  return {
    server,
    env,
    dir,
    adminToken,
    userToken: async () => (await login(server.url, USER.email, USER.password)).access_token,
    appToken: async () => {
      const res = await request(`${server.url}/oauth/token`, {
        method: 'POST',
        form: { grant_type: 'client_credentials', scope: APP_SCOPE },
        headers: { authorization: basicAuth(app.client_id, app.client_secret) },
      });
      if (res.status !== 200) throw new Error(`client_credentials: ${res.status} ${res.text}`);
      return res.body.access_token as string;
    },
    async revoke(scope, value) {
      let res = await request(`${server.url}/api/v1/admin/revocations`, {
        method: 'POST',
        bearer: revoker,
        json: { scope, value },
      });
      if (res.status === 401) {
        revoker = (await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
        res = await request(`${server.url}/api/v1/admin/revocations`, {
          method: 'POST',
          bearer: revoker,
          json: { scope, value },
        });
      }
      if (res.status !== 200)
        throw new Error(`revoke ${scope} ${value}: ${res.status} ${res.text}`);
    },
    async cleanup() {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `revokd-verifier serve` as a child process (its own process group). */
export class GatewayProcess {
  output = '';
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  /** Starts the bin with this environment (plus PATH) and `args`; resolves once it listens. */
  static async start(
    env: Record<string, string>,
    args: readonly string[] = ['--port', '0'],
  ): Promise<GatewayProcess> {
    const child = spawn(process.execPath, [GATEWAY_BIN, 'serve', ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (d: Buffer): void => {
        output += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(output);
        if (m) resolve(m[1] as string);
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) =>
        reject(new Error(`revokd-verifier serve exited (${code}):\n${output}`)),
      );
      setTimeout(
        () => reject(new Error(`revokd-verifier serve did not listen within 20 s:\n${output}`)),
        20_000,
      ).unref();
    });
    const gateway = new GatewayProcess(child, url);
    gateway.output = output;
    child.stdout?.on('data', (d: Buffer) => {
      gateway.output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      gateway.output += d.toString();
    });
    return gateway;
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** Sends `signal` to the process (not its group) and resolves with how it exited; SIGKILLs the group after `graceMs`. */
  async stop(
    signal: NodeJS.Signals = 'SIGTERM',
    graceMs = 5000,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
    const child = this.child;
    const started = Date.now();
    if (child.exitCode !== null || child.signalCode !== null)
      return { code: child.exitCode, signal: child.signalCode, ms: 0 };
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, sig) => resolve({ code, signal: sig })),
    );
    child.kill(signal);
    const timer = setTimeout(() => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        /* gone */
      }
    }, graceMs);
    const result = await exited;
    clearTimeout(timer);
    return { ...result, ms: Date.now() - started };
  }
}

/** Runs the bin to its end (for option errors and --help). */
export function runGateway(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<RanToEnd> {
  return runToEnd(process.execPath, [GATEWAY_BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
  });
}

export interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** A GET through node:http, where a header given as an array is sent as that many header lines. */
export function rawGet(url: string, headers: http.OutgoingHttpHeaders = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode as number, headers: res.headers, body }),
      );
    });
    req.once('error', reject);
  });
}

/** The headers the echo upstream reports it received, or undefined when the answer is not the echo's. */
export function echoed(res: RawResponse): Record<string, string | string[]> | undefined {
  try {
    const parsed = JSON.parse(res.body) as { headers?: Record<string, string | string[]> };
    return parsed.headers;
  } catch {
    return undefined;
  }
}

/** Polls `url` with `headers` until the answer's status is `status`; the ms it took from `since`. */
export async function untilStatus(
  url: string,
  headers: http.OutgoingHttpHeaders,
  status: number,
  since: number,
  timeoutMs: number,
): Promise<{ res: RawResponse; ms: number }> {
  const deadline = since + timeoutMs;
  for (;;) {
    const res = await rawGet(url, headers);
    if (res.status === status) return { res, ms: Date.now() - since };
    if (Date.now() > deadline)
      throw new Error(
        `${url} still answered ${res.status} (${res.body.slice(0, 200)}) ${timeoutMs} ms after; wanted ${status}`,
      );
    await sleep(10);
  }
}

/**
 * Fail mode closed behind a proxy: stops revokd, waits for `proxyUrl` to answer 503 (once the
 * gateway's view is past `maxStalenessMs`), notes how long it took and checks its Retry-After.
 * The 503 is returned for the proxy-specific checks.
 */
export async function stopRevokdUntil503(
  t: TestContext,
  setup: GatewaySetup,
  proxy: { name: string; url: string },
  headers: http.OutgoingHttpHeaders,
  maxStalenessMs: number,
): Promise<RawResponse> {
  const stopping = Date.now();
  await setup.server.stop();
  const { res, ms } = await untilStatus(proxy.url, headers, 503, stopping, maxStalenessMs + 5000);
  t.diagnostic(
    `revokd stopped → ${proxy.name} 503 after ${ms} ms (max staleness ${maxStalenessMs} ms)`,
  );
  assert.ok(Number(res.headers['retry-after']) >= 1, `Retry-After: ${res.headers['retry-after']}`);
  return res;
}

/** True when `name` is an executable on PATH (or at `fallback`). */
export function installed(name: string, fallback?: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir, name);
    if (dir !== '' && fs.existsSync(file)) return file;
  }
  return fallback !== undefined && fs.existsSync(fallback) ? fallback : undefined;
}
