/**
 * The verifier as a resource server gets it, by the commands docs/verifier.md "Install" shows (the
 * package is not published yet): `npm pack` of packages/verifier, the tarball installed into a fresh
 * empty project (`npm init -y`, `npm install ./revokd-verifier-<version>.tgz`, jose from the npm
 * registry), driven by a plain `node` script — no tsx, no TypeScript — over JSON lines on stdin/stdout.
 * The docs' blocks are read from the file and run exactly as written, so the docs cannot drift.
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { REPO_ROOT, tempDir } from '../support/server-process.js';

export interface InstalledProject {
  readonly dir: string;
  readonly tarball: string;
  remove(): void;
}

/** The marked blocks of docs/verifier.md "Install": `<!-- verifier-install: NAME -->` then a fenced block. */
export interface InstallDocs {
  /** The shell commands from a clone to an installed project (run from the clone's root). */
  readonly pack: string;
  /** The first script, check.mjs. */
  readonly checkScript: string;
  /** The shell command running it (in the project). */
  readonly run: string;
}

export function readInstallDocs(): InstallDocs {
  const docs = fs.readFileSync(path.join(REPO_ROOT, 'docs/verifier.md'), 'utf8');
  const block = (name: string): string => {
    const found = [
      ...docs.matchAll(
        new RegExp(
          `^<!-- verifier-install: ${name.replace('.', '\\.')} -->\\n\`\`\`(?:sh|js)\\n([\\s\\S]*?)^\`\`\`$`,
          'gm',
        ),
      ),
    ];
    if (found.length !== 1)
      throw new Error(
        `docs/verifier.md: expected one <!-- verifier-install: ${name} --> block, found ${found.length}`,
      );
    return found[0]![1]!;
  };
  return { pack: block('pack'), checkScript: block('check.mjs'), run: block('run') };
}

/** The environment the docs' commands run in: a fresh HOME (so `~/my-api` is a new directory), npm's usual cache and config. */
function docsEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const userconfig = process.env.npm_config_userconfig ?? path.join(os.homedir(), '.npmrc');
  return {
    PATH: process.env.PATH,
    HOME: home,
    npm_config_cache: process.env.npm_config_cache ?? path.join(os.homedir(), '.npm'),
    ...(fs.existsSync(userconfig) ? { npm_config_userconfig: userconfig } : {}),
    ...extra,
  };
}

/** Runs a docs block in bash (`set -euo pipefail`); stdout, or throws with everything printed. */
export function runDocsBlock(
  script: string,
  cwd: string,
  home: string,
  env: Record<string, string> = {},
): string {
  try {
    return execFileSync('bash', ['-c', `set -euo pipefail\n${script}`], {
      cwd,
      env: docsEnv(home, env),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    const e = err as { status?: number; stdout?: string; stderr?: string };
    throw new Error(
      `docs block failed (exit ${e.status}):\n${script}\n--- stdout\n${e.stdout}\n--- stderr\n${e.stderr}`,
    );
  }
}

/**
 * Runs the docs' install commands as written, from the repository root, with a fresh HOME:
 * packs the verifier (its prepack builds it) and installs the tarball into ~/my-api. Writes the
 * docs' check.mjs there too, and this file's probe.
 */
export function installPackedVerifier(): InstalledProject {
  const docs = readInstallDocs();
  const home = tempDir('verifier-consumer');
  const stdout = runDocsBlock(`${docs.pack}\npwd`, REPO_ROOT, home);
  const project = stdout.trimEnd().split('\n').at(-1)!;
  if (!project.startsWith(home))
    throw new Error(`the docs' install ended in ${project}, not under the fresh HOME ${home}`);
  const { version } = JSON.parse(
    fs.readFileSync(path.join(REPO_ROOT, 'packages/verifier/package.json'), 'utf8'),
  ) as { version: string };
  const tarball = path.join(project, `revokd-verifier-${version}.tgz`);
  if (!fs.existsSync(tarball))
    throw new Error(
      `no ${path.basename(tarball)} in the project: the docs name another version than packages/verifier/package.json (${version})? ${fs.readdirSync(project).join(', ')}`,
    );
  fs.writeFileSync(path.join(project, 'check.mjs'), docs.checkScript);
  fs.writeFileSync(path.join(project, 'probe.mjs'), PROBE);
  return { dir: project, tarball, remove: () => fs.rmSync(home, { recursive: true, force: true }) };
}

/** Every file under the project's node_modules, relative to it. */
export function installedFiles(project: InstalledProject): string[] {
  const root = path.join(project.dir, 'node_modules');
  return (fs.readdirSync(root, { recursive: true }) as string[])
    .filter((f) => fs.statSync(path.join(root, f)).isFile())
    .sort();
}

/** The packages installed (name@version), from node_modules. */
export function installedPackages(project: InstalledProject): string[] {
  const root = path.join(project.dir, 'node_modules');
  const names: string[] = [];
  for (const entry of fs.readdirSync(root)) {
    if (entry.startsWith('.')) continue;
    const dirs = entry.startsWith('@')
      ? fs.readdirSync(path.join(root, entry)).map((e) => `${entry}/${e}`)
      : [entry];
    for (const name of dirs) {
      const manifest = JSON.parse(
        fs.readFileSync(path.join(root, name, 'package.json'), 'utf8'),
      ) as { version: string };
      names.push(`${name}@${manifest.version}`);
    }
  }
  return names.sort();
}

export type ProbeAnswer = Record<string, unknown>;

/** A plain-node process holding one verifier. */
export class Probe {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: Array<(answer: ProbeAnswer) => void> = [];
  stderr = '';

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.child = child;
    readline
      .createInterface({ input: child.stdout })
      .on('line', (line) => this.waiting.shift()?.(JSON.parse(line) as ProbeAnswer));
    child.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
  }

  /** Starts `node probe.mjs` with these createVerifier options; resolves once it is ready. */
  static async start(project: InstalledProject, options: Record<string, unknown>): Promise<Probe> {
    const child = spawn(process.execPath, ['probe.mjs'], {
      cwd: project.dir,
      env: { PATH: process.env.PATH, VERIFIER_OPTIONS: JSON.stringify(options) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const probe = new Probe(child);
    const ready = await probe.next();
    if (ready.ready !== true)
      throw new Error(`probe did not start: ${JSON.stringify(ready)} ${probe.stderr}`);
    return probe;
  }

  private next(): Promise<ProbeAnswer> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void =>
        reject(new Error(`probe exited (${code}): ${this.stderr}`));
      this.child.once('exit', onExit);
      this.waiting.push((answer) => {
        this.child.off('exit', onExit);
        resolve(answer);
      });
    });
  }

  ask(command: ProbeAnswer): Promise<ProbeAnswer> {
    const answer = this.next();
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
    return answer;
  }

  verify(token: string): Promise<ProbeAnswer> {
    return this.ask({ cmd: 'verify', token });
  }

  /** Polls verify() inside the probe (no IPC in the measurement) until the token is refused. */
  waitRejected(token: string, withinMs: number): Promise<ProbeAnswer> {
    return this.ask({ cmd: 'waitRejected', token, withinMs });
  }

  /** Closes the verifier; resolves true when the process then exited by itself (nothing left running). */
  async close(): Promise<boolean> {
    if (this.child.exitCode !== null) return true;
    let killed = false;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end(`${JSON.stringify({ cmd: 'close' })}\n`);
    const timer = setTimeout(() => {
      killed = true;
      this.child.kill('SIGKILL');
    }, 5000);
    await exited;
    clearTimeout(timer);
    return !killed;
  }
}

/** The consumer's script: plain ESM JavaScript importing the installed package by name. */
const PROBE = `import readline from 'node:readline';
import { createVerifier } from '@revokd/verifier';

const out = (value) => process.stdout.write(JSON.stringify(value) + '\\n');
const failure = (err) => ({ ok: false, code: err.code, status: err.status, message: err.message });
let verifier;
try {
  verifier = await createVerifier(JSON.parse(process.env.VERIFIER_OPTIONS));
  out({ ready: true });
} catch (err) {
  out({ ready: false, message: err.message });
  process.exit(1);
}
for await (const line of readline.createInterface({ input: process.stdin })) {
  const command = JSON.parse(line);
  if (command.cmd === 'verify') {
    out(await verifier.verify(command.token).then((claims) => ({ ok: true, sub: claims.sub, jti: claims.jti }), failure));
  } else if (command.cmd === 'waitRejected') {
    const started = performance.now();
    let answer = { ok: true };
    while (performance.now() - started <= command.withinMs) {
      answer = await verifier.verify(command.token).then(() => ({ ok: true }), failure);
      if (!answer.ok) break;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    out({ ...answer, afterMs: performance.now() - started });
  } else if (command.cmd === 'status') {
    out(verifier.status());
  } else if (command.cmd === 'close') {
    await verifier.close();
    break;
  }
}
`;
