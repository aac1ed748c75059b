/**
 * The reference docs list exactly what the code defines: error codes (docs/errors.md), audit event
 * types (docs/events.md) and environment variables (docs/configuration.md). A code, event or
 * variable added without its documentation — or documented but gone — fails here.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AUDIT_EVENT_TYPES } from '../../src/core/audit/audit-event.js';
import { ERROR_CATALOGUE } from '../../src/core/errors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (relative: string): string => fs.readFileSync(path.join(ROOT, relative), 'utf8');

/** Splits a markdown table row into trimmed cells (no escaped pipes are used in these docs). */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((c) => c.trim());
}

const isSeparator = (line: string): boolean => /^\|(\s*:?-+:?\s*\|)+\s*$/.test(line.trim());

/**
 * The body rows of the table whose header's first cell is `header`, as arrays of cells.
 * Fails if there is no such table, or more than one.
 */
function tableRows(markdown: string, header: string): string[][] {
  const lines = markdown.split('\n');
  const starts = lines.flatMap((line, i) =>
    line.trim().startsWith('|') && cells(line)[0] === header ? [i] : [],
  );
  assert.equal(starts.length, 1, `expected exactly one table headed "${header}"`);
  const start = starts[0] as number;
  assert.ok(isSeparator(lines[start + 1] ?? ''), `the "${header}" table has no separator row`);
  const rows: string[][] = [];
  for (let i = start + 2; i < lines.length && (lines[i] as string).trim().startsWith('|'); i++) {
    rows.push(cells(lines[i] as string));
  }
  return rows;
}

/** The single backticked name a first cell must consist of. */
function backticked(cell: string | undefined, where: string): string {
  const match = /^`([^`]+)`$/.exec(cell ?? '');
  assert.ok(
    match !== null,
    `${where}: first cell must be one backticked name, got ${JSON.stringify(cell)}`,
  );
  return match[1] as string;
}

function assertSameSet(documented: string[], defined: readonly string[], what: string): void {
  const duplicates = documented.filter((name, i) => documented.indexOf(name) !== i);
  assert.deepEqual(duplicates, [], `${what} documented more than once`);
  const missing = defined.filter((name) => !documented.includes(name));
  const extra = documented.filter((name) => !defined.includes(name));
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `${what}: docs and code differ`);
}

test('docs/errors.md lists exactly the codes of ERROR_CATALOGUE, with their status and OAuth name', () => {
  const rows = tableRows(read('docs/errors.md'), 'Code');
  const codes = rows.map((row) => backticked(row[0], 'docs/errors.md'));
  assertSameSet(codes, Object.keys(ERROR_CATALOGUE), 'error codes');
  for (const row of rows) {
    const code = backticked(row[0], 'docs/errors.md') as keyof typeof ERROR_CATALOGUE;
    const entry = ERROR_CATALOGUE[code];
    assert.equal(row[1], String(entry.status), `${code}: documented status`);
    assert.equal(row[2], `\`${entry.oauth}\``, `${code}: documented OAuth error name`);
    assert.ok((row[3] ?? '').length > 0, `${code}: says when it happens`);
  }
});

test('docs/events.md lists exactly the types of AUDIT_EVENT_TYPES', () => {
  const rows = tableRows(read('docs/events.md'), 'Type');
  const types = rows.map((row) => backticked(row[0], 'docs/events.md'));
  assertSameSet(types, AUDIT_EVENT_TYPES, 'audit event types');
  for (const row of rows) assert.equal(row.length, 4, `${row[0]}: type, when, target, details`);
});

test('docs/configuration.md documents every environment variable config.ts reads, and no other', () => {
  const source = read('src/core/config.ts');
  const docs = read('docs/configuration.md');

  // What loadConfig() reads: names passed to its readers, and direct env.X accesses.
  const readers = new Set<string>();
  for (const m of source.matchAll(
    /\b(?:str|int|oneOf|list)(?:<[^>()]*>)?\(\s*'([A-Z][A-Z0-9_]*)'/g,
  ))
    readers.add(m[1] as string);
  for (const m of source.matchAll(/\benv\.([A-Z][A-Z0-9_]*)\b/g)) readers.add(m[1] as string);
  assert.ok(
    readers.has('PORT') && readers.has('HOST') && readers.has('REVOKD_FAIL_MODE'),
    'the readers were found in config.ts',
  );
  // Any other variable name the file mentions (in messages or comments) must be documented too.
  const mentioned = [...source.matchAll(/\b(PORT|HOST|REVOKD_[A-Z_]+)\b/g)].map(
    (m) => m[1] as string,
  );
  const names = [...new Set([...readers, ...mentioned])].sort();

  // A variable is documented by a table row whose first cell is the backticked name.
  const documentedRows = new Set(
    docs
      .split('\n')
      .filter((line) => line.trim().startsWith('|'))
      .map((line) => cells(line)[0] ?? '')
      .flatMap((cell) => {
        const m = /^`([A-Z][A-Z0-9_]*)`$/.exec(cell);
        return m === null ? [] : [m[1] as string];
      }),
  );
  const undocumented = names.filter((name) => !documentedRows.has(name));
  assert.deepEqual(
    undocumented,
    [],
    'every variable has a row (first cell `NAME`) in docs/configuration.md',
  );
  const phantom = [...documentedRows].filter((name) => !names.includes(name));
  assert.deepEqual(
    phantom,
    [],
    'docs/configuration.md documents no variable that config.ts does not read',
  );
});

/** Every error code the source throws with a retry delay (`new RevokdError('ERR_…', …, { retryAfterSeconds …`). */
function codesWithRetryDelay(): Set<string> {
  const codes = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const relative = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(relative);
      else if (entry.name.endsWith('.ts')) {
        for (const m of read(relative).matchAll(
          /new RevokdError\(\s*'(ERR_[A-Z_]+)'[^;]*?retryAfterSeconds/gs,
        ))
          codes.add(m[1]!);
      }
    }
  };
  walk('src');
  return codes;
}

test('docs/errors.md "Headers": the Retry-After table names exactly the codes thrown with a retry delay', () => {
  const rows = tableRows(read('docs/errors.md'), 'Retry-After with');
  const documented = new Set(rows.map((r) => (r[0] ?? '').replace(/`/g, '')));
  const inCode = codesWithRetryDelay();
  assert.ok(
    inCode.has('ERR_RATE_LIMITED') && inCode.has('ERR_STORE_UNAVAILABLE'),
    `the scan finds the delays: ${[...inCode].join(', ')}`,
  );
  assert.deepEqual([...documented].sort(), [...inCode].sort());
  for (const row of rows)
    assert.ok(
      row.length === 3 && row[1] !== '' && row[2] !== '',
      `each row says when and what value: ${row.join(' | ')}`,
    );
});
