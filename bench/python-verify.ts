/**
 * Part 8 of `npm run bench` (skip with BENCH_PYTHON=0): the Python verifier's hot path. Builds the
 * revokd-verifier wheel (`pip wheel --no-deps packages/verifier-python`), installs it into a fresh venv,
 * and runs bench/python/verify_bench.py: `Verifier.verify` of a repeat token and of first-seen tokens
 * against bare PyJWT `jwt.decode` of the same kind of token (EdDSA). Knobs: BENCH_PYTHON_OPS (repeat
 * token, default 20 000), BENCH_PYTHON_FIRST_SEEN (default 5 000).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeResult } from './results-file.js';
import { int, printTable } from './table.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface PythonVerifyRow {
  readonly name: string;
  readonly ops: number;
  readonly opsPerSec: number;
  readonly p50Us: number;
  readonly p99Us: number;
}
export interface PythonVerifyResult {
  readonly python: string;
  readonly pyjwt: string;
  readonly results: readonly PythonVerifyRow[];
}

function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  const out = spawnSync(cmd, args, {
    cwd: ROOT,
    env: { ...env, PIP_RETRIES: '0', PIP_DISABLE_PIP_VERSION_CHECK: '1' },
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (out.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${out.stdout}\n${out.stderr}`);
  return out.stdout;
}

export async function runPythonVerifyBench(
  log: (line?: string) => void,
): Promise<PythonVerifyResult> {
  log(
    '== Python verifier (revokd-verifier): verify of a repeat and a first-seen token vs bare PyJWT jwt.decode',
  );
  const work = mkdtempSync(path.join(tmpdir(), 'revokd-bench-py-'));
  try {
    run('python3', [
      '-m',
      'pip',
      'wheel',
      '--no-deps',
      'packages/verifier-python',
      '-w',
      path.join(work, 'wheels'),
    ]);
    run('python3', ['-m', 'venv', path.join(work, 'venv')]);
    const python = path.join(work, 'venv/bin/python');
    const wheel = readdirSync(path.join(work, 'wheels')).find((f) => f.endsWith('.whl'));
    run(python, [
      '-m',
      'pip',
      'install',
      '--no-cache-dir',
      path.join(work, 'wheels', wheel as string),
    ]);
    const result = JSON.parse(
      run(python, [path.join(ROOT, 'bench/python/verify_bench.py')])
        .trim()
        .split('\n')
        .at(-1) as string,
    ) as PythonVerifyResult;
    const bare = result.results[0] as PythonVerifyRow;
    printTable(
      [
        'Python ' + result.python + ', PyJWT ' + result.pyjwt,
        'ops',
        'ops/s',
        'p50',
        'p99',
        'vs bare PyJWT',
      ],
      result.results.map((r) => [
        r.name,
        int(r.ops),
        int(r.opsPerSec),
        `${r.p50Us.toFixed(1)} µs`,
        `${r.p99Us.toFixed(1)} µs`,
        `${(r.opsPerSec / bare.opsPerSec).toFixed(2)}×`,
      ]),
      log,
    );
    log(`wrote ${writeResult('python-verify', { ...result })}`);
    return result;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runPythonVerifyBench((line = '') => process.stdout.write(`${line}\n`));
}
