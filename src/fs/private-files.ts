/**
 * Files revokd keeps at rest (database, WAL, shared memory, private keys, secrets) are readable by
 * the service's own user only: files 0600, directories 0700, whatever the umask and whatever modes
 * an older version or an operator left behind. `mode` at creation is filtered by the umask and does
 * nothing for a path that already exists, so every helper here also chmods.
 */
import fs from 'node:fs';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** Creates `dir` (and missing parents, 0700) and makes `dir` itself 0700 even if it already existed. */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  restrict(dir, PRIVATE_DIR_MODE);
}

/** Creates `file` empty if missing (never truncates) and makes it 0600. */
export function ensurePrivateFile(file: string): void {
  fs.closeSync(fs.openSync(file, 'a', PRIVATE_FILE_MODE));
  restrict(file, PRIVATE_FILE_MODE);
}

/** Makes `file` 0600 if it exists (a -wal or -shm left by an earlier run with a laxer mode). */
export function tightenIfPresent(file: string): void {
  if (fs.existsSync(file)) restrict(file, PRIVATE_FILE_MODE);
}

/** Writes a new file 0600, refusing to overwrite one that exists. */
export function writeNewPrivateFile(file: string, body: string): void {
  fs.writeFileSync(file, body, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
  restrict(file, PRIVATE_FILE_MODE);
}

/**
 * chmod, except on a path another user owns (EPERM): a process allowed to use someone else's file
 * (a library reader in the owner's group) may not change its mode; the owner's own start does.
 */
export function restrict(target: string, mode: number): void {
  try {
    fs.chmodSync(target, mode);
  } catch (err) {
    if ((err as { code?: string }).code !== 'EPERM') throw err;
  }
}
