#!/usr/bin/env node
/**
 * `revokd-verifier serve`: the verifier as a forward-auth gateway for resource servers in any
 * language (docs/gateway.md). One createVerifier, one HTTP server; SIGTERM or SIGINT closes both.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Verifier, createVerifier } from './create-verifier.js';
import { type GatewayHandlerOptions, gatewayHandler } from './gateway/server.js';
import { parseServeArgs, usage } from './gateway/options.js';

const log = (line: string): void => {
  process.stderr.write(`revokd-verifier: ${line}\n`);
};

/** How long in-flight requests get to finish at shutdown before their connections are cut. */
const SHUTDOWN_GRACE_MS = 5_000;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(usage());
    return command === undefined ? 2 : 0;
  }
  if (command !== 'serve') {
    log(
      `unknown command ${JSON.stringify(command)} (the command is serve; see revokd-verifier --help)`,
    );
    return 2;
  }
  const parsed = parseServeArgs(rest, process.env);
  if (parsed.kind === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  if (parsed.kind === 'error') {
    log(
      `serve: ${parsed.errors.length === 1 ? 'an option is' : `${parsed.errors.length} options are`} wrong:\n${parsed.errors.map((e) => `  - ${e}`).join('\n')}\n(revokd-verifier serve --help lists them)`,
    );
    return 2;
  }
  const { config } = parsed;

  let stopping: Promise<void> | undefined;
  let verifier: Verifier | undefined;
  let server: http.Server | undefined;
  let exit: (code: number) => void = () => {};
  const exited = new Promise<number>((resolve) => {
    exit = resolve;
  });
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping !== undefined) return;
    log(`${signal}: closing`);
    stopping = (async () => {
      if (server !== undefined) {
        const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
        server.closeIdleConnections();
        const cut = setTimeout(() => server!.closeAllConnections(), SHUTDOWN_GRACE_MS);
        await closed;
        clearTimeout(cut);
      }
      await verifier?.close();
    })();
    stopping.then(
      () => exit(0),
      (err: unknown) => {
        log(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
        exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);

  // prom-client is an optional peer of the package: /metrics is served when it is installed.
  let registry: import('prom-client').Registry | undefined;
  let onAuthAnswer: GatewayHandlerOptions['onAuthAnswer'];
  try {
    const prom = await import('prom-client');
    registry = new prom.Registry();
    const answers = new prom.Counter({
      name: 'revokd_gateway_auth_answers_total',
      help: "Answers of the gateway's /auth endpoint, by HTTP status.",
      labelNames: ['status'],
      registers: [registry],
    });
    onAuthAnswer = (status) => answers.inc({ status: String(status) });
  } catch {
    log('prom-client is not installed: /metrics is not served (npm install prom-client)');
  }

  try {
    verifier = await createVerifier({
      ...config.verifier,
      ...(registry === undefined ? {} : { metrics: { registry } }),
    });
  } catch (err) {
    log(err instanceof Error ? err.message : String(err));
    return 1;
  }
  if (stopping !== undefined) {
    await verifier.close();
    return exited;
  }

  server = http.createServer(
    gatewayHandler(verifier, { realm: config.realm, registry, onAuthAnswer }),
  );
  // Longer than a proxy's idle upstream keepalive (nginx 60 s), so the proxy closes first.
  server.keepAliveTimeout = 75_000;
  const listening = await new Promise<Error | undefined>((resolve) => {
    server.once('error', resolve);
    server.listen(config.port, config.host, () => resolve(undefined));
  });
  if (listening !== undefined) {
    log(`cannot listen on ${config.host}:${config.port}: ${listening.message}`);
    await verifier.close();
    return 1;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  log(
    `listening on http://${host}:${address.port} (issuer ${config.verifier.issuer}, fail mode ${config.verifier.failMode}, max staleness ${config.verifier.maxStalenessMs} ms)`,
  );
  return exited;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
