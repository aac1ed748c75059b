/**
 * Private signing keys live in files under `<dataDir>/keys/`, one per kid, mode 0600 in a 0700
 * directory. The database holds only public keys and status, so a database backup leaks nothing
 * that can sign.
 */
import { type KeyObject, createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { KID_PATTERN } from '../core/tokens/key-ring.js';
import { ensurePrivateDir, writeNewPrivateFile } from '../fs/private-files.js';

export function keysDir(dataDir: string): string {
  return path.join(dataDir, 'keys');
}

function keyFile(dataDir: string, kid: string): string {
  if (!KID_PATTERN.test(kid)) throw new TypeError(`invalid kid: ${kid}`);
  return path.join(keysDir(dataDir), `${kid}.json`);
}

export function writePrivateKey(dataDir: string, kid: string, alg: string, privateKey: KeyObject): void {
  ensurePrivateDir(keysDir(dataDir));
  const file = keyFile(dataDir, kid);
  const body = JSON.stringify({ kid, alg, privateJwk: privateKey.export({ format: 'jwk' }) });
  // Never overwrite an existing key.
  writeNewPrivateFile(file, body);
}

export function readPrivateKey(dataDir: string, kid: string): KeyObject | undefined {
  const file = keyFile(dataDir, kid);
  if (!fs.existsSync(file)) return undefined;
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { privateJwk: Record<string, unknown> };
  return createPrivateKey({ key: parsed.privateJwk as never, format: 'jwk' });
}
