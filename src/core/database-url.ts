/**
 * Which backend a database URL names, or why it names none. Pure (no backend module is loaded
 * here), so configuration checking and the composition root (stores/open-store.ts) share the one
 * reading of `REVOKD_DATABASE_URL` and the one wording of its refusal.
 */
/**
 * What a backend can do, declared once per backend (core/database-url.ts, BACKEND_CAPABILITIES) so
 * that configuration checks and the app decide on facts, never on the backend's name.
 */
export interface StoreCapabilities {
  /**
   * Instances on different hosts can open the same database. Nothing they all need can then be
   * generated into one host's data directory: the service secret must be configuration
   * (REVOKD_SECRET), never the `<dataDir>/audit-secret` file.
   */
  readonly sharedAcrossHosts: boolean;
  /**
   * The store announces its own feed commits (it implements FeedNotifications, in
   * revocation-log.ts): REVOKD_FEED_WAKEUP=notify works, and is the default.
   */
  readonly feedNotifications: boolean;
}

/**
 * What each backend can do (StoreCapabilities), known from the URL before anything is opened; each
 * store object declares the same (`capabilities`), and test/stores/store-capabilities.test.ts
 * checks that they agree with what the store implements.
 */
export const BACKEND_CAPABILITIES = {
  sqlite: { sharedAcrossHosts: false, feedNotifications: false },
  postgres: { sharedAcrossHosts: true, feedNotifications: true },
} as const satisfies Record<string, StoreCapabilities>;

/** A location with a `file` is a local file: opening creates it; files beside it belong to it. */
export type StoreLocation = { readonly capabilities: StoreCapabilities } & (
  | { readonly backend: 'sqlite'; /** A file path, or `:memory:`. */ readonly file: string }
  | { readonly backend: 'postgres'; readonly url: string }
);

export function parseStoreUrl(url: string): StoreLocation | { readonly problem: string } {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    return { backend: 'sqlite', file, capabilities: BACKEND_CAPABILITIES.sqlite };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    return { backend: 'postgres', url, capabilities: BACKEND_CAPABILITIES.postgres };
  }
  return { problem: `must start with sqlite: or postgres://, got "${withoutCredentials(url)}"` };
}

/** A URL's user:password part never reaches an error message (and from there the logs). */
function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1…@');
}
