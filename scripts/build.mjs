// `npm run build` (and `npm install`, through `prepare`): compiles both packages of the workspace
// to JavaScript with type declarations, so neither needs tsx or the sources at run time.
// - revokd: src/ and web/ to dist/, then the files the compiled code reads at run time (SQL
//   migrations, the UI's static assets) copied beside it;
// - @revokd/verifier: packages/verifier/src to packages/verifier/dist, with its `revokd-verifier`
//   command (dist/cli.js) made executable. The verifier imports the service's shared code by name,
//   `#core/…` (src/core) and `#replica/…` (src/replica), which tsconfig.json "paths" maps to the
//   sources for tsc and tsx. Its build compiles those shared modules too (one source, two builds)
//   and lays the result out as one tree: the verifier's own modules at the top of dist/
//   (dist/index.js, dist/adapters/express.js, dist/cli.js…), the shared ones in dist/core/ and
//   dist/replica/, the names rewritten to relative paths there — no packages/ or src/ segment, and
//   nothing left for a resolver to map (tsx, running from this repository, would map `#core/…` in
//   the built package back to the sources).
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
  const RUNTIME_FILES = [
    'src/stores/sqlite/migrations',
    'src/stores/postgres/migrations',
    'web/static',
  ];
  fs.rmSync(dist, { recursive: true, force: true });
  execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
  for (const dir of RUNTIME_FILES)
    fs.cpSync(path.join(root, dir), path.join(dist, dir), { recursive: true });
}

/** The service's directories the verifier shares, by the name it imports them by (tsconfig.json "paths"). */
const VERIFIER_SHARED = { core: 'src/core', replica: 'src/replica' };
const SHARED_SPECIFIER = /(\bfrom\s*|\bimport\s*\(?\s*)(['"])#(core|replica)\/([^'"]+)\2/g;
const ANY_SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g;

function buildVerifier() {
  // Compiled beside dist/ and swapped in: a process importing the package meanwhile (a test running
  // examples/express while another's `npm pack` runs this as prepack) never finds dist/ missing or
  // half written — only for the instant between two renames.
  const pkg = path.join(root, 'packages/verifier');
  const dist = path.join(pkg, 'dist');
  const stage = path.join(pkg, `dist.stage-${process.pid}`);
  const next = path.join(pkg, `dist.next-${process.pid}`);
  const old = path.join(pkg, `dist.old-${process.pid}`);
  try {
    // tsc lays its output out from the common root of its inputs (the repository's): stage/packages/
    // verifier/src/…, stage/src/core/…, stage/src/replica/…; moved from there into one tree.
    execFileSync(
      process.execPath,
      [tsc, '-p', path.join(pkg, 'tsconfig.build.json'), '--outDir', stage],
      { stdio: 'inherit' },
    );
    fs.renameSync(path.join(stage, 'packages/verifier/src'), next);
    for (const [name, dir] of Object.entries(VERIFIER_SHARED)) {
      if (fs.existsSync(path.join(next, name)))
        throw new Error(
          `packages/verifier/src/${name} would collide with the shared ${dir} in dist/${name}`,
        );
      if (fs.existsSync(path.join(stage, dir)))
        fs.renameSync(path.join(stage, dir), path.join(next, name));
    }
    const stray = filesUnder(stage);
    if (stray.length > 0)
      throw new Error(
        `the verifier's build compiled files outside packages/verifier/src and ${Object.values(VERIFIER_SHARED).join(', ')}: ${stray.join(', ')}`,
      );
    for (const file of filesUnder(next).filter((f) => /\.(js|d\.ts)$/.test(f))) {
      const full = path.join(next, file);
      const text = fs.readFileSync(full, 'utf8');
      const rewritten = text.replace(SHARED_SPECIFIER, (_, lead, quote, name, rest) => {
        const relative = path
          .relative(path.dirname(full), path.join(next, name, rest))
          .split(path.sep)
          .join('/');
        return `${lead}${quote}${relative.startsWith('.') ? relative : `./${relative}`}${quote}`;
      });
      if (rewritten !== text) fs.writeFileSync(full, rewritten);
    }
    checkVerifierImports(next);
    if (fs.existsSync(dist)) fs.renameSync(dist, old);
    fs.renameSync(next, dist);
    // The package's bin (`revokd-verifier`), runnable from a clone as well as once installed.
    fs.chmodSync(path.join(dist, 'cli.js'), 0o755);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
    fs.rmSync(next, { recursive: true, force: true });
    fs.rmSync(old, { recursive: true, force: true });
  }
}

function filesUnder(dir) {
  return fs
    .readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => fs.statSync(path.join(dir, f)).isFile());
}

/**
 * Every relative module specifier in the laid-out verifier (.js and .d.ts) resolves to a file of
 * it, and no `#…` name is left; anything else is a package name (jose, node:…), which the
 * installed-package test checks.
 */
function checkVerifierImports(dir) {
  const problems = [];
  for (const file of filesUnder(dir).filter((f) => /\.(js|d\.ts)$/.test(f))) {
    const full = path.join(dir, file);
    const text = fs.readFileSync(full, 'utf8');
    for (const [, spec] of text.matchAll(ANY_SPECIFIER)) {
      if (spec.startsWith('#')) problems.push(`${file}: ${spec} (not rewritten)`);
      if (!spec.startsWith('.')) continue;
      const target = path.resolve(path.dirname(full), spec);
      const candidates = file.endsWith('.d.ts')
        ? [target.replace(/\.js$/, '.d.ts'), target]
        : [target];
      if (!target.startsWith(dir + path.sep) || !candidates.some((c) => fs.existsSync(c)))
        problems.push(`${file}: ${spec}`);
    }
  }
  if (problems.length > 0)
    throw new Error(
      `the verifier's build has imports that do not resolve inside its dist/:\n  ${problems.join('\n  ')}`,
    );
}

if (only !== undefined && only !== 'verifier' && only !== 'service')
  throw new Error(`unknown build target ${only} (verifier or service)`);
if (only !== 'verifier') buildService();
if (only !== 'service') buildVerifier();
