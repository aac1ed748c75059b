/**
 * At start, the data directory is made private even if it existed before with laxer modes (an older
 * version, a `mkdir` under umask 022, a restored backup): the directory and `keys/` 0700, every
 * regular file in them 0600. Symbolic links are left alone (chmod would follow them out of the
 * directory).
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  PRIVATE_DIR_MODE,
  PRIVATE_FILE_MODE,
  ensurePrivateDir,
  restrict,
} from './private-files.js';

/** Where legacy private key files live (keys/key-store-files.ts): the data dir's layout is here. */
export function keysDir(dataDir: string): string {
  return path.join(dataDir, 'keys');
}

export function secureDataDir(dataDir: string): void {
  ensurePrivateDir(dataDir);
  tightenEntries(dataDir);
  const keys = keysDir(dataDir);
  if (fs.existsSync(keys) && fs.lstatSync(keys).isDirectory()) {
    restrict(keys, PRIVATE_DIR_MODE);
    tightenEntries(keys);
  }
}

function tightenEntries(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile()) restrict(path.join(dir, entry.name), PRIVATE_FILE_MODE);
  }
}
