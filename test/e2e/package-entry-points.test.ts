/**
 * The package installs like a real one: its entry points are compiled JavaScript that a plain Node
 * program (no tsx, no TypeScript) can import and run. Uses the dist/ that `npm test` builds.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, tempDir } from '../support/server-process.js';

const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  exports: Record<string, { types: string; default: string }>; bin: Record<string, string>; dependencies: Record<string, string>;
};

test('package.json exports and bin name compiled JavaScript, and tsx is not a runtime dependency', () => {
  for (const [entry, target] of Object.entries(pkg.exports)) {
    assert.match(target.default, /\.js$/, `export ${entry}`);
    assert.match(target.types, /\.d\.ts$/, `types of ${entry}`);
    assert.ok(fs.existsSync(path.join(REPO_ROOT, target.default)), `${target.default} is built`);
  }
  assert.equal(fs.readFileSync(path.join(REPO_ROOT, pkg.bin.revokd!), 'utf8').includes('.ts'), false, 'the bin loads no TypeScript');
  assert.equal('tsx' in pkg.dependencies, false);
});

test('a plain Node program imports revokd by name and runs its CLI, with no TypeScript loader', () => {
  const project = tempDir('consumer');
  fs.mkdirSync(path.join(project, 'node_modules'));
  fs.symlinkSync(REPO_ROOT, path.join(project, 'node_modules', 'revokd'), 'dir');
  fs.writeFileSync(path.join(project, 'main.mjs'), [
    "import { isRevokdError, openRevokd } from 'revokd';",
    "console.log(JSON.stringify({ openRevokd: typeof openRevokd, isRevokdError: typeof isRevokdError }));",
  ].join('\n'));
  const env = { PATH: process.env.PATH ?? '' }; // no NODE_OPTIONS: nothing registers tsx
  const out = execFileSync(process.execPath, ['main.mjs'], { cwd: project, env }).toString();
  assert.deepEqual(JSON.parse(out), { openRevokd: 'function', isRevokdError: 'function' });
  const help = execFileSync(process.execPath, [path.join(project, 'node_modules/revokd', pkg.bin.revokd!), '--help'], { cwd: project, env }).toString();
  assert.match(help, /Usage: revokd/);
});
