/**
 * The SQL backends are one backend (src/stores/sql/) plus a dialect each: a file of one dialect
 * folder never imports from the other, and the shared folder imports from neither (issue 20).
 * Reads every .ts file under src/stores/sqlite, src/stores/postgres and src/stores/sql and resolves
 * its relative imports (static, re-exports and dynamic import()). And no SQL statement is written
 * in both dialect folders, or in a dialect folder and src/stores/sql: a statement the two share
 * belongs in src/stores/sql, once.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const STORES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/stores');

/** What each folder must not import from. */
const FORBIDDEN: Record<string, readonly string[]> = {
  sqlite: ['postgres'],
  postgres: ['sqlite'],
  sql: ['sqlite', 'postgres'],
};

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

/** The relative module specifiers a source file imports. */
function importedSpecifiers(source: string): string[] {
  const specifiers: string[] = [];
  const patterns = [
    /\bfrom\s+['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /^\s*import\s+['"]([^'"]+)['"]/gm,
  ];
  for (const pattern of patterns) for (const m of source.matchAll(pattern)) specifiers.push(m[1]!);
  return specifiers.filter((s) => s.startsWith('.'));
}

/** The top folder under src/stores a resolved import lands in ('' for a file directly in src/stores). */
function storesFolderOf(file: string): string | undefined {
  const rel = path.relative(STORES, file);
  if (rel.startsWith('..')) return undefined;
  const parts = rel.split(path.sep);
  return parts.length > 1 ? parts[0] : '';
}

function violations(): string[] {
  const found: string[] = [];
  for (const [folder, forbidden] of Object.entries(FORBIDDEN)) {
    for (const file of tsFiles(path.join(STORES, folder))) {
      for (const spec of importedSpecifiers(fs.readFileSync(file, 'utf8'))) {
        const target = storesFolderOf(path.resolve(path.dirname(file), spec));
        if (target !== undefined && forbidden.includes(target))
          found.push(`${path.relative(STORES, file)} imports ${spec}`);
      }
    }
  }
  return found;
}

test('no file of src/stores/sqlite imports from src/stores/postgres or the reverse, and src/stores/sql imports from neither', () => {
  assert.deepEqual(violations(), []);
});

/** The SQL statements written as string literals in a folder's .ts files, placeholders and spacing normalised. */
function statementsIn(folder: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of tsFiles(path.join(STORES, folder))) {
    for (const m of fs
      .readFileSync(file, 'utf8')
      .matchAll(/(['`])\s*((?:SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP)\b[^'`]*)\1/g)) {
      found.set(
        m[2]!.replace(/\$\d+/g, '?').replace(/\s+/g, ' ').trim(),
        path.relative(STORES, file),
      );
    }
  }
  return found;
}

test('no SQL statement text is written in both src/stores/sqlite and src/stores/postgres', () => {
  const sqlite = statementsIn('sqlite');
  const postgres = statementsIn('postgres');
  assert.ok(sqlite.size > 0 && postgres.size > 0, 'the scan finds statements');
  assert.deepEqual(
    [...sqlite.keys()].filter((sql) => postgres.has(sql)),
    [],
  );
});

test('no SQL statement text of a dialect folder is also written in src/stores/sql', () => {
  const shared = statementsIn('sql');
  assert.ok(shared.size > 0, 'the scan finds statements');
  const again = [...statementsIn('sqlite'), ...statementsIn('postgres')].filter(([sql]) =>
    shared.has(sql),
  );
  assert.deepEqual(
    again.map(([sql, file]) => `${file}: ${sql}`),
    [],
  );
});

test('the import scan sees every form of import it checks', () => {
  const source = `import { a } from '../postgres/x.js';\nexport { b } from "../sqlite/y.js";\nconst c = await import('../postgres/z.js');\nimport '../sqlite/side-effect.js';\nimport pg from 'pg';`;
  assert.deepEqual(importedSpecifiers(source).sort(), [
    '../postgres/x.js',
    '../postgres/z.js',
    '../sqlite/side-effect.js',
    '../sqlite/y.js',
  ]);
});
