/**
 * Every member of every interface in src/stores/ports/ — each port method, and the properties a
 * backend declares — carries a TSDoc comment saying what it guarantees (issue 20): the ports are
 * what a new backend implements, and the comment is its specification. Parsed with the TypeScript
 * compiler API; an overload's later signatures share the first one's comment.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const PORTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/stores/ports');

function hasDoc(node: ts.Node): boolean {
  return ts.getJSDocCommentsAndTags(node).some((doc) => {
    const text = ts.isJSDoc(doc) ? ts.getTextOfJSDocComment(doc.comment) : undefined;
    return text !== undefined && text.trim().length > 0;
  });
}

/** `file: Interface.member` for each member without a comment. */
function undocumentedMembers(file: string): { interfaces: number; missing: string[] } {
  const text = fs.readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const missing: string[] = [];
  let interfaces = 0;
  for (const statement of source.statements) {
    if (!ts.isInterfaceDeclaration(statement)) continue;
    interfaces++;
    let previous: string | undefined;
    for (const member of statement.members) {
      const name = member.name?.getText(source) ?? '(call or index signature)';
      const overload = ts.isMethodSignature(member) && name === previous;
      previous = name;
      if (overload || hasDoc(member)) continue;
      missing.push(`${path.basename(file)}: ${statement.name.text}.${name}`);
    }
  }
  return { interfaces, missing };
}

test('every port interface member in src/stores/ports has a TSDoc comment', () => {
  const files = fs
    .readdirSync(PORTS)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(PORTS, f));
  assert.ok(files.length >= 7, `port files found: ${files.join(', ')}`);
  const results = files.map(undocumentedMembers);
  assert.ok(results.reduce((n, r) => n + r.interfaces, 0) >= 10, 'the port interfaces were found');
  const missing = results.flatMap((r) => r.missing);
  assert.deepEqual(missing, [], `undocumented port members:\n  ${missing.join('\n  ')}`);
});
