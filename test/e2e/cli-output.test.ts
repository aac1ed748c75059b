/**
 * What the CLI prints (issue 12): clean answers with no raw log lines beside them, every column of
 * `keys list` for a revoked key, and progress for long commands only when a person watches a
 * terminal — never when the output is piped or --json is asked for.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { login } from '../support/http-client.js';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  REPO_ROOT,
  ServerProcess,
  runCli,
  tempDir,
} from '../support/server-process.js';

const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Runs the CLI under `script`, so its stdout and stderr are a terminal (a pty); returns what the terminal showed. */
function cliOnTerminal(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; screen: string }> {
  const quote = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;
  const command = [
    process.execPath,
    '--import',
    'tsx',
    path.join(REPO_ROOT, 'src/cli/main.ts'),
    ...args,
  ]
    .map(quote)
    .join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let screen = '';
    child.stdout.on('data', (d: Buffer) => {
      screen += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      screen += d.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, screen }));
  });
}

describe('CLI output', () => {
  let server: ServerProcess;
  let env: NodeJS.ProcessEnv;
  const cli = (args: string[]) => runCli(args, env);

  before(async () => {
    server = await ServerProcess.start();
    env = { PATH: process.env.PATH, HOME: process.env.HOME, REVOKD_DATA_DIR: server.dataDir };
  });
  after(async () => {
    await server?.stop();
  });

  test('revoke all prints "revoked all: …" (no stray space before the colon)', async () => {
    await login(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const out = await cli(['revoke', 'all', '--reason', 'compromised']);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^revoked all: \d+ session\(s\), \d+ refresh token\(s\)\n$/);
    assert.equal(out.stderr, '');
  });

  test('keys list shows every column for every key, a revoked one included', async () => {
    const rotated = JSON.parse((await cli(['keys', 'rotate', '--json'])).stdout) as { kid: string };
    const before = JSON.parse((await cli(['keys', 'list', '--json'])).stdout) as Array<{
      kid: string;
      status: string;
    }>;
    const old = before.find((k) => k.kid !== rotated.kid && k.status === 'retired')!;
    assert.equal((await cli(['keys', 'revoke', '--', old.kid])).code, 0);
    const out = await cli(['keys', 'list']);
    assert.equal(out.code, 0, out.stderr);
    const [header, ...rows] = out.stdout.trimEnd().split('\n');
    assert.deepEqual(header!.split(/\s+/), ['KID', 'ALG', 'STATUS', 'PUBLISHED', 'CREATED']);
    const revoked = rows.find((r) => r.startsWith(old.kid))!.split(/\s+/);
    assert.equal(revoked.length, 5, `five columns for the revoked key: ${revoked.join(' | ')}`);
    assert.deepEqual(revoked.slice(1, 4), ['EdDSA', 'revoked', 'no']);
    assert.match(revoked[4]!, /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(
      rows
        .find((r) => r.startsWith(rotated.kid))!
        .split(/\s+/)
        .slice(2, 4),
      ['active', 'yes'],
    );
  });

  test('migrate on a fresh data directory: text and --json report the same schema version and what was applied', async () => {
    const fresh = { ...env, REVOKD_DATA_DIR: tempDir('migrate') };
    try {
      const first = await runCli(['migrate', '--json'], fresh);
      assert.equal(first.code, 0, first.stderr);
      const report = JSON.parse(first.stdout) as {
        backend: string;
        schema_version: number;
        applied: number[];
      };
      assert.ok(
        report.applied.length > 0 && report.applied.at(-1) === report.schema_version,
        JSON.stringify(report),
      );
      const again = await runCli(['migrate'], fresh);
      assert.equal(
        again.stdout,
        `schema is up to date (sqlite, version ${report.schema_version})\n`,
      );
      assert.deepEqual(JSON.parse((await runCli(['migrate', '--json'], fresh)).stdout), {
        backend: 'sqlite',
        schema_version: report.schema_version,
        applied: [],
      });
    } finally {
      fs.rmSync(fresh.REVOKD_DATA_DIR, { recursive: true, force: true });
    }
  });

  test('block prints its answer and no raw log line (stderr stays empty), text and --json', async () => {
    const out = await cli(['block', '198.51.100.0/24', '--reason', 'cli output test']);
    assert.equal(out.code, 0, out.stderr);
    assert.match(
      out.stdout,
      /^blocked 198\.51\.100\.0\/24 \([0-9a-f-]{36}\): revoked 0 session\(s\) and 0 API token\(s\)\n$/,
    );
    assert.equal(out.stderr, '', 'no log line beside the answer');
    const json = await cli(['block', '198.51.101.0/24', '--reason', 'cli output test', '--json']);
    assert.equal(json.stderr, '');
    assert.equal(JSON.parse(json.stdout).cidr, '198.51.101.0/24');
  });

  test('audit verify / export / revoke ip are quiet when piped: stderr empty, stdout the answer alone', async () => {
    const verify = await cli(['audit', 'verify']);
    assert.equal(verify.code, 0, verify.stderr);
    assert.match(verify.stdout, /^audit log intact: \d+ entries/);
    assert.equal(verify.stderr, '');
    const exported = await cli([
      'audit',
      'export',
      '--out',
      path.join(server.dataDir, 'export.ndjson'),
    ]);
    assert.equal(exported.stderr, '');
    assert.match(exported.stdout, /^exported \d+ entries/);
    const ip = await cli(['revoke', 'ip', '203.0.113.0/24']);
    assert.equal(ip.stderr, '');
    assert.match(ip.stdout, /^revoked ip 203\.0\.113\.0\/24: /);
  });

  test(
    'on a terminal, audit verify and revoke ip show progress on stderr, then erase it; --json shows none',
    { skip: !hasScript && 'util-linux `script` is not installed' },
    async () => {
      const verify = await cliOnTerminal(['audit', 'verify'], env);
      assert.equal(verify.code, 0, verify.screen);
      assert.match(
        verify.screen,
        /\rverified \d+ entries…\x1b\[K/,
        `progress drawn: ${JSON.stringify(verify.screen)}`,
      );
      assert.match(verify.screen, /\r\x1b\[Kaudit log intact: /, 'erased before the answer');
      const ip = await cliOnTerminal(['revoke', 'ip', '192.0.2.0/24'], env);
      assert.match(ip.screen, /\rrevoking ip 192\.0\.2\.0\/24…/);
      const json = await cliOnTerminal(['audit', 'verify', '--json'], env);
      assert.equal(json.code, 0, json.screen);
      assert.doesNotMatch(
        json.screen,
        /verified|\r[^\n]/,
        `no progress with --json: ${JSON.stringify(json.screen)}`,
      );
      assert.equal(JSON.parse(json.screen).ok, true);
    },
  );
});
