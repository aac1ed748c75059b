/**
 * At start, the data directory is made private even if it existed before with laxer modes (an older
 * version, a `mkdir` under umask 022, a restored backup): the directory and `keys/` 0700, every
 * regular file in them 0600. Symbolic links are left alone (chmod would follow them out of the
 * directory).
 */
import fs from 'node:fs';
import path from 'node:path';
import { keysDir } from '../keys/key-store-files.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, ensurePrivateDir, restrict } from './private-files.js';

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
