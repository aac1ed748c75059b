/**
 * The README's walkthrough runs as written (issue 12, must-show 4): its marked blocks, top to
 * bottom, in one bash with `set -euo pipefail`, with curl and jq, against a fresh `npm start`
 * configured exactly as the README's server block says (only the port and data directory differ,
 * given to the script as REVOKD). Every `%{http_code}` line must print the status its `# NNN`
 * comment states. The convention is written down in README.md, above the walkthrough.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, ServerProcess, freePort, tempDir } from '../support/server-process.js';
import { type RanToEnd, runToEnd } from '../support/run-to-end.js';

interface Walkthrough {
  /** The environment of the `npm start` line in the block marked `<!-- walkthrough: server -->`. */
  readonly serverEnv: Record<string, string>;
  readonly script: string;
  /** The statuses the `%{http_code}` lines promise, in order. */
  readonly expectedStatuses: string[];
}

/** The ```sh block right after each marker comment, in README order. */
function markedBlocks(readme: string, marker: string): string[] {
  const blocks: string[] = [];
  const pattern = new RegExp(`^<!-- ${marker} -->\\n\`\`\`sh\\n([\\s\\S]*?)^\`\`\`$`, 'gm');
  for (const m of readme.matchAll(pattern)) blocks.push(m[1]!);
  return blocks;
}

function readWalkthrough(): Walkthrough {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const [server, ...extra] = markedBlocks(readme, 'walkthrough: server');
  assert.ok(server !== undefined && extra.length === 0, 'one <!-- walkthrough: server --> block');
  const start = /^((?:[A-Z_]+=(?:'[^']*'|\S+)\s+)+)npm start$/m.exec(server);
  assert.ok(start, `the server block is "VAR=value … npm start": ${server}`);
  const serverEnv: Record<string, string> = {};
  for (const m of start[1]!.matchAll(/([A-Z_]+)=('([^']*)'|\S+)/g))
    serverEnv[m[1]!] = m[3] ?? m[2]!;
  const blocks = markedBlocks(readme, 'walkthrough');
  assert.ok(blocks.length >= 5, `the walkthrough has its blocks (found ${blocks.length})`);
  const script = blocks.join('\n');
  const expectedStatuses = [...script.matchAll(/%\{http_code\}.*#\s*(\d{3})\b/g)].map((m) => m[1]!);
  return { serverEnv, script, expectedStatuses };
}

function runBash(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<RanToEnd> {
  return runToEnd('bash', ['-c', `set -euo pipefail\n${script}`], { cwd, env });
}

test(
  'the README walkthrough runs, top to bottom, against a fresh server started as the README says',
  { timeout: 120_000 },
  async () => {
    const walkthrough = readWalkthrough();
    assert.ok(
      walkthrough.serverEnv.REVOKD_ADMIN_EMAIL !== undefined,
      'the server block names the admin',
    );
    assert.ok(
      walkthrough.expectedStatuses.length >= 10,
      'the walkthrough states the statuses it expects',
    );
    const dataDir = tempDir('walkthrough');
    const port = await freePort();
    const server = await ServerProcess.start({
      command: ['npm', 'start', '--silent'],
      dataDir,
      port,
      bareEnv: true,
      env: {
        ...walkthrough.serverEnv,
        REVOKD_DATA_DIR: dataDir,
        PORT: String(port),
      },
    });
    const workDir = tempDir('walkthrough-cwd'); // where it writes login.json and friends
    try {
      const out = await runBash(walkthrough.script, workDir, {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        REVOKD: server.url,
      });
      assert.equal(
        out.code,
        0,
        `the walkthrough failed (exit ${out.code}):\n--- stdout\n${out.stdout}\n--- stderr\n${out.stderr}`,
      );
      assert.equal(out.stderr, '', 'nothing on stderr');
      const statuses = out.stdout.split('\n').filter((l) => /^\d{3}$/.test(l));
      assert.deepEqual(
        statuses,
        walkthrough.expectedStatuses,
        `statuses as the README states them:\n${out.stdout}`,
      );
      // What the commented outputs show is what a reader sees.
      assert.match(out.stdout, /^ERR_TOKEN_REVOKED$/m);
      assert.match(out.stdout, /"cidr":"203\.0\.113\.0\/24","revoked_sessions":1/);
      assert.match(out.stdout, /^\{"ok":true,"entries":\d+\}$/m);
    } finally {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(workDir, { recursive: true, force: true });
    }
  },
);
