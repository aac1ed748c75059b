// `npm run build` (and `npm install`, through `prepare`): compiles both packages of the workspace
// to JavaScript with type declarations, so neither needs tsx or the sources at run time.
// - revokd: src/ and web/ to dist/, then the files the compiled code reads at run time (SQL
//   migrations, the UI's static assets) copied beside it;
// - @revokd/verifier: packages/verifier/src to packages/verifier/dist, together with the shared
//   modules it imports from src/ (one source, two builds: its rootDir is the repo root, so
//   dist/src/core/... holds the service's own revocation, token and replica code, nothing else),
//   and its `revokd-verifier` command (dist/packages/verifier/src/cli.js) made executable.
// `node scripts/build.mjs verifier` builds the verifier alone (its `prepack`). Not a `prepare` of the
// verifier package: npm 11 would list that as an install script to approve in every project
// installing the package, where it cannot run (it builds from this repository).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
const only = process.argv[2];

function buildService() {
  const dist = path.join(root, 'dist');
  const RUNTIME_FILES = ['src/stores/sqlite/migrations', 'src/stores/postgres/migrations', 'web/static'];
  fs.rmSync(dist, { recursive: true, force: true });
  execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  for (const dir of RUNTIME_FILES) fs.cpSync(path.join(root, dir), path.join(dist, dir), { recursive: true });
}

function buildVerifier() {
  // Compiled beside dist/ and swapped in: a process importing the package meanwhile (a test running
  // examples/express while another's `npm pack` runs this as prepack) never finds dist/ missing or
  // half written — only for the instant between two renames.
  const pkg = path.join(root, 'packages/verifier');
  const dist = path.join(pkg, 'dist');
  const next = path.join(pkg, `dist.next-${process.pid}`);
  const old = path.join(pkg, `dist.old-${process.pid}`);
  try {
    execFileSync(process.execPath, [tsc, '-p', path.join(pkg, 'tsconfig.build.json'), '--outDir', next], { stdio: 'inherit' });
    if (fs.existsSync(dist)) fs.renameSync(dist, old);
    fs.renameSync(next, dist);
    // The package's bin (`revokd-verifier`), runnable from a clone as well as once installed.
    fs.chmodSync(path.join(dist, 'packages/verifier/src/cli.js'), 0o755);
  } finally {
    fs.rmSync(next, { recursive: true, force: true });
    fs.rmSync(old, { recursive: true, force: true });
  }
}

if (only !== undefined && only !== 'verifier' && only !== 'service') throw new Error(`unknown build target ${only} (verifier or service)`);
if (only !== 'verifier') buildService();
if (only !== 'service') buildVerifier();
