/**
 * Which backend a database URL names, or why it names none. Pure (no backend module is loaded
 * here), so configuration checking and the composition root (stores/open-store.ts) share the one
 * reading of `REVOKD_DATABASE_URL` and the one wording of its refusal.
 */
export type StoreLocation =
  | { readonly backend: 'sqlite'; /** A file path, or `:memory:`. */ readonly file: string }
  | { readonly backend: 'postgres'; readonly url: string };

export function parseStoreUrl(url: string): StoreLocation | { readonly problem: string } {
  if (url.startsWith('sqlite:')) return { backend: 'sqlite', file: url.slice('sqlite:'.length) };
  if (/^postgres(ql)?:\/\//.test(url)) return { backend: 'postgres', url };
  return { problem: `must start with sqlite: or postgres://, got "${withoutCredentials(url)}"` };
}

/** A URL's user:password part never reaches an error message (and from there the logs). */
function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1…@');
}
