/**
 * `REVOKD_CORS_ORIGINS` entries: exact browser origins (`scheme://host[:port]`), compared by the
 * CORS layer as strings against the `Origin` header. So an entry must be written exactly as a
 * browser sends it — lowercase host, no default port, no path or trailing slash — and never a
 * wildcard: an allowlist that matched more than it names would defeat its purpose.
 */

/** Why `entry` is not an origin a browser would send, or undefined when it is one. */
export function corsOriginProblem(entry: string): string | undefined {
  const hint =
    'an origin is scheme://host[:port], e.g. https://app.example.com (no path, no trailing slash, no "*")';
  if (entry.includes('*')) return `"${entry}": wildcards are not allowed (${hint})`;
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return `"${entry}" is not an origin (${hint})`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `"${entry}": only http and https origins (${hint})`;
  if (url.origin !== entry)
    return `"${entry}" is not an origin as a browser sends it: did you mean "${url.origin}"? (${hint})`;
  return undefined;
}
