/**
 * The UI's static files (web/static): read once at start, served with a content hash in the URL
 * (`/static/app.css?v=…`) so they can be cached for a year and still change on every release.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';

export interface StaticAsset {
  readonly body: Buffer;
  readonly contentType: string;
  /** Short content hash, used as the cache-busting `v` parameter and the ETag. */
  readonly version: string;
}

const TYPES: Record<string, string> = {
  'app.css': 'text/css; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

function load(name: string): StaticAsset {
  const body = fs.readFileSync(new URL(`./static/${name}`, import.meta.url));
  return {
    body,
    contentType: TYPES[name] as string,
    version: createHash('sha256').update(body).digest('hex').slice(0, 12),
  };
}

/** Name → asset, for exactly the files the UI ships. */
export const STATIC_ASSETS: ReadonlyMap<string, StaticAsset> = new Map(
  Object.keys(TYPES).map((name) => [name, load(name)]),
);

/** The versioned URL of a static file. */
export function assetUrl(name: string): string {
  const asset = STATIC_ASSETS.get(name);
  if (asset === undefined) throw new TypeError(`unknown static asset: ${name}`);
  return `/static/${name}?v=${asset.version}`;
}
