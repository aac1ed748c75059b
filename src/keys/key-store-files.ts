/**
 * Legacy private signing keys: before keys were sealed into the store (keys/sealed-private-key.ts),
 * each private half was a file `<dataDir>/keys/<kid>.json`, mode 0600 in a 0700 directory. revokd
 * no longer writes them; it reads one only for a key whose row has no sealed half, and moves it
 * into the store at start (keys/key-manager.ts). The files are left in place, so a rollback to an
 * older version still finds them; remove them once no older version will run on the data.
 */
import { type KeyObject, createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { KID_PATTERN } from '../core/tokens/key-ring.js';
import { keysDir } from '../fs/secure-data-dir.js';

function keyFile(dataDir: string, kid: string): string {
  if (!KID_PATTERN.test(kid)) throw new TypeError(`invalid kid: ${kid}`);
  return path.join(keysDir(dataDir), `${kid}.json`);
}

/** The private key an older revokd wrote for `kid`, or undefined when there is no such file. */
export function readLegacyPrivateKey(dataDir: string, kid: string): KeyObject | undefined {
  const file = keyFile(dataDir, kid);
  if (!fs.existsSync(file)) return undefined;
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    privateJwk: Record<string, unknown>;
  };
  return createPrivateKey({ key: parsed.privateJwk as never, format: 'jwk' });
}
