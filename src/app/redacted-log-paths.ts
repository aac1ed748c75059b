/** What every revokd logger (server, CLI, library) strips from its lines. */

/** Paths pino removes from every log line: credentials never reach the logs. */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'password',
  'refresh_token',
  'access_token',
  'token',
  'client_secret',
  '*.password',
  '*.refresh_token',
  '*.access_token',
  '*.token',
  '*.client_secret',
];
