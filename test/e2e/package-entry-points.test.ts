/**
 * The package installs like a real one: its entry points are compiled JavaScript that a plain Node
 * program (no tsx, no TypeScript) can import and run. Uses the dist/ that `npm test` builds.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { createTestDatabase } from '../support/postgres.js';
import { REPO_ROOT, tempDir } from '../support/server-process.js';

const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  exports: Record<string, { types: string; default: string }>;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
};

test('package.json exports and bin name compiled JavaScript, and tsx is not a runtime dependency', () => {
  for (const [entry, target] of Object.entries(pkg.exports)) {
    assert.match(target.default, /\.js$/, `export ${entry}`);
    assert.match(target.types, /\.d\.ts$/, `types of ${entry}`);
    assert.ok(fs.existsSync(path.join(REPO_ROOT, target.default)), `${target.default} is built`);
  }
  assert.equal(
    fs.readFileSync(path.join(REPO_ROOT, pkg.bin.revokd!), 'utf8').includes('.ts'),
    false,
    'the bin loads no TypeScript',
  );
  assert.equal('tsx' in pkg.dependencies, false);
});

test('a plain Node program imports revokd by name and runs its CLI, with no TypeScript loader', () => {
  const project = tempDir('consumer');
  fs.mkdirSync(path.join(project, 'node_modules'));
  fs.symlinkSync(REPO_ROOT, path.join(project, 'node_modules', 'revokd'), 'dir');
  fs.writeFileSync(
    path.join(project, 'main.mjs'),
    [
      "import { isRevokdError, openRevokd } from 'revokd';",
      'console.log(JSON.stringify({ openRevokd: typeof openRevokd, isRevokdError: typeof isRevokdError }));',
    ].join('\n'),
  );
  const env = { PATH: process.env.PATH ?? '' }; // no NODE_OPTIONS: nothing registers tsx
  const out = execFileSync(process.execPath, ['main.mjs'], { cwd: project, env }).toString();
  assert.deepEqual(JSON.parse(out), { openRevokd: 'function', isRevokdError: 'function' });
  const help = execFileSync(
    process.execPath,
    [path.join(project, 'node_modules/revokd', pkg.bin.revokd!), '--help'],
    { cwd: project, env },
  ).toString();
  assert.match(help, /Usage: revokd/);
});

/**
 * Which npm packages a plain Node process has loaded after importing revokd's entry (and, with
 * `open`, after openRevokd + close). Every package asked about (better-sqlite3, pg, prom-client,
 * fastify, pino, ioredis…) is CommonJS, and CommonJS modules land in the one `require.cache` even
 * when ESM imports them: so the cache, read at the end, lists each package that was loaded.
 */
function packagesLoaded(mode: 'import' | 'open', env: Record<string, string>): string[] {
  const probe = path.join(tempDir('entry-probe'), 'probe.mjs');
  fs.writeFileSync(
    probe,
    [
      "import { createRequire } from 'node:module';",
      "import { pathToFileURL } from 'node:url';",
      'const revokd = await import(pathToFileURL(process.argv[2]).href);',
      "if (process.argv[3] === 'open') await (await revokd.openRevokd()).close();",
      'const packages = new Set();',
      'for (const file of Object.keys(createRequire(import.meta.url).cache)) {',
      '  const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(file);',
      '  if (m) packages.add(m[1]);',
      '}',
      'console.log(JSON.stringify([...packages].sort()));',
    ].join('\n'),
  );
  const out = execFileSync(
    process.execPath,
    [probe, path.join(REPO_ROOT, pkg.exports['.']!.default), mode],
    { env: { PATH: process.env.PATH ?? '', ...env } },
  );
  return JSON.parse(out.toString()) as string[];
}

const SERVER_ONLY = ['fastify', 'prom-client', 'nodemailer', 'ioredis', '@fastify/rate-limit'];

test('importing revokd loads no database driver, no logger, no metrics and no server code', () => {
  const loaded = packagesLoaded('import', {});
  for (const name of ['better-sqlite3', 'pg', 'pino', ...SERVER_ONLY])
    assert.equal(
      loaded.includes(name),
      false,
      `${name} loaded by the import alone: ${loaded.join(', ')}`,
    );
});

test('openRevokd on SQLite loads better-sqlite3, not pg, and nothing of the server (no prom-client)', () => {
  const loaded = packagesLoaded('open', { REVOKD_DATA_DIR: tempDir('entry-sqlite') });
  assert.ok(
    loaded.includes('better-sqlite3'),
    `the probe sees the driver it used: ${loaded.join(', ')}`,
  );
  for (const name of ['pg', ...SERVER_ONLY])
    assert.equal(loaded.includes(name), false, `${name} loaded: ${loaded.join(', ')}`);
});

test('openRevokd on PostgreSQL loads pg, not better-sqlite3, and nothing of the server (no prom-client)', async (t) => {
  const db = await createTestDatabase('entry_points_pg');
  t.after(() => db.drop());
  const loaded = packagesLoaded('open', {
    REVOKD_DATABASE_URL: db.url,
    REVOKD_SECRET: 'a'.repeat(64),
    REVOKD_DATA_DIR: tempDir('entry-pg'),
  });
  assert.ok(loaded.includes('pg'), `the probe sees the driver it used: ${loaded.join(', ')}`);
  for (const name of ['better-sqlite3', ...SERVER_ONLY])
    assert.equal(loaded.includes(name), false, `${name} loaded: ${loaded.join(', ')}`);
});
