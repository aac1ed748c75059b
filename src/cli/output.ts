/** CLI output: a human line, or exactly one JSON document with --json. Errors go to stderr. */
import { ConfigError } from '../core/config.js';
import { isRevokdError } from '../core/errors.js';

export function emit(json: boolean, data: unknown, human: string): void {
  process.stdout.write(json ? `${JSON.stringify(data)}\n` : `${human}\n`);
}

/** Rows under a header, each column padded to its widest cell (two spaces between columns). */
export function textTable(
  header: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

export function fail(json: boolean, err: unknown): never {
  let message: string;
  let code = 'ERR_INTERNAL';
  if (err instanceof ConfigError) {
    message = err.message;
    code = 'ERR_CONFIG';
  } else if (isRevokdError(err)) {
    message = err.message;
    code = err.code;
  } else {
    message = err instanceof Error ? err.message : String(err);
  }
  if (json) process.stderr.write(`${JSON.stringify({ error: code, message })}\n`);
  else process.stderr.write(`revokd: ${message}\n`);
  process.exit(code === 'ERR_INTERNAL' ? 1 : 2);
}
