/**
 * A revocation's wire JSON — `JSON.stringify(toWire(record))` (core/revocation/wire-format.ts) —
 * written by the database in the query that reads the row. A stream snapshot of 1 M records spent
 * most of its time building a twelve-field row, a record, a wire object and its JSON per record
 * (docs/performance.md); the database writes the same text from the columns in C, and JavaScript
 * only passes it on.
 *
 * The expression is derived from what toWire derives it from — each scope's wire shape
 * (scope-rules.ts) and the frozen reason vocabulary (WIRE_REASON_FOR) — in toWire's key order, so
 * a scope or reason added there is written here too. Byte equality with toWire for every scope,
 * and for targets with quotes, control characters and non-ASCII text, is pinned by the
 * revocation-log conformance test on both databases.
 */
import { SCOPE_NAMES, SCOPE_RULES } from '../../core/revocation/scope-rules.js';
import { WIRE_REASON_FOR } from '../../core/revocation/wire-format.js';
import type { Dialect } from './dialect.js';

/** A SQL string literal. */
function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** The text before a member's value: `{"name":` for the first, `,"name":` after. */
function key(name: string, first = false): string {
  return literal(`${first ? '{' : ','}${JSON.stringify(name)}:`);
}

/** A whole-number column as JSON, `fallback` for NULL. */
function number(column: string, fallback: string): string {
  return `COALESCE(CAST(${column} AS TEXT), ${literal(fallback)})`;
}

/** The SQL expression, over a `revocations` row, of that row's wire JSON text. */
export function wireJsonSql(d: Dialect): string {
  const reasons = Object.entries(WIRE_REASON_FOR)
    .map(([stored, sent]) => `WHEN ${literal(stored)} THEN ${literal(sent)}`)
    .join(' ');
  const reason = `CASE reason ${reasons} ELSE reason END`;
  // A scope without a wire shape ('ip') writes no record of its own.
  const branches = SCOPE_NAMES.flatMap((scope) => {
    const shape = SCOPE_RULES[scope].wire;
    if (shape === null) return [];
    const parts = [
      key('seq', true),
      number('seq', 'null'),
      key('initiator'),
      d.jsonString('initiator'),
      key('reason'),
      d.jsonString(reason),
      key('created_at'),
      number('created_at', 'null'),
      key('scope'),
      literal(JSON.stringify(scope)),
    ];
    if (shape.target !== null) parts.push(key(shape.target), d.jsonString('target'));
    if (shape.issuer) parts.push(key('iss'), d.jsonString('issuer'));
    if (shape.window)
      parts.push(
        key('iat_from'),
        number('window_from', '0'),
        key('iat_to'),
        number('window_to', '0'),
      );
    if (shape.generation) parts.push(key('generation'), number('generation', '0'));
    if (shape.expires) parts.push(key('expires_at'), number('expires_at', 'null'));
    parts.push(literal('}'));
    return [`WHEN ${literal(scope)} THEN ${parts.join(' || ')}`];
  });
  return `CASE scope ${branches.join(' ')} END`;
}
