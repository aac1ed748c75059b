/**
 * The CLI's logger: warnings and errors only, on stderr, as a line a person reads
 * ("revokd: warning: key ring reload failed (err: …)"), never pino's raw JSON next to the command's
 * answer. stdout stays the answer alone (parseable with --json). Secrets are redacted as in the
 * server's log.
 */
import pino, { type Logger } from 'pino';
import { REDACTED_LOG_PATHS } from '../app/redacted-log-paths.js';

/** pino's own fields, not worth showing to a person. */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg']);

function describe(value: unknown): string {
  if (value !== null && typeof value === 'object' && 'message' in value)
    return String(value.message);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** One pino JSON line as text: "revokd: warning: <msg> (key: value, …)". */
export function humanLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `revokd: ${line.trimEnd()}\n`;
  }
  const level = typeof entry.level === 'number' && entry.level >= 50 ? 'error' : 'warning';
  const fields = Object.entries(entry)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => `${k}: ${describe(v)}`);
  return `revokd: ${level}: ${describe(entry.msg ?? '')}${fields.length === 0 ? '' : ` (${fields.join(', ')})`}\n`;
}

export function cliLogger(stream: NodeJS.WritableStream = process.stderr): Logger {
  return pino(
    { level: 'warn', redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' } },
    {
      write: (line: string) => {
        stream.write(humanLogLine(line));
      },
    },
  );
}
