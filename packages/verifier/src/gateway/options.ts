/**
 * The options of `revokd-verifier serve`: each a flag (`--issuer`) and an environment variable
 * (`REVOKD_VERIFIER_ISSUER`), the flag winning. Every problem is collected, so one run lists them
 * all. The client secret is read from a file only — a command line is visible to every user of
 * the machine (`ps`), and an environment variable to the process's children and crash reports.
 */
import fs from 'node:fs';
import { type VerifierOptions, isLoopbackHost } from '../verifier-options.js';

export interface GatewayConfig {
  readonly verifier: Omit<VerifierOptions, 'metrics'>;
  readonly port: number;
  readonly host: string;
  /** The `realm` of the challenges. */
  readonly realm: string;
}

interface OptionSpec {
  readonly flag: string;
  readonly kind: 'text' | 'url' | 'int' | 'bool' | 'failMode' | 'file' | 'host' | 'realm';
  readonly required: boolean;
  readonly help: string;
  readonly min?: number;
  readonly max?: number;
  readonly fallback?: string;
}

/** In the order `--help` lists them. Ranges are createVerifier's own. */
export const OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'issuer',
    kind: 'text',
    required: true,
    help: "the service's REVOKD_ISSUER (the iss of its tokens)",
  },
  { flag: 'audience', kind: 'text', required: true, help: 'the aud tokens must carry' },
  {
    flag: 'jwks-uri',
    kind: 'url',
    required: true,
    help: "the issuer's JWKS (<issuer>/.well-known/jwks.json)",
  },
  {
    flag: 'stream-url',
    kind: 'url',
    required: true,
    help: 'the revocation stream (<issuer>/api/v1/revocations/stream)',
  },
  { flag: 'client-id', kind: 'text', required: true, help: 'a client with scope revocations:read' },
  {
    flag: 'client-secret-file',
    kind: 'file',
    required: true,
    help: "a file holding that client's secret (never the secret itself)",
  },
  {
    flag: 'max-staleness-ms',
    kind: 'int',
    required: true,
    min: 100,
    max: 86_400_000,
    help: 'the staleness bound: past it, follow --fail-mode',
  },
  {
    flag: 'fail-mode',
    kind: 'failMode',
    required: true,
    help: 'closed (503 when stale) or open (accept and count, for one token lifetime at most)',
  },
  {
    flag: 'port',
    kind: 'int',
    required: false,
    min: 0,
    max: 65_535,
    fallback: '8081',
    help: 'port to listen on',
  },
  {
    flag: 'host',
    kind: 'host',
    required: false,
    fallback: '127.0.0.1',
    help: 'address to listen on (0.0.0.0 or :: for every interface)',
  },
  {
    flag: 'realm',
    kind: 'realm',
    required: false,
    fallback: 'api',
    help: 'the realm of the WWW-Authenticate challenges',
  },
  {
    flag: 'start-timeout-ms',
    kind: 'int',
    required: false,
    min: 1,
    max: 600_000,
    fallback: '10000',
    help: 'how long to wait for the keys and the first snapshot at start',
  },
  {
    flag: 'max-token-lifetime-seconds',
    kind: 'int',
    required: false,
    min: 1,
    max: 86_400,
    help: "the service's REVOKD_ACCESS_TTL_SECONDS (default 900)",
  },
  {
    flag: 'clock-tolerance-seconds',
    kind: 'int',
    required: false,
    min: 0,
    max: 300,
    help: "allowed clock skew (default: the service's, announced on the stream)",
  },
  {
    flag: 'allow-insecure-http',
    kind: 'bool',
    required: false,
    help: 'allow plain http: URLs to hosts that are not loopback',
  },
];

export const envName = (flag: string): string =>
  `REVOKD_VERIFIER_${flag.toUpperCase().replaceAll('-', '_')}`;

export function usage(): string {
  const left = (o: OptionSpec): string => `  --${o.flag}${o.kind === 'bool' ? '' : ' <value>'}`;
  const width = Math.max(...OPTIONS.map((o) => left(o).length)) + 1;
  const lines = OPTIONS.map((o) => {
    const flag = left(o).padEnd(width);
    const extra =
      o.fallback !== undefined ? ` (default ${o.fallback})` : o.required ? ' (required)' : '';
    return `${flag} ${o.help}${extra}\n${' '.repeat(width + 1)}env ${envName(o.flag)}`;
  });
  return [
    'Usage: revokd-verifier serve [options]',
    '',
    'A forward-auth gateway: one @revokd/verifier behind an HTTP endpoint for nginx auth_request,',
    'Caddy forward_auth, Traefik ForwardAuth or Envoy ext_authz (docs/gateway.md).',
    '',
    '  GET /auth, /auth/...   Authorization: Bearer <token> -> 200 with X-Revokd-Sub, X-Revokd-Client-Id,',
    '                         X-Revokd-Scope, X-Revokd-Sid; 401 / 400 / 403 / 503 otherwise.',
    '                         X-Revokd-Require-Scope: "a b" (set by the proxy) -> 403 unless the token has a and b',
    '  GET /healthz           200 when the verifier can decide, 503 otherwise (JSON status)',
    '  GET /metrics           Prometheus metrics (needs the prom-client package)',
    '',
    'Options (each also an environment variable; the flag wins):',
    ...lines,
    `${'  --help'.padEnd(width)} this text`,
    '',
  ].join('\n');
}

export type ParsedArgs =
  | { readonly kind: 'help' }
  | { readonly kind: 'serve'; readonly config: GatewayConfig }
  | { readonly kind: 'error'; readonly errors: readonly string[] };

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off', '']);

/** `argv` is what follows `serve`. */
export function parseServeArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedArgs {
  const errors: string[] = [];
  const given = new Map<string, { value: string; source: string }>();
  const byFlag = new Map(OPTIONS.map((o) => [o.flag, o]));

  for (const spec of OPTIONS) {
    const value = env[envName(spec.flag)];
    if (value !== undefined) given.set(spec.flag, { value, source: envName(spec.flag) });
  }
  if (env.REVOKD_VERIFIER_CLIENT_SECRET !== undefined) {
    errors.push(
      'REVOKD_VERIFIER_CLIENT_SECRET is not read: put the secret in a file and name it with REVOKD_VERIFIER_CLIENT_SECRET_FILE or --client-secret-file',
    );
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    if (!arg.startsWith('--')) {
      errors.push(`unexpected argument ${JSON.stringify(arg)}`);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (name === 'client-secret') {
      errors.push(
        '--client-secret is not accepted (a command line is visible to every user of the machine): put the secret in a file and use --client-secret-file',
      );
      if (eq === -1 && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) i++;
      continue;
    }
    const spec = byFlag.get(name);
    if (spec === undefined) {
      errors.push(`unknown option --${name}`);
      continue;
    }
    if (spec.kind === 'bool') {
      given.set(name, { value: eq === -1 ? 'true' : arg.slice(eq + 1), source: `--${name}` });
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) value = argv[++i];
    if (value === undefined) {
      errors.push(`--${name} needs a value`);
      continue;
    }
    given.set(name, { value, source: `--${name}` });
  }

  const values = new Map<string, string | number | boolean>();
  // First, so the URLs' check knows whether plain http: to another host is allowed.
  const insecure = given.get('allow-insecure-http');
  const allowInsecureHttp = insecure !== undefined && TRUE.has(insecure.value.trim().toLowerCase());
  for (const spec of OPTIONS) {
    const entry = given.get(spec.flag);
    const raw = entry?.value ?? spec.fallback;
    const source = entry?.source ?? `--${spec.flag}`;
    if (raw === undefined) {
      if (spec.required)
        errors.push(`--${spec.flag} (or ${envName(spec.flag)}) is required: ${spec.help}`);
      continue;
    }
    const problem = check(spec, raw, values, allowInsecureHttp);
    if (problem !== undefined) errors.push(`${source} ${problem}`);
  }
  if (errors.length > 0) return { kind: 'error', errors };

  const str = (flag: string): string => values.get(flag) as string;
  const num = (flag: string): number | undefined => values.get(flag) as number | undefined;
  return {
    kind: 'serve',
    config: {
      port: num('port') as number,
      host: str('host'),
      realm: str('realm'),
      verifier: {
        issuer: str('issuer'),
        audience: str('audience'),
        jwksUri: str('jwks-uri'),
        stream: {
          url: str('stream-url'),
          clientId: str('client-id'),
          clientSecret: str('client-secret-file'),
        },
        maxStalenessMs: num('max-staleness-ms') as number,
        failMode: str('fail-mode') as 'closed' | 'open',
        startTimeoutMs: num('start-timeout-ms'),
        ...(values.has('max-token-lifetime-seconds')
          ? { maxTokenLifetimeSeconds: num('max-token-lifetime-seconds') }
          : {}),
        ...(values.has('clock-tolerance-seconds')
          ? { clockToleranceSeconds: num('clock-tolerance-seconds') }
          : {}),
        allowInsecureHttp: values.get('allow-insecure-http') === true,
      },
    },
  };
}

/** Checks one value and stores it (converted) in `values`; returns the problem, if any. */
function check(
  spec: OptionSpec,
  raw: string,
  values: Map<string, string | number | boolean>,
  allowInsecureHttp: boolean,
): string | undefined {
  switch (spec.kind) {
    case 'text':
      if (raw.trim() === '') return 'must not be empty';
      values.set(spec.flag, raw);
      return undefined;
    case 'url': {
      let url: URL | undefined;
      try {
        url = new URL(raw);
      } catch {
        /* below */
      }
      if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:'))
        return `must be an http(s) URL, not ${JSON.stringify(raw)}`;
      if (url.username !== '' || url.password !== '') return 'must not carry credentials';
      if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !allowInsecureHttp) {
        return `must be an https: URL, not ${JSON.stringify(raw)} (plain http: only to loopback, unless --allow-insecure-http: the client secret and the JWKS would travel in clear)`;
      }
      values.set(spec.flag, raw);
      return undefined;
    }
    case 'int': {
      const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
      if (!Number.isSafeInteger(n) || n < (spec.min as number) || n > (spec.max as number))
        return `must be a whole number from ${spec.min} to ${spec.max}, not ${JSON.stringify(raw)}`;
      values.set(spec.flag, n);
      return undefined;
    }
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (!TRUE.has(v) && !FALSE.has(v)) return `must be true or false, not ${JSON.stringify(raw)}`;
      values.set(spec.flag, TRUE.has(v));
      return undefined;
    }
    case 'failMode':
      if (raw !== 'closed' && raw !== 'open')
        return `must be closed or open, not ${JSON.stringify(raw)}`;
      values.set(spec.flag, raw);
      return undefined;
    case 'host':
      if (raw.trim() === '' || /\s/.test(raw))
        return `must be an address to listen on, not ${JSON.stringify(raw)}`;
      values.set(spec.flag, raw);
      return undefined;
    case 'realm':
      if (!/^[\x20-\x7e]+$/.test(raw) || /["\\]/.test(raw))
        return 'must be printable ASCII without quotes or backslashes';
      values.set(spec.flag, raw);
      return undefined;
    case 'file': {
      // The option names the file; what is stored is the secret it holds.
      let secret: string;
      try {
        secret = fs.readFileSync(raw, 'utf8').trim();
      } catch (err) {
        return `names a file that cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): ${raw}`;
      }
      if (secret === '') return `names an empty file: ${raw}`;
      if (/\s/.test(secret)) return `must hold the secret alone on one line: ${raw}`;
      values.set(spec.flag, secret);
      return undefined;
    }
  }
}
