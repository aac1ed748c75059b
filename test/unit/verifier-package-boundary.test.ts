/**
 * @revokd/verifier's package boundary (issue 20): its sources import nothing by a path climbing out
 * of packages/verifier/src — the service's shared code only by the names `#core/…` (src/core) and
 * `#replica/…` (src/replica), which tsconfig.json maps to the sources and scripts/build.mjs compiles
 * into the package's own dist/ — and no package beyond its dependencies and Node's own modules.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PKG = path.join(REPO_ROOT, 'packages/verifier');
const SRC = path.join(PKG, 'src');
/** The shared names and the service directory each stands for. */
const SHARED: Record<string, string> = { '#core/': 'src/core/', '#replica/': 'src/replica/' };

function sources(): string[] {
  return (fs.readdirSync(SRC, { recursive: true }) as string[])
    .filter((f) => /\.(ts|mts|cts|js|mjs)$/.test(f))
    .sort();
}

/** Every module specifier of a file, as TypeScript's scanner finds them (import/export from, import(), require). */
function specifiers(file: string): string[] {
  return ts
    .preProcessFile(fs.readFileSync(file, 'utf8'), true, true)
    .importedFiles.map((f) => f.fileName);
}

test('no file under packages/verifier/src imports a path that climbs out of it', () => {
  const files = sources();
  assert.ok(files.length > 10, `sources found: ${files.join(', ')}`);
  const manifest = JSON.parse(fs.readFileSync(path.join(PKG, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
  const packages = new Set([
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
  ]);
  const problems: string[] = [];
  let shared = 0;
  for (const rel of files) {
    const file = path.join(SRC, rel);
    for (const spec of specifiers(file)) {
      if (spec.startsWith('.') || path.isAbsolute(spec) || spec.startsWith('file:')) {
        const target = path.resolve(path.dirname(file), spec.replace(/^file:\/\//, ''));
        if (
          path.relative(SRC, target).startsWith('..') ||
          path.isAbsolute(path.relative(SRC, target))
        )
          problems.push(`${rel}: ${spec} (outside packages/verifier/src)`);
      } else if (Object.keys(SHARED).some((name) => spec.startsWith(name))) {
        shared++;
      } else if (
        !spec.startsWith('node:') &&
        !packages.has(
          spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!,
        )
      ) {
        problems.push(
          `${rel}: ${spec} (neither a node: module, a dependency of the package, nor #core/… or #replica/…)`,
        );
      }
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(shared > 0, 'the verifier imports the shared code by its names');
});

test("#core/… and #replica/… name the service's src/core and src/replica, and each import names an existing module", () => {
  const config = ts.readConfigFile(path.join(REPO_ROOT, 'tsconfig.json'), (file) =>
    ts.sys.readFile(file),
  );
  assert.equal(config.error, undefined);
  const paths = (config.config as { compilerOptions: { paths: Record<string, string[]> } })
    .compilerOptions.paths;
  assert.deepEqual(
    paths,
    Object.fromEntries(Object.entries(SHARED).map(([name, dir]) => [`${name}*`, [`./${dir}*`]])),
  );
  for (const rel of sources()) {
    for (const spec of specifiers(path.join(SRC, rel))) {
      const name = Object.keys(SHARED).find((n) => spec.startsWith(n));
      if (name === undefined) continue;
      const target = path
        .join(REPO_ROOT, SHARED[name]!, spec.slice(name.length))
        .replace(/\.js$/, '.ts');
      assert.ok(
        fs.existsSync(target),
        `${rel}: ${spec} → ${path.relative(REPO_ROOT, target)} does not exist`,
      );
    }
  }
});
